"""The one clock.

Everything that depends on time – OTP expiry, schedules, webhook timestamps,
``created`` fields – asks a :class:`Clock`.  Served over HTTP the sandbox uses
:class:`SystemClock`; in-process tests and the embedded target use
:class:`ManualClock`, which only moves when told to, so a 30 s OTP window
or a day until the next scheduled sync costs no wall-clock time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (really, or by moving a manual clock)."""


class SystemClock:
    """Real time."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)


class ManualClock:
    """A clock that moves only when :meth:`advance` is called.

    Listeners run after every move, outside the lock, so the sandbox scheduler
    can run the syncs that fell due without a background thread.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        with self._lock:
            self._listeners.append(listener)


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, milliseconds kept: Codat's shape."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
