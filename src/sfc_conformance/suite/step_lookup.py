"""Each step's definition looked up once per run, not once per scenario that uses it.

pytest-bdd finds the definition of a scenario's step by asking pytest, for
every fixture name of the run (about 140 here: one per step definition),
which definitions the scenario can see, and matching each against the step's
text: for every step of every scenario, a tenth of an embedded run.  What it
finds depends only on the step (its kind and text) and on where the scenario
sits, the node whose step definitions it sees: those are all registered when
the scenarios are collected, before the first one runs.  So the answer is
kept per step and place for the run.

pytest-bdd offers no hook for this; :class:`StepLookups` wraps its module's
``find_fixturedefs_for_step`` for the run and puts it back when the run ends.
A pytest-bdd without that function is left alone: slower, the same verdict.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

import pytest

FINDER = "find_fixturedefs_for_step"


class StepLookups:
    """A pytest plugin: while the run lasts, what pytest-bdd finds for a step is worked out once per place."""

    def __init__(self) -> None:
        self._module = importlib.import_module("pytest_bdd.scenario")
        self._original: Callable[..., Iterable[Any]] | None = getattr(self._module, FINDER, None)
        self._found: dict[tuple[object, str, object], list[Any]] = {}
        if self._original is not None:
            setattr(self._module, FINDER, self._find)

    def _find(self, step: Any, fixturemanager: Any, node: Any) -> list[Any]:
        # The scenario's own node is left out of the key: pytest-bdd registers no step definition on it,
        # only the values of `target_fixture` steps, which are not definitions and are never returned.
        key = (step.type, step.name, node.parent)
        found = self._found.get(key)
        if found is None:
            assert self._original is not None
            found = self._found[key] = list(self._original(step=step, fixturemanager=fixturemanager, node=node))
        return list(found)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._original is not None and getattr(self._module, FINDER, None) == self._find:
            setattr(self._module, FINDER, self._original)
        self._found.clear()
