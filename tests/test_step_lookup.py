"""pytest-bdd's lookup of a step's definition, kept per step and place for a run, and put back after it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest

from sfc_conformance.suite.step_lookup import FINDER, StepLookups


def test_a_step_is_looked_up_once_per_place_and_the_lookup_is_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("pytest_bdd.scenario")
    asked: list[tuple[str, str]] = []

    def original(step: Any, fixturemanager: Any, node: Any) -> Any:
        asked.append((step.name, node.parent))
        return iter([f"definition of {step.name!r}"])

    monkeypatch.setattr(module, FINDER, original)
    lookups = StepLookups()
    find = getattr(module, FINDER)
    merchant = SimpleNamespace(type="given", name="a merchant")
    for scenario in ("one", "two"):  # two scenarios of one module
        assert find(step=merchant, fixturemanager=None, node=SimpleNamespace(parent="module", name=scenario)) == [
            "definition of 'a merchant'"]
    find(step=SimpleNamespace(type="then", name="a merchant"), fixturemanager=None,
         node=SimpleNamespace(parent="module"))
    find(step=merchant, fixturemanager=None, node=SimpleNamespace(parent="another module"))
    assert asked == [("a merchant", "module"), ("a merchant", "module"), ("a merchant", "another module")]
    lookups.pytest_unconfigure(pytest.Config.__new__(pytest.Config))
    assert getattr(module, FINDER) is original


def test_a_pytest_bdd_without_the_lookup_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("pytest_bdd.scenario")
    monkeypatch.delattr(module, FINDER)
    lookups = StepLookups()
    assert not hasattr(module, FINDER)
    lookups.pytest_unconfigure(pytest.Config.__new__(pytest.Config))
    assert not hasattr(module, FINDER)
