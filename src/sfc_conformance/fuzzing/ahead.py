"""Work out a walk's requests ahead, in a forked process, while the caller does other work.

What :func:`.engine.walk` generates never depends on an answer: an examiner
sends each request, but nothing it sees goes back into generation.  So a
caller that sends the requests later (the suite's API-5) can have them
generated now, on another core.  Generating costs over a second (importing
schemathesis and hypothesis, drawing every case), most of an embedded run's API-5.

The other process is a fork of the caller, taken only where a fork is safe
and cheap: on Linux, from a process with one thread that may have children.
It sees what the caller sees (the same modules loaded, so hypothesis draws the
same constants from them, and the same seed: the same requests as the caller
would make) and hands the result back pickled.  Anywhere else, or should the
other process fail, the work is done in the caller when the result is asked for.

    records = Ahead(lambda: recorded(schema, plan))   # starts now
    ...
    for record in records.result(): ...               # waits for it, if it is not done yet
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from sfc_conformance.fuzzing.cases import Kind, Outgoing, outgoing

if TYPE_CHECKING:
    from sfc_conformance.fuzzing.engine import Plan

T = TypeVar("T")
PATIENCE = 300.0  # seconds the other process may take before the caller does the work itself

Sort = Kind | Literal["hand-made"]


@dataclass(frozen=True)
class Recorded:
    """One request of a walk, and how it was made: by hand (:func:`.engine.hand_made`), or a generated case of
    a kind."""

    sort: Sort
    request: Outgoing


def recorded(schema: Any, plan: Plan) -> list[Recorded]:
    """Every request :func:`.engine.walk` makes of ``plan``, in its order, none of them sent."""
    from sfc_conformance.fuzzing.engine import walk  # noqa: PLC0415 - schemathesis and hypothesis load here

    recording = _Recording()
    walk(schema, plan, recording)
    return recording.requests


class _Recording:
    """An examiner that keeps each request instead of sending it."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []

    def hand_made(self, operation: Any, request: Outgoing) -> None:
        self.requests.append(Recorded("hand-made", request))

    def case(self, case: Any, kind: Kind) -> None:
        self.requests.append(Recorded(kind, outgoing(case)))


class Ahead(Generic[T]):
    """The result of ``work``, worked out in a forked process from the moment this is made (where one can be)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._process: Any = None
        self._receiving: Connection | None = None
        if not _can_fork():
            return
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_work_and_send, args=(work, sending), daemon=True,
                                  name="sfc-conformance ahead")
        try:
            process.start()
        except OSError:  # no process to be had (a limit on processes, no memory): the caller does it later
            receiving.close()
        else:
            self._process, self._receiving = process, receiving
        finally:
            sending.close()  # the child's end: once the child is gone, reading the pipe sees its end

    @property
    def forked(self) -> bool:
        """Whether the work is being done in another process."""
        return self._process is not None

    def result(self, patience: float = PATIENCE) -> T:
        """The work's result: the other process's, or (none, or it failed or took too long) worked out here."""
        process, receiving = self._process, self._receiving
        self._process = self._receiving = None
        if process is not None and receiving is not None:
            try:
                if receiving.poll(patience):
                    result: T = receiving.recv()
                    return result
            except (EOFError, OSError):  # the other process died before it sent anything
                pass
            finally:
                receiving.close()
                _end(process)
        return self._work()

    def close(self) -> None:
        """Stop the other process, if its result was never asked for."""
        process, receiving = self._process, self._receiving
        self._process = self._receiving = None
        if receiving is not None:
            receiving.close()
        if process is not None:
            _end(process)


def _can_fork() -> bool:
    # A fork copies only the thread that forks: with others running, a lock one of them held stays held in the
    # child.  macOS's system libraries do not survive a fork at all; a daemonic process may have no children.
    return (sys.platform == "linux" and threading.active_count() == 1
            and not multiprocessing.current_process().daemon)


def _work_and_send(work: Callable[[], Any], sending: Connection) -> None:
    # Nothing of the other process shows: the caller's terminal, or the output pytest is capturing, is not its.
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    sending.send(work())
    sending.close()


def _end(process: Any) -> None:
    process.kill()  # done or not: it has nothing left to give
    process.join()
