"""The consumer's feature reads like the profile, and its steps say which rules they judge.

Every kind of delivery an outline names is one the suite makes (:data:`~sfc_conformance.consumer.deliveries.KINDS`),
tagged with the rule that judges it, and every kind the suite makes is named: ``SENT_FOR`` counts exactly what the
scenarios send.  As for ``run``'s steps (tests/test_steps_name_their_rules.py), every Then step's docstring opens
with the ids of the rules of the scenarios that use it.  Read from the sources: nothing here imports the steps.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from pytest_bdd import parsers
from pytest_bdd.feature import get_features
from pytest_bdd.parsers import StepParser

from sfc_conformance.consumer.deliveries import KINDS
from sfc_conformance.consumer.endpoint import BURST, MAX_DELIVERIES, SENT_FOR
from sfc_conformance.core.profile import CONSUMER_RULES, RULE_TAG

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "features" / "consumer"
STEPS = ROOT / "src" / "sfc_conformance" / "consumer" / "scenarios.py"
NAMED = re.compile(r"^((?:[A-Z]+-\d+)(?:,\s+[A-Z]+-\d+)*): \S")


def _rows() -> list[tuple[str, set[str], dict[str, str], list[tuple[str, str]]]]:
    """(scenario name, its rules, an example's values, its steps as (type, text)) for every scenario run."""
    found = []
    for feature in get_features([str(FEATURES)]):
        for scenario in feature.scenarios.values():
            contexts = [(context, examples.tags) for examples in scenario.examples
                        for context in examples.as_contexts()] or [({}, set())]
            for context, block_tags in contexts:
                rules = {tag for tag in scenario.tags | block_tags if RULE_TAG.match(tag)}
                steps = [(step.type, step.name) for step in scenario.render(context).steps]
                found.append((scenario.name, rules, context, steps))
    return found


def _thens() -> list[tuple[StepParser, ast.FunctionDef]]:
    found: list[tuple[StepParser, ast.FunctionDef]] = []
    for node in ast.walk(ast.parse(STEPS.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name) and decorator.func.id == "then":
                pattern = decorator.args[0]
                assert isinstance(pattern, ast.Constant) and isinstance(pattern.value, str), ast.dump(decorator)
                found.append((parsers.string(pattern.value), node))
    return found


def test_every_kind_of_delivery_is_named_once_under_its_rule() -> None:
    named: dict[str, set[str]] = defaultdict(set)
    for _, rules, context, _ in _rows():
        if "delivery" in context:
            named[context["delivery"]] |= rules
    assert set(named) == set(KINDS), f"named but not made: {set(named) - set(KINDS)}; " \
                                     f"made but not named: {set(KINDS) - set(named)}"
    assert {kind: rules for kind, rules in named.items()} == {kind: {made.rule} for kind, made in KINDS.items()}


def test_what_the_scenarios_send_is_what_the_check_promises() -> None:
    """One delivery per scenario run, but the burst's; the first delivery is PWH-1's first scenario's."""
    sent: dict[str, int] = defaultdict(int)
    for _, rules, _, steps in _rows():
        (rule,) = rules
        sent[rule] += BURST if any("at once" in text for _, text in steps) else 1
    assert dict(sent) == SENT_FOR
    assert sum(SENT_FOR.values()) == MAX_DELIVERIES <= 4 * 12  # a few dozen deliveries, no more


def test_every_then_step_names_exactly_the_rules_it_judges() -> None:
    served: dict[str, set[str]] = defaultdict(set)
    thens = _thens()
    for _, rules, _, steps in _rows():
        for kind, text in steps:
            if kind == "then":
                matching = [function.name + str(function.lineno) for parser, function in thens
                            if parser.is_matching(text)]
                assert len(matching) == 1, text
                served[matching[0]] |= rules
    for _, function in thens:
        where = f"{STEPS.name}:{function.lineno}"
        match = NAMED.match(ast.get_docstring(function) or "")
        assert match, f"{where}: the docstring opens with the rules the step judges, as 'PWH-1: …'"
        named = re.split(r",\s+", match.group(1))
        assert set(named) == served[function.name + str(function.lineno)], where
        assert named == sorted(named, key=list(CONSUMER_RULES).index), f"{where}: in the profile's order"


def test_the_readme_says_how_many_requests_a_check_sends() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own webhook endpoint", 1)[1].split("\n## ", 1)[0]
    assert f"At most {MAX_DELIVERIES} requests" in section
    counted = re.findall(r"^\| (\d+) \| .* \| (PWH-\d) \| (?:MUST|SHOULD) \|", section, re.MULTILINE)
    assert {rule: int(count) for count, rule in counted} == SENT_FOR
