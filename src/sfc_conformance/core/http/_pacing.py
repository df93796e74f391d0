"""Polite at scale: many requests to one target, bounded, in order, slowing down when it asks.

Commands that work through thousands of merchants or leftovers share one
:class:`Pace` between their workers:

* at most ``limit`` requests are in flight; the limit starts at the ceiling
  the user chose (``--concurrency``);
* a pause the client takes before a retry (a 429's ``Retry-After``, or the
  backoff after a 408/5xx) holds every worker until it has passed, not just
  the one that met it, and halves the limit; answers that come back fine
  raise it again by one per ``limit`` answers, up to the ceiling (additive
  increase, multiplicative decrease, as TCP does);
* a 429 that outlasts the client's own retries is waited out and tried again,
  for as long as the target lets any request through; only when nothing but
  429s came back for ``patience`` seconds does :class:`PacedClient` give up
  with :class:`~sfc_conformance.core.errors.RateLimited`.

Time passes through the injected clock: on a manual clock a rate-limited run
costs no wall time.  :func:`in_order` runs the work on a thread pool and hands
the results back in the order the work came, holding no more than a window of
it in memory.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.errors import RateLimited
from sfc_conformance.core.http._client import ApiClient, retry_after_seconds
from sfc_conformance.core.secrets import Secret, redact

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8  # requests in flight a command starts with (`--concurrency`)
MAX_CONCURRENCY = 20  # the client keeps 20 connections alive; more at once is no way to treat a partner's API
PATIENCE = 300.0  # seconds of nothing but 429s before a command stops asking
FALLBACK_PAUSE = 1.0  # after a 429 without Retry-After that outlasted the client's own backoff


class Pace:
    def __init__(self, ceiling: int, clock: Clock, *, patience: float = PATIENCE) -> None:
        if ceiling < 1:
            raise ValueError("the concurrency must be at least 1")
        self.ceiling = ceiling
        self.clock = clock
        self.patience = timedelta(seconds=patience)
        self.slowdowns = 0  # how often the target made everyone wait
        self._limit = ceiling
        self._in_flight = 0
        self._streak = 0
        self._resume_at: datetime | None = None
        self._last_fine = clock.now()
        self._turns = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """One request's place in flight, once the limit and any hold allow it."""
        with self._turns:
            while self._in_flight >= self._limit:
                self._turns.wait()
            self._in_flight += 1
        try:
            self._wait_out_hold()
            yield
        finally:
            with self._turns:
                self._in_flight -= 1
                self._turns.notify()

    def pause(self, seconds: float) -> None:
        """The client's ``sleep`` before a retry: everyone waits, and fewer go at once afterwards."""
        with self._turns:
            now = self.clock.now()
            if self._resume_at is None or now >= self._resume_at:  # a new push-back, not one already held for
                self._limit = max(1, self._limit // 2)
                self._streak = 0
                self.slowdowns += 1
            until = now + timedelta(seconds=max(seconds, 0.0))
            self._resume_at = max(self._resume_at or until, until)
        self._wait_out_hold()

    def fine(self) -> None:
        """An answer that was no push-back: slowly let more go at once again."""
        with self._turns:
            self._last_fine = self.clock.now()
            self._streak += 1
            if self._streak >= self._limit and self._limit < self.ceiling:
                self._limit += 1
                self._streak = 0
                self._turns.notify()

    def stalled(self) -> bool:
        """Nothing but push-backs for ``patience``: time to stop asking."""
        with self._turns:
            return self.clock.now() - self._last_fine >= self.patience

    def _wait_out_hold(self) -> None:
        while True:
            with self._turns:
                now, until = self.clock.now(), self._resume_at
            if until is None or now >= until:
                return
            self.clock.sleep((until - now).total_seconds())


class PacedClient(ApiClient):
    """An :class:`ApiClient` whose requests take turns with a :class:`Pace`; one is shared by all workers
    (httpx's client may be shared between threads, and so may this one's retries and records)."""

    def __init__(self, base_url: str, api_key: Secret, pace: Pace, **options: Any) -> None:
        super().__init__(base_url, api_key, sleep=pace.pause, **options)
        self.pace = pace

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """A 429 that outlasts the client's own retries is waited out and sent again, for as long
        as the target lets anything through (see :class:`Pace`)."""
        while True:
            with self.pace.turn():
                response = super().request(method, path, **options)
            if response.status_code != 429:
                self.pace.fine()
                return response
            hinted = retry_after_seconds(response)
            if self.pace.stalled():
                waited = f"last asking to wait {hinted:g} s (Retry-After)" if hinted is not None \
                    else "without Retry-After"
                raise RateLimited(f"the target answered {method} {redact(path)} with 429 Too Many Requests for "
                                  f"{self.pace.patience.total_seconds():g} s, {waited}; it is rate-limiting this "
                                  "key: run again later")
            self.pace.pause(min(hinted, self.max_retry_after) if hinted is not None else FALLBACK_PAUSE)


def in_order(work: Callable[[T], R], items: Iterable[T], *, workers: int, window: int | None = None) -> Iterator[R]:
    """``work(item)`` for each item on ``workers`` threads; the results in the items' order.

    At most ``window`` items (default four per worker) are taken from ``items``
    ahead of the result handed back, so neither the items nor the results pile
    up in memory however many there are.  An exception from ``work`` comes out
    in its item's place; the work not yet started is then dropped.
    """
    window = window or workers * 4
    pending: collections.deque[Future[R]] = collections.deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sfc-worker") as pool:
        try:
            for item in items:
                pending.append(pool.submit(work, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
