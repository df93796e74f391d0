"""The suite catches broken targets: the kill matrix over the whole fault catalog.

``selftest.run_matrix`` runs the suite against the clean embedded sandbox, every
conforming variant and every fault of the catalog, each in a process of its own;
the gate fails on any surviving fault or any failure of the clean sandbox.  The other tests hold the judging
rule itself (an unrelated failure never counts as a kill), the catalog's
coverage of the profile, and the command line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from sfc_conformance.commands import selftest
from sfc_conformance.commands.selftest import (
    BROKEN,
    CLEAN,
    KILLED,
    MISJUDGED,
    NOT_OBSERVABLE,
    SURVIVED,
    UNSEEN,
    Case,
    Result,
    judge,
)
from sfc_conformance.core.profile import NOT_BUILT, RULES, SUITE_RULES
from sfc_conformance.sandbox.faults import EXPOSED_BY, FAULTS, LIVE_BLIND, VARIANTS


def run_suite(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sfc_conformance", "run", *arguments],
                          capture_output=True, text=True, timeout=300, check=False)


def verdict_of(output: str, rule_id: str) -> str:
    match = re.search(rf"^{re.escape(rule_id)}\s+(MUST|SHOULD)\s+(\S+)", output, re.MULTILINE)
    assert match, f"no verdict line for {rule_id} in:\n{output[-3000:]}"
    return match.group(2)


# -- the gate ---------------------------------------------------------------------------------


def test_the_kill_matrix_kills_every_fault_and_passes_the_clean_sandbox() -> None:
    """``sfc-conformance selftest`` in-process: every fault of the catalog killed by its rule (a SHOULD fault warned,
    failing nothing), the clean sandbox and every conforming variant passing.  One test, not one per fault: under
    pytest-xdist a per-fault fixture would run the matrix per worker.  Over HTTP the release run proves every MUST
    fault again (``tox -e selftest-live``), and the OTP timing faults on a busy machine (``tox -e selftest-busy``)."""
    results = selftest.run_matrix(selftest.cases(), jobs=2)
    table = "\n".join([selftest.HEADER, *map(selftest.row, results), *selftest.summary(results)])
    assert len(results) == len(FAULTS) + len(VARIANTS) + 1
    for result in results:
        if result.case.fault is None:  # the clean sandbox and every conforming variant
            assert result.status == CLEAN, f"{result.case.name} did not pass:\n{table}"
            continue
        assert result.status == KILLED, f"{result.case.name} was not killed:\n{table}"
        assert result.case.rule in result.reported, table


# -- the judging rule --------------------------------------------------------------------------


def statuses(**given: str) -> dict[str, str]:
    return {rule_id: given.get(rule_id.replace("-", "_"), "pass") for rule_id in RULES}


def test_a_must_fault_is_killed_only_when_its_own_rule_fails() -> None:
    case = Case("otp-lasts-too-long")  # breaks OTP-2
    assert judge(case, 1, statuses(OTP_2="FAIL"), live=False) == (KILLED, "")
    status, why = judge(case, 1, statuses(URL_1="FAIL"), live=False)
    assert status == SURVIVED and "OTP-2 pass" in why
    assert judge(case, 0, statuses(OTP_2="warn"), live=False)[0] == SURVIVED


def test_a_should_fault_is_killed_when_its_rule_warns() -> None:
    case = Case("otp-reusable")  # breaks OTP-5, a SHOULD rule
    assert judge(case, 0, statuses(OTP_5="warn"), live=False)[0] == KILLED
    assert judge(case, 0, statuses(), live=False)[0] == SURVIVED


def test_a_should_fault_that_fails_the_run_is_misjudged() -> None:
    """No SHOULD rule may fail a run without --strict: the old DEL-1 failed on an unsigned delivery."""
    status, why = judge(Case("unsigned-webhooks"), 1, statuses(DEL_4="warn", DEL_1="FAIL"), live=False)
    assert status == MISJUDGED and "DEL-1" in why
    # Also when its own rule could not be judged because of it (no delivery reached the receiver in time).
    assert judge(Case("unsigned-webhooks"), 1, statuses(DEL_4="n/a", DEL_1="FAIL"), live=True)[0] == MISJUDGED


def test_a_should_fault_runs_the_whole_suite_and_a_must_fault_only_its_rule() -> None:
    assert Case("unsigned-webhooks").tags("rule") is None
    assert Case("redirect-dropped").tags("rule") == "URL-4"
    assert Case(None, "unknown-fields").tags("rule") is None


def test_a_must_fault_run_of_its_rule_stops_at_the_rule_s_first_failure_and_no_other_run_stops() -> None:
    assert Case("redirect-dropped").stops_at("rule") == "URL-4"
    assert Case("redirect-dropped").stops_at("full") is None  # the whole suite: every rule the fault disturbs
    assert Case("unsigned-webhooks").stops_at("rule") is None  # a SHOULD fault must fail nothing, to the end
    assert Case(None).stops_at("rule") is None and Case(None, "unknown-fields").stops_at("rule") is None


class _Verdict:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses

    def status(self, rule_id: str) -> str:
        return self.statuses.get(rule_id, "not run")


def _session_after(verdict: _Verdict) -> Any:
    """A pytest session as the reader sees it once a scenario has ended, the suite's plugin holding ``verdict``."""
    plugin = SimpleNamespace(verdict=verdict)
    manager = SimpleNamespace(get_plugin=lambda name: plugin)
    return SimpleNamespace(config=SimpleNamespace(pluginmanager=manager), shouldfail=False)


