"""The suite catches broken targets: each sandbox fault fails the rule it breaks, by name.

Each case runs ``sfc-conformance run`` in a subprocess against the embedded
sandbox with one fault injected, restricted to the broken rule's scenarios.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sfc_conformance.rules import RULES
from sfc_conformance.sandbox.faults import FAULTS


def run_suite(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sfc_conformance.cli", "run", *arguments],
                          capture_output=True, text=True, timeout=300, check=False)


def verdict_of(output: str, rule_id: str) -> str:
    match = re.search(rf"^{re.escape(rule_id)}\s+(MUST|SHOULD)\s+(\S+)", output, re.MULTILINE)
    assert match, f"no verdict line for {rule_id} in:\n{output[-3000:]}"
    return match.group(2)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_fails_the_rule_it_breaks(fault: str) -> None:
    rule = RULES[FAULTS[fault][0]]
    result = run_suite("--sandbox-fault", fault, "--tags", rule.id)
    if rule.must:
        assert result.returncode == 1, f"{fault}: exit {result.returncode}\n{result.stdout[-3000:]}{result.stderr}"
        assert verdict_of(result.stdout, rule.id) == "FAIL"
        assert f"FAILED: {rule.id}" in result.stdout
    else:
        assert result.returncode == 0, f"{fault}: a SHOULD rule must only warn\n{result.stdout[-3000:]}"
        assert verdict_of(result.stdout, rule.id) == "warn"
        strict = run_suite("--sandbox-fault", fault, "--tags", rule.id, "--strict")
        assert strict.returncode == 1, f"{fault} under --strict: exit {strict.returncode}\n{strict.stdout[-3000:]}"
        assert verdict_of(strict.stdout, rule.id) == "FAIL"
    assert "breaks: " + rule.sentence[:40] in result.stdout


def test_every_fault_breaks_a_known_rule() -> None:
    assert {rule for rule, _ in FAULTS.values()} <= set(RULES)


def test_the_healthy_sandbox_passes_every_rule() -> None:
    result = run_suite()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    for rule_id in RULES:
        assert verdict_of(result.stdout, rule_id) in ("pass", "n/a"), rule_id
    assert "FAIL" not in result.stdout


def test_the_flow_pages_meet_every_rule_the_api_meets() -> None:
    """The whole suite with the merchant on the sandbox's pages instead of the API (FLOW-1 at scale)."""
    result = run_suite("--merchant-driver", "pages")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "FAIL" not in result.stdout
