"""A machine made busy on purpose: one CPU-bound process a core, for a bounded time.

``sfc-conformance selftest --live --busy`` and ``benchmarks/otp_lateness.py``
run live runs while every core is taken by a plain Python process that does
nothing but count, as a release gate's machine is when several runs, each with
its browser, share two cores.  A verdict must not bend under it (profile,
"Verdicts that do not bend").

The spinners are stopped when the block ends, however it ends: normally, by an
exception, by Ctrl-C, or by SIGTERM (turned into :class:`SystemExit` for the
block, so that the ``finally`` runs).  And each one stops by itself after
``seconds``, or as soon as the process that started it is gone (killed with
SIGKILL, say): no spinner outlives what it was started for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

# One spinner: count until the deadline, or until its parent is gone (it is then adopted by another process).
# Ctrl-C at a terminal reaches it too: it then ends quietly, without a traceback.
SPIN = """\
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
end, parent = time.monotonic() + float(sys.argv[1]), int(sys.argv[2])
n = 0
while True:
    n += 1
    if n % 100000 == 0 and (time.monotonic() > end or os.getppid() != parent):
        break
"""
DEFAULT_SECONDS = 600.0  # what a block may last at most when its caller names no bound


def cores() -> int:
    return os.cpu_count() or 1


class BusyMachine:
    """``processes`` spinners (default: one a core), each stopping by itself after ``seconds``.

    Use it as a context manager (or :meth:`start` / :meth:`stop`)::

        with BusyMachine(seconds=300) as busy:
            ...  # every core is taken while this runs
    """

    def __init__(self, processes: int | None = None, seconds: float = DEFAULT_SECONDS) -> None:
        if seconds <= 0:
            raise ValueError(f"a busy machine lasts more than 0 s, not {seconds:g}")
        self.processes = cores() if processes is None else processes
        if self.processes < 1:
            raise ValueError(f"a busy machine needs 1 process or more, not {self.processes}")
        self.seconds = seconds
        self.spinners: list[subprocess.Popen[bytes]] = []
        self.started_at = 0.0
        self._previous_sigterm: Any = None
        self._caught = False

    def __repr__(self) -> str:
        return f"BusyMachine(processes={self.processes}, seconds={self.seconds:g})"

    def describe(self) -> str:
        return (f"{self.processes} CPU-bound process{'es' if self.processes != 1 else ''} on "
                f"{cores()} core{'s' if cores() != 1 else ''}, stopped at the end or after {self.seconds:.0f} s")

    @property
    def pids(self) -> list[int]:
        return [spinner.pid for spinner in self.spinners]

    @property
    def running(self) -> int:
        """How many spinners are still running."""
        return sum(spinner.poll() is None for spinner in self.spinners)

    def start(self) -> BusyMachine:
        if self.spinners:
            raise RuntimeError("this busy machine is already started")
        self.started_at = time.monotonic()
        try:
            for _ in range(self.processes):
                # -I -S: no site, no user paths, no environment: a bare interpreter, started in a few milliseconds.
                self.spinners.append(subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", SPIN, repr(self.seconds), str(os.getpid())],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every spinner (SIGTERM, then SIGKILL after ``timeout``) and reap it; idempotent."""
        for spinner in self.spinners:
            if spinner.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    spinner.terminate()
        deadline = time.monotonic() + timeout
        for spinner in self.spinners:
            try:
                spinner.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                spinner.kill()
                spinner.wait()
        self.spinners = []

    def __enter__(self) -> BusyMachine:
        self._catch_sigterm()
        try:
            return self.start()
        except BaseException:
            self._restore_sigterm()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            self._restore_sigterm()

    # SIGTERM (tox stopping an environment, a CI runner's cancel) ends Python without running `finally`
    # blocks; for the block it raises SystemExit instead, so the spinners are stopped on the way out.
    def _catch_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers belong to the main thread; the spinners still stop by themselves
        self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self._caught = True

    def _restore_sigterm(self) -> None:
        if self._caught:
            signal.signal(signal.SIGTERM, self._previous_sigterm or signal.SIG_DFL)
            self._caught = False


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def busy_machine(processes: int | None = None, seconds: float = DEFAULT_SECONDS) -> Iterator[BusyMachine]:
    """The block runs on a busy machine: see :class:`BusyMachine`."""
    with BusyMachine(processes, seconds) as busy:
        yield busy