@pytest.mark.parametrize(("stop_at", "verdict", "stops"), [
    ("URL-4", _Verdict({"URL-4": "FAIL"}), True),
    ("URL-4", _Verdict({"URL-4": "pass"}), False),  # not yet: its other scenarios may still fail it
    ("URL-4", _Verdict({"URL-4": "in part"}), False),
    ("URL-4", _Verdict({"API-1": "FAIL"}), False),  # another rule's failure kills nothing: the run goes on
    (None, _Verdict({"URL-4": "FAIL"}), False),
])
def test_the_reader_stops_the_run_once_the_fault_s_rule_has_failed(stop_at: str | None, verdict: _Verdict,
                                                                   stops: bool) -> None:
    reader = selftest._VerdictReader(stop_at=stop_at)  # noqa: SLF001 - the plugin run_case hands to pytest
    session = _session_after(verdict)
    reader.pytest_sessionstart(session)
    reader.pytest_runtest_logfinish()
    assert bool(session.shouldfail) is stops, session.shouldfail


def test_a_rule_the_target_cannot_show_is_neither_killed_nor_survived() -> None:
    assert judge(Case("no-success-page"), 0, statuses(FLOW_2="n/a"), live=True)[0] == NOT_OBSERVABLE
    status, why = judge(Case("otp-lasts-31s"), 0, statuses(), live=True)
    assert status == NOT_OBSERVABLE and "31 s" in why
    assert judge(Case("otp-lasts-31s"), 0, statuses(), live=False)[0] == SURVIVED


@pytest.mark.parametrize("seen", ["n/a", "not run"])
def test_a_fault_the_embedded_sandbox_cannot_show_fails_the_matrix(seen: str) -> None:
    status, why = judge(Case("no-success-page"), 0, statuses(FLOW_2=seen), live=False)
    assert status == UNSEEN and "FLOW-2" in why and seen in why
    assert selftest.Result(Case("no-success-page"), status, 0).bad


def test_a_variant_must_pass_like_the_clean_sandbox() -> None:
    assert judge(Case(None, "enabled-spelling"), 0, statuses(), live=False)[0] == CLEAN
    assert judge(Case(None, "enabled-spelling"), 1, statuses(READY_1="FAIL"), live=False)[0] == BROKEN


def test_the_clean_sandbox_must_pass_without_a_warning() -> None:
    assert judge(Case(None), 0, statuses(), live=False)[0] == CLEAN
    assert judge(Case(None), 0, statuses(OTP_6="warn"), live=False)[0] == BROKEN
    assert judge(Case(None), 1, statuses(API_5="FAIL"), live=False)[0] == BROKEN


