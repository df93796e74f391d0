"""The catalog of broken consumers covers the partner endpoint's rules, each fault in one place.

That the check catches each of them is tests/test_consumer_command.py's job.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sfc_conformance.consumer import reference
from sfc_conformance.consumer.faults import FAULTS
from sfc_conformance.core.profile import CONSUMER_RULES


def test_every_rule_of_the_partner_endpoint_has_a_fault() -> None:
    assert {rule for rule, _ in FAULTS.values()} == set(CONSUMER_RULES)


def test_every_fault_names_a_consumer_rule_and_says_what_it_does() -> None:
    for name, (rule, does) in FAULTS.items():
        assert rule in CONSUMER_RULES, name
        assert does and not does.endswith("."), name


def test_each_fault_enters_the_reference_consumer_at_one_place_marked_with_its_rule() -> None:
    source = inspect.getsource(reference)
    for name, (rule, _) in FAULTS.items():
        lines = [line for line in source.splitlines() if f'"{name}" in self.faults' in line]
        assert len(lines) == 1, name
        assert f"# {rule}" in lines[0], lines[0]


def test_the_readme_lists_every_fault_with_its_rule() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own webhook endpoint", 1)[1].split("\n## ", 1)[0]
    listed = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (PWH-\d) \|", section, re.MULTILINE))
    assert listed == {name: rule for name, (rule, _) in FAULTS.items()}
