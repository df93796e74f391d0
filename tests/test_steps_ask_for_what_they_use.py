"""Steps ask for what they use: each step's arguments are small fixtures, its step text's values, or what an
earlier step gave (``target_fixture``), and each one is used; no step reaches through one context object.

Read from the step modules' source, as pytest-bdd registers them: no step module is imported here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_bdd import parsers
from pytest_bdd.parsers import StepParser

ROOT = Path(__file__).resolve().parents[1]
STEPS = ROOT / "steps"
SUITE = ROOT / "src" / "sfc_conformance" / "suite"
PACKAGE = ROOT / "src" / "sfc_conformance"
KINDS = ("given", "when", "then")


@dataclass(frozen=True)
class StepDefinition:
    kind: str
    parser: StepParser
    function: ast.FunctionDef
    where: str  # "steps/module.py:line"
    target_fixture: str | None

    @property
    def docstring(self) -> str:
        return ast.get_docstring(self.function) or ""

    @property
    def arguments(self) -> list[str]:
        return [a.arg for a in self.function.args.args]


def _parser(argument: ast.expr) -> StepParser:
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return parsers.string(argument.value)
    assert isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute), ast.dump(argument)
    pattern = argument.args[0]
    assert isinstance(pattern, ast.Constant) and isinstance(pattern.value, str), ast.dump(argument)
    made: StepParser = getattr(parsers, argument.func.attr)(pattern.value)
    return made


def step_definitions() -> list[StepDefinition]:
    """Every ``@given``/``@when``/``@then`` of steps/, one per decorator (a function may carry several)."""
    found = []
    for path in sorted(STEPS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
                        and decorator.func.id in KINDS):
                    target = next((k.value for k in decorator.keywords if k.arg == "target_fixture"), None)
                    named = target.value if isinstance(target, ast.Constant) else None
                    assert named is None or isinstance(named, str), ast.dump(decorator)
                    found.append(StepDefinition(decorator.func.id, _parser(decorator.args[0]), node,
                                                f"steps/{path.name}:{node.lineno}", named))
    return found


def _fixtures_in(path: Path) -> set[str]:
    """The names of the ``@pytest.fixture`` functions a module defines."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
            names.add(node.name)
    return names


def _step_values(definition: StepDefinition) -> set[str]:
    """The names the step's text gives values for: ``{count:d}``, ``(?P<status>...)``."""
    text = getattr(definition.parser, "name", "")
    return set(re.findall(r"\{(\w+)(?::[^}]*)?\}", text)) | set(re.findall(r"\(\?P<(\w+)>", text))


SUITE_FIXTURES = _fixtures_in(SUITE / "plugin.py")
STEP_FIXTURES = set().union(*(_fixtures_in(path) for path in STEPS.glob("*.py")))
GIVEN_BY_STEPS = {d.target_fixture for d in step_definitions() if d.target_fixture}


def test_the_suite_offers_the_small_fixtures_and_no_context_object() -> None:
    assert {"api", "client", "clock", "settings", "target", "answer_log", "run_id", "rule_notes", "merchants",
            "flow_viewer", "timed_opens", "subscriptions", "receiver", "driver"} <= SUITE_FIXTURES
    assert "sfc" not in SUITE_FIXTURES


@pytest.mark.parametrize("definition", step_definitions(), ids=lambda d: d.where)
def test_every_step_is_named_underscore(definition: StepDefinition) -> None:
    assert definition.function.name == "_", f"{definition.where}: a step is named `_`; its text is its identity"


@pytest.mark.parametrize("definition", step_definitions(), ids=lambda d: d.where)
def test_a_step_asks_only_for_fixtures_and_the_values_of_its_text(definition: StepDefinition) -> None:
    known = SUITE_FIXTURES | STEP_FIXTURES | GIVEN_BY_STEPS | _step_values(definition) | {"request"}
    unknown = [name for name in definition.arguments if name not in known]
    assert not unknown, f"{definition.where} asks for {unknown}, which no fixture or step text gives"


@pytest.mark.parametrize("definition", step_definitions(), ids=lambda d: d.where)
def test_a_step_uses_every_argument_it_asks_for(definition: StepDefinition) -> None:
    used = {node.id for node in ast.walk(definition.function) if isinstance(node, ast.Name)}
    unused = [name for name in definition.arguments if name not in used]
    assert not unused, f"{definition.where} asks for {unused} and never uses them"


def test_no_step_module_knows_the_runs_composition() -> None:
    for path in STEPS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "run_parts" not in text and "RunParts" not in text, f"{path.name} reaches for the run's composition"


def test_no_class_of_the_suite_shares_its_name_with_another_class_of_the_package() -> None:
    def classes(path: Path) -> set[str]:
        return {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.ClassDef)}

    suite = {path: classes(path) for path in SUITE.glob("*.py")}
    others = {path: classes(path) for path in PACKAGE.rglob("*.py") if path.parent != SUITE}
    for path, names in suite.items():
        for other, other_names in [*others.items(), *((p, n) for p, n in suite.items() if p != path)]:
            shared = names & other_names
            assert not shared, f"{path.name} and {other.relative_to(PACKAGE)} both define {sorted(shared)}"