def test_selftest_exits_1_and_shows_the_survivor(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def fake_matrix(chosen: list[Case], **options: Any) -> list[Result]:
        made = [Result(Case(None), CLEAN, 0), Result(Case("redirect-dropped"), SURVIVED, 0, [], 1.0,
                                                          "exit 0; URL-4 pass", "URL-4    MUST   pass")]
        for result in made:
            options["on_result"](result)
        return made

    monkeypatch.setattr(selftest, "run_matrix", fake_matrix)
    from sfc_conformance.commands.cli import main

    assert main(["selftest", "--fault", "redirect-dropped", "--jobs", "1"]) == 1
    shown = capsys.readouterr().out
    assert re.search(r"^redirect-dropped\s+URL-4\s+MUST\s+SURVIVED", shown, re.MULTILINE)
    assert "MUST faults killed: 0/1" in shown
    assert "--- redirect-dropped: last lines of its run ---" in shown


# -- the catalog ---------------------------------------------------------------------------------


def test_the_catalog_holds_a_fault_for_every_must_rule() -> None:
    """No blind spot: RULES is the profile's list (test_rule_coverage proves it), so this is the profile's.

    The partner endpoint's rules have a catalog of their own: tests/test_consumer_faults.py.  A rule the suite
    has no scenario for yet (NOT_BUILT: its verdict says "not built") gets its faults with its scenarios."""
    broken = {rule for rule, _ in FAULTS.values()}
    missing = [r.id for r in SUITE_RULES.values() if r.must and r.id not in broken and r.id not in NOT_BUILT]
    assert not missing, f"MUST rules with no fault in the catalog: {missing}"


def test_every_fault_names_a_known_rule_and_says_what_it_does() -> None:
    for name, (rule, does) in FAULTS.items():
        assert rule in RULES, name
        assert does and not does.endswith("."), name
    assert set(EXPOSED_BY) <= set(FAULTS) and set(LIVE_BLIND) <= set(FAULTS)
    assert not set(VARIANTS) & set(FAULTS)
    for name, does in VARIANTS.items():
        assert does and not does.endswith("."), name


def test_an_unknown_fault_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from sfc_conformance.commands.cli import main

    assert main(["selftest", "--fault", "no-such-fault"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no-such-fault" in err


# -- what the kill looks like to a partner ------------------------------------------------------


@pytest.mark.parametrize(("options", "level", "also", "variants"), [
    (["--level", "must"], "MUST", [], 0),
    (["--level", "SHOULD", "--variant", "unknown-fields"], "SHOULD", [], 1),
    (["--level", "should", "--fault", "otp-lasts-33s"], "SHOULD", ["otp-lasts-33s"], 0),
])
def test_level_names_every_fault_of_that_level(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                               options: list[str], level: str, also: list[str],
                                               variants: int) -> None:
    from sfc_conformance.commands.cli import main

    chosen: list[Case] = []

    def no_runs(cases: list[Case], **_: Any) -> list[Result]:
        chosen.extend(cases)
        return []

    monkeypatch.setattr(selftest, "run_matrix", no_runs)
    assert main(["selftest", *options]) == 0
    faults = [case.fault for case in chosen if case.fault]
    of_level = [name for name, (rule, _) in sorted(FAULTS.items()) if RULES[rule].level == level]
    assert sorted(faults) == sorted([*of_level, *also]), faults
    assert sum(1 for case in chosen if case.variant) == variants
    assert chosen[0] == Case(None)  # the clean sandbox, always
    assert f"kill matrix: {len(faults)} faults, {variants} conforming variants" in capsys.readouterr().out


@pytest.mark.release
def test_selftest_runs_from_the_command_line() -> None:
    result = subprocess.run([sys.executable, "-m", "sfc_conformance", "selftest", "--jobs", "2",
                             "--fault", "otp-five-digits", "--fault", "otp-reusable"],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\(clean sandbox\)\s+-\s+clean", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^otp-five-digits\s+URL-2\s+MUST\s+killed\s+URL-2\b", result.stdout, re.MULTILINE)
    assert re.search(r"^otp-reusable\s+OTP-5\s+SHOULD\s+killed\s+OTP-5\b", result.stdout, re.MULTILINE)
    assert "MUST faults killed: 1/1" in result.stdout and "SHOULD faults warned, failing no run: 1/1" in result.stdout


def test_the_full_scope_reports_every_rule_a_fault_disturbs() -> None:
    (result,) = selftest.run_matrix([Case("no-commerce-connection")], scope="full")
    assert result.status == KILLED
    assert {"LINK-1", "READY-1"} <= set(result.reported), result.reported


def test_over_http_a_target_refusing_in_plain_text_is_judged_by_api_3_not_turned_away() -> None:
    (result,) = selftest.run_matrix([Case("plain-text-errors")], live=True)
    assert result.status == KILLED, (result.reason, result.output_tail)
    assert result.reported == ["API-3"]


@pytest.mark.release
def test_a_failed_rule_names_its_sentence() -> None:
    rule = RULES["URL-4"]
    result = run_suite("--sandbox-fault", "redirect-dropped", "--tags", rule.id)
    assert result.returncode == 1
    assert verdict_of(result.stdout, rule.id) == "FAIL"
    assert f"FAILED: {rule.id}" in result.stdout
    assert "breaks: " + rule.sentence[:40] in result.stdout


def test_a_should_fault_fails_the_run_under_strict() -> None:
    result = run_suite("--sandbox-fault", "otp-reusable", "--tags", "OTP-5", "--strict")
    assert result.returncode == 1, result.stdout[-3000:]
    assert verdict_of(result.stdout, "OTP-5") == "FAIL"


@pytest.mark.release
def test_the_flow_pages_meet_every_rule_the_api_meets() -> None:
    """The whole suite with the merchant on the sandbox's pages instead of the API (FLOW-1 at scale)."""
    result = run_suite("--merchant-driver", "pages")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "FAIL" not in result.stdout
