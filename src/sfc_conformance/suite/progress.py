"""Long waits, counted down on the terminal.

A live run waits about one OTP window for its expiry checks; a silent
half-minute looks like a hang, so the wait says every few seconds how long
is left.  Time passes through the run's clock, so on a manual clock the
countdown costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from sfc_conformance.core.clock import Clock

EVERY = 5.0  # seconds between two lines


def countdown(clock: Clock, seconds: float, why: str, say: Callable[[str], None], every: float = EVERY) -> None:
    """Let ``seconds`` pass on ``clock``, saying ``waiting N s {why}…`` every ``every`` seconds."""
    deadline = clock.now() + timedelta(seconds=max(seconds, 0.0))
    while (left := (deadline - clock.now()).total_seconds()) > 0:
        say(f"waiting {math.ceil(left)} s {why}…")
        clock.sleep(min(every, left))
