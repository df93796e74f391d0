"""How much a fuzz run may do: examples per operation and mode, scenarios, seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, settings

# Steps in one stateful scenario: create, start, list, authorize both, configure, and a few more.
SCENARIO_STEPS = 12


@dataclass
class Budget:
    """``max_examples`` cases per operation and generation mode, and as many stateful scenarios.

    ``seed`` fixes what is generated: the same seed against the same target sends the
    same requests.  ``max_time`` bounds the whole run in seconds (wall clock); past it
    nothing more is sent and the run reports what it found.
    """

    max_examples: int
    seed: int = 0
    max_time: float | None = None
    started: float = field(default_factory=time.monotonic)

    def spent(self) -> bool:
        return self.max_time is not None and time.monotonic() - self.started >= self.max_time

    def settings(self, **overrides: object) -> settings:
        # No shrinking: a bounded run reports each failure as first seen, never as hundreds
        # more requests.  No example database: a run leaves nothing behind.
        chosen: dict[str, object] = {
            "max_examples": self.max_examples, "derandomize": False, "database": None, "deadline": None,
            "phases": [Phase.explicit, Phase.generate], "suppress_health_check": list(HealthCheck),
            "stateful_step_count": SCENARIO_STEPS}
        return settings(**{**chosen, **overrides})  # type: ignore[arg-type]
