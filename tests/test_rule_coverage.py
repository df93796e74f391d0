"""Every rule of the profile is checked by a scenario tagged with its id and level."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from sfc_conformance.core.profile import CONSUMER_RULES, NOT_BUILT, RULE_TAG, RULES, SUITE_RULES

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT.parent / "shared" / "spec" / "sync-flow-profile.md"
LEVEL_TAGS = {"must": "MUST", "should": "SHOULD"}


def scenario_tags() -> list[tuple[str, set[str]]]:
    """(where, tags) for every Scenario / Scenario Outline in features/ and its subfolders, as pytest-bdd reads them;
    an outline's tags include those of its Examples blocks (one block a rule, as the model's scenarios have)."""
    return [(f"{Path(feature.filename).relative_to(ROOT)}:{scenario.line_number}",
             scenario.tags.union(*(examples.tags for examples in scenario.examples)))
            for feature in get_features([str(ROOT / "features")]) for scenario in feature.scenarios.values()]


def test_every_rule_tags_at_least_one_scenario() -> None:
    tagged = {tag for _, tags in scenario_tags() for tag in tags}
    missing = sorted(set(RULES) - tagged - NOT_BUILT)
    assert not missing, f"rules with no scenario: {missing}"


def test_a_rule_not_built_has_no_scenario_yet() -> None:
    """The list of rules without scenarios stays exact: a rule that gains one leaves it."""
    tagged = {tag for _, tags in scenario_tags() for tag in tags}
    assert NOT_BUILT <= set(RULES), f"unknown rules said to be not built: {sorted(NOT_BUILT - set(RULES))}"
    built = sorted(NOT_BUILT & tagged)
    assert not built, f"rules said to be not built have scenarios now (take them off NOT_BUILT): {built}"


def test_every_scenario_names_known_rules_with_their_level() -> None:
    for where, tags in scenario_tags():
        rules = {t for t in tags if RULE_TAG.match(t)}
        assert rules, f"{where} checks no rule"
        unknown = rules - set(RULES)
        assert not unknown, f"{where} names unknown rules {unknown}"
        levels = {LEVEL_TAGS[t] for t in tags if t in LEVEL_TAGS}
        assert levels == {RULES[r].level for r in rules}, f"{where}: level tags {levels} do not match {rules}"


def test_the_catalogue_holds_exactly_the_rules_of_the_profile() -> None:
    if not PROFILE.is_file():
        pytest.skip(f"the profile is not beside this checkout ({PROFILE})")
    text = PROFILE.read_text(encoding="utf-8")
    profile = dict(re.findall(r"\*\*([A-Z]+-\d+) (MUST|SHOULD)\*\*", text))
    assert {r.id: r.level for r in RULES.values()} == profile


def _mentioned(rule_id: str, folder: Path) -> bool:
    word = re.compile(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-]|\.\.)")  # not the start of a range "URL-1..URL-6"
    # The sandbox's fault catalog names every rule: it is not the code that enforces one.
    return any(word.search(path.read_text(encoding="utf-8")) for path in folder.rglob("*")
               if path.suffix in (".py", ".feature") and path.name != "faults.py")


@pytest.mark.parametrize("rule_id", sorted(set(SUITE_RULES) - NOT_BUILT))
def test_grep_finds_every_rule_in_its_scenario_its_steps_and_the_sandbox(rule_id: str) -> None:
    """The README's promise: `grep -rn RULE-ID features steps src` lands on all three."""
    places = {"features": ROOT / "features", "steps": ROOT / "steps",
              "the sandbox": ROOT / "src" / "sfc_conformance" / "sandbox"}
    for what, folder in places.items():
        assert _mentioned(rule_id, folder), f"{rule_id} appears nowhere in {what} ({folder})"


@pytest.mark.parametrize("rule_id", sorted(CONSUMER_RULES))
def test_grep_finds_every_consumer_rule_in_its_scenario_and_its_checks(rule_id: str) -> None:
    for what, folder in {"features": ROOT / "features", "src": ROOT / "src" / "sfc_conformance"}.items():
        assert _mentioned(rule_id, folder), f"{rule_id} appears nowhere in {what} ({folder})"


def test_the_readme_lists_every_rule_with_its_level_and_feature_files() -> None:
    rows = dict(re.findall(r"^\| ([A-Z]+-\d+) \| (.+?) \|$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M))
    assert set(rows) == set(RULES), f"README rule list differs: {sorted(set(rows) ^ set(RULES))}"
    for rule in RULES.values():
        cells = [cell.strip() for cell in rows[rule.id].split(" | ")]
        assert cells[0] == rule.level, f"README gives {rule.id} the level {cells[0]}"
        tagged = {where.split(":")[0] for where, tags in scenario_tags() if rule.id in tags}
        assert set(re.findall(r"`([^`]+\.feature)`", cells[-1])) == tagged, f"README's feature files for {rule.id}"
