"""`grep -rn RULE-ID src/sfc_conformance/sandbox` lands on the code that enforces the rule.

Every rule `sfc-conformance run` judges is one the sandbox enforces (it is the
target the suite is proven against, fault by fault), so each must sit in a
comment beside the sandbox's code: a comment at the end of a line of code, or
a comment block right above one.  Docstrings do not count, nor do the fault
catalog, the policy and the layer that reshapes answers for faults, which name
rules without enforcing any.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from pathlib import Path

import pytest

import sfc_conformance.sandbox
from sfc_conformance.core.profile import NOT_BUILT, RULES, SUITE_RULES
from sfc_conformance.sandbox.faults import CHANGES, FAULTS, VARIANTS
from sfc_conformance.sandbox.policy import Policy

SANDBOX = Path(sfc_conformance.sandbox.__file__).parent
NOT_ENFORCING = {"faults.py", "policy.py", "shapes.py"}  # they name rules; they enforce none
FAMILIES = "|".join(sorted({rule_id.split("-")[0] for rule_id in RULES}))  # URL, OTP, ... (not UTF-8)
RULE_ID = re.compile(rf"(?<![\w-])((?:{FAMILIES})-\d+)(?![\w-]|\.\.)")  # an id, not the start of a range "OTP-1..5"
ENFORCED = sorted(set(SUITE_RULES) - NOT_BUILT)  # a rule the suite has no scenario for is judged by nobody yet


def _ids_beside_code(source: str) -> set[str]:
    """Rule ids in comments that sit at the end of a line of code or in a block right above one."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    code_lines = {token.start[0] for token in tokens
                  if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                        tokenize.DEDENT, tokenize.ENDMARKER)}
    comment_lines = {token.start[0]: token.string for token in tokens if token.type == tokenize.COMMENT}
    found: set[str] = set()
    for line, text in comment_lines.items():
        below = line + 1
        while below in comment_lines and below not in code_lines:
            below += 1
        if line in code_lines or below in code_lines:
            found |= set(RULE_ID.findall(text))
    return found


def _where_enforced() -> dict[str, list[str]]:
    places: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SANDBOX.glob("*.py")):
        if path.name in NOT_ENFORCING:
            continue
        for rule_id in _ids_beside_code(path.read_text(encoding="utf-8")):
            places[rule_id].append(path.name)
    return places


WHERE = _where_enforced()


def test_every_rule_with_a_sandbox_fault_is_one_the_sandbox_enforces() -> None:
    assert {rule for rule, _ in FAULTS.values()} <= set(ENFORCED)


@pytest.mark.parametrize("rule_id", ENFORCED)
def test_grep_finds_the_sandbox_code_that_enforces_each_rule(rule_id: str) -> None:
    assert WHERE.get(rule_id), (f"no comment beside the sandbox's code names {rule_id}: "
                                f"grep -rn {rule_id} {SANDBOX} should land where it is enforced")


def test_the_comments_name_only_rules_of_the_profile() -> None:
    unknown = sorted(set(WHERE) - set(SUITE_RULES))
    assert not unknown, f"sandbox comments name rules the profile does not have: {unknown}"


def test_a_comment_only_counts_beside_code() -> None:
    source = '"""OTP-1 in a docstring."""\n# OTP-2 above code\nx = 1  # OTP-3 beside code\n# OTP-4 above nothing\n'
    assert _ids_beside_code(source) == {"OTP-2", "OTP-3"}


# -- the policy: the one seam faults enter by ---------------------------------------------------


def test_every_fault_and_variant_changes_the_policy() -> None:
    assert set(CHANGES) == set(FAULTS) | set(VARIANTS)
    healthy = Policy()
    fields = set(Policy.__dataclass_fields__)
    for name, changes in CHANGES.items():
        assert changes and set(changes) <= fields, name
        assert Policy.of([name]) != healthy, f"{name} leaves the policy healthy"


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="no-such-fault"):
        Policy.of(["no-such-fault"])
