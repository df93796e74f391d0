"""How much a fuzz run may do: examples per operation and mode, scenarios, seconds."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

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
        _caches_per_user()
        chosen: dict[str, object] = {
            "max_examples": self.max_examples, "derandomize": False, "database": None, "deadline": None,
            "phases": [Phase.explicit, Phase.generate], "suppress_health_check": list(HealthCheck),
            "stateful_step_count": SCENARIO_STEPS}
        return settings(**{**chosen, **overrides})  # type: ignore[arg-type]


def _caches_per_user() -> None:
    """Hypothesis's caches (Unicode tables, the constants it finds in loaded modules) in one folder per user.

    Left alone, it keeps them in ``.hypothesis/`` under the working folder: a run would leave that folder
    wherever it was started and build them again, a second and more, in every new one.  Unless
    ``HYPOTHESIS_STORAGE_DIRECTORY`` names a folder, they go to ``$XDG_CACHE_HOME/sfc-conformance/hypothesis``.
    """
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        set_hypothesis_home_dir(Path(cache) / "sfc-conformance" / "hypothesis")
