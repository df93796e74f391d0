"""The rule id stands on the Then step that judges it: `grep -rn OTP-2 steps` lands on the judgement.

Every Then step's docstring opens with the ids of the rules it judges ("OTP-2, OTP-4, OTP-5: …"), and those are
exactly the rules of the scenarios that use it: a scenario that starts using a Then step for another rule fails
here until the step names that rule too, and a name no scenario needs any more fails as well.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from sfc_conformance.core.profile import RULE_TAG, SUITE_RULES
from tests.test_steps_ask_for_what_they_use import StepDefinition, step_definitions

ROOT = Path(__file__).resolve().parents[1]
NAMED = re.compile(r"^((?:[A-Z]+-\d+)(?:,\s+[A-Z]+-\d+)*): \S")  # a long list may run over lines


def _rules_served() -> dict[str, set[str]]:
    """For each Then step definition (by where it is), the rules of the scenarios whose Then steps it matches."""
    thens = [d for d in step_definitions() if d.kind == "then"]
    served: dict[str, set[str]] = defaultdict(set)
    for feature in get_features([str(ROOT / "features")]):
        if Path(feature.filename).parent.name == "consumer":  # another command's scenarios, steps of their own
            continue
        for scenario in feature.scenarios.values():
            # An Examples block may carry rule tags of its own (the model's scenarios: one block a rule).
            contexts = [(context, examples.tags) for examples in scenario.examples
                        for context in examples.as_contexts()] or [({}, set())]
            for context, block_tags in contexts:
                rules = {tag for tag in scenario.tags | block_tags if RULE_TAG.match(tag)}
                for step in scenario.render(context).steps:
                    if step.type != "then":
                        continue
                    matching = [d for d in thens if d.parser.is_matching(step.name)]
                    assert matching, f"no Then step matches {step.name!r} ({feature.filename})"
                    for definition in matching:
                        served[definition.where] |= rules
    return served


SERVED = _rules_served()
THENS = [d for d in step_definitions() if d.kind == "then"]


def _named(definition: StepDefinition) -> list[str]:
    match = NAMED.match(definition.docstring)
    return re.split(r",\s+", match.group(1)) if match else []


@pytest.mark.parametrize("definition", THENS, ids=lambda d: d.where)
def test_every_then_step_names_exactly_the_rules_it_judges(definition: StepDefinition) -> None:
    named = _named(definition)
    assert named, (f"{definition.where}: the docstring opens with the rules the step judges, as "
                   f"'{', '.join(sorted(SERVED[definition.where])) or 'RULE-1'}: …'")
    assert set(named) == SERVED[definition.where], (
        f"{definition.where} names {named}; the scenarios that use it judge {sorted(SERVED[definition.where])}")
    assert named == sorted(named, key=lambda rule: list(SUITE_RULES).index(rule)), (
        f"{definition.where}: name the rules in the profile's order")


@pytest.mark.parametrize("rule_id", sorted({rule for rules in SERVED.values() for rule in rules}))
def test_grep_for_a_rule_in_steps_lands_on_a_then_step_that_judges_it(rule_id: str) -> None:
    lines = [(path.name, number, line) for path in sorted((ROOT / "steps").glob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-]|\.\.)", line)]
    judging = {f"steps/{name}:{number}" for name, number, _ in lines}
    # Each Then step naming the rule: grep lands on a line of its docstring's opening list.
    spans = [{f"{d.where.split(':')[0]}:{line}" for line in range(d.function.body[0].lineno,
                                                                    (d.function.body[0].end_lineno or 0) + 1)}
             for d in THENS if rule_id in _named(d)]
    assert spans and all(span & judging for span in spans), f"grep -rn {rule_id} steps misses its judging Then steps"
