"""Profile v3, "Verdicts that do not bend": a rule judged in part says so, is never a plain pass, and exits 3.

Also OTP-6 as version 3 words it (a wrapping counter is a progression), the late open's aim and band, and
the rules version 3 added that have no scenario yet ("not built", never pass).
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from junitparser import JUnitXml, Properties, TestCase

from sfc_conformance.commands.run import UNSURE_EXIT, run_scenarios
from sfc_conformance.core.profile import (
    FAIL,
    IN_PART,
    LATE_OPEN_AT,
    LATE_OPEN_BAND,
    LATE_OPEN_LATEST,
    NA,
    NOT_BUILT,
    NOT_BUILT_REASON,
    NOT_BUILT_STATUS,
    PASS,
    RULES,
    UNJUDGED,
    Outcome,
    RunFacts,
    Verdict,
    late_open_due,
    progression,
)
from sfc_conformance.merchant.punctual import Timed
from sfc_conformance.merchant.view import PlainView
from sfc_conformance.report.files import ReportFiles
from sfc_conformance.report.page import render
from sfc_conformance.suite.merchants import FlowUrl
from sfc_conformance.suite.timed_opens import EXPIRED, LATE, Window
from sfc_conformance.verdicts import VerdictRecorder

MISSED = "the late open came 29.40 s after the start call (due 27.20 s), answered by 29.45 s"


def verdict_of(*outcomes: tuple[str, Outcome]) -> Verdict:
    verdict = Verdict()
    for rule_id, outcome in outcomes:
        verdict.add([rule_id], outcome)
    return verdict


# -- a rule's verdict from its scenarios ----------------------------------------------------------------


def test_a_rule_with_a_scenario_not_judged_is_in_part_never_a_plain_pass() -> None:
    verdict = verdict_of(("OTP-1", Outcome("now", PASS)), ("OTP-1", Outcome("late", UNJUDGED, reason=MISSED)),
                         ("OTP-1", Outcome("exact", NA, reason="needs the sandbox's clock")))
    assert verdict.status("OTP-1") == IN_PART
    assert verdict.note("OTP-1") == f"pass (1 of 2 judged; {MISSED})"
    assert [rule.id for rule in verdict.unsure_musts()] == ["OTP-1"]
    assert verdict.passed and not verdict.failed_musts()  # it fails nothing either
    line = next(line for line in verdict.table() if line.startswith("OTP-1"))
    assert line.split()[2:4] == ["in", "part"]  # the verdict column: never "pass"


def test_a_rule_whose_scenarios_were_all_not_judged_says_so() -> None:
    verdict = verdict_of(("OTP-1", Outcome("late", UNJUDGED, reason=MISSED)),
                         ("OTP-1", Outcome("exact", NA, reason="needs the sandbox's clock")))
    assert verdict.status("OTP-1") == UNJUDGED
    assert verdict.note("OTP-1") == f"not judged: {MISSED}"
    assert [rule.id for rule in verdict.unsure_musts()] == ["OTP-1"]


def test_n_a_scenarios_the_target_does_not_allow_leave_a_plain_pass() -> None:
    verdict = verdict_of(("OTP-2", Outcome("live", PASS)), ("OTP-2", Outcome("exact", NA, reason="no clock")))
    assert verdict.status("OTP-2") == PASS
    assert not verdict.unsure_musts()


def test_a_failure_outweighs_what_was_not_judged() -> None:
    verdict = verdict_of(("OTP-1", Outcome("now", FAIL, saw="refused")),
                         ("OTP-1", Outcome("late", UNJUDGED, reason=MISSED)))
    assert verdict.status("OTP-1") == FAIL
    assert not verdict.passed


def test_a_should_rule_judged_in_part_does_not_change_the_exit_code() -> None:
    verdict = verdict_of(("OTP-5", Outcome("again", PASS)), ("OTP-5", Outcome("again, late", UNJUDGED, reason="x")))
    assert verdict.status("OTP-5") == IN_PART
    assert not verdict.unsure_musts()


def test_the_rules_not_built_yet_read_not_built_with_the_reason_and_fail_nothing() -> None:
    assert NOT_BUILT <= set(RULES)
    # Every rule of profile v3 has its scenarios now: a rule a later profile adds is listed until it has too.
    verdict = Verdict(not_built=frozenset({"CUST-5"}))
    for rule_id in verdict.not_built:
        assert verdict.status(rule_id) == NOT_BUILT_STATUS
        assert verdict.note(rule_id) == NOT_BUILT_REASON
    assert verdict.status("URL-1") == "not run"  # a built rule no scenario ran is another matter
    assert verdict.passed and not verdict.unsure_musts()


def test_the_html_page_shows_a_rule_judged_in_part_and_does_not_say_pass() -> None:
    verdict = verdict_of(("OTP-1", Outcome("now", PASS)), ("OTP-1", Outcome("late", UNJUDGED, reason=MISSED)))
    now = datetime(2026, 12, 7, tzinfo=UTC)
    page = render(verdict, RunFacts("live", "http://127.0.0.1:1", now, now))
    assert "<title>sfc-conformance: NOT WHOLLY JUDGED (live target)</title>" in page
    assert 'class="badge in-part">in part</span>' in page
    assert "pass (1 of 2 judged; the late open came 29.40 s" in page


# -- the exit code and JUnit, through a real pytest run ----------------------------------------------------


class _Recorder(VerdictRecorder):
    def facts(self) -> RunFacts:
        now = datetime.now(UTC)
        return RunFacts("embedded", "", now, now)


SCENARIOS = textwrap.dedent('''
    import pytest
    from sfc_conformance.verdicts import not_judged

    OTP1 = getattr(pytest.mark, "OTP-1")

    @OTP1
    @pytest.mark.must
    def test_straight_away():
        pass

    @OTP1
    @pytest.mark.must
    def test_late_in_the_window():
        not_judged("the late open missed the 20-28 s band 2 times on this machine: {missed}")
''').format(missed=MISSED)


def _run(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, _Recorder, str]:
    scenarios = tmp_path / f"test_{tmp_path.name}.py"  # a module name of its own: pytest runs in this process
    scenarios.write_text(body, encoding="utf-8")
    recorder = _Recorder({"OTP-1": RULES["OTP-1"]})
    junit = tmp_path / "junit.xml"
    code = run_scenarios([str(scenarios), "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--assert=plain",
                          "--import-mode=importlib",
                          "-o", "markers=OTP-1\n  must", f"--rootdir={tmp_path}"],
                         ReportFiles(None, str(junit)), [recorder])
    return code, recorder, capsys.readouterr().out


def _properties(case: TestCase) -> set[tuple[str, str]]:
    found = case.child(Properties)
    return {(p.name, p.value) for p in found} if found is not None else set()


def test_a_must_rule_judged_in_part_exits_3_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, recorder, out = _run(tmp_path, SCENARIOS, capsys)
    assert code == UNSURE_EXIT == 3
    assert recorder.verdict.status("OTP-1") == IN_PART
    assert "pass (1 of 2 judged; the late open missed the 20-28 s band 2 times" in out, out
    assert "NOT WHOLLY JUDGED: OTP-1" in out
    cases = {case.name: case for suite in JUnitXml.fromfile(str(tmp_path / "junit.xml")) for case in suite}
    late = cases["test_late_in_the_window"]
    assert ("judged", "no") in _properties(late)
    assert str(late.result[0].message).startswith("not judged: the late open missed")
    assert ("judged", "no") not in _properties(cases["test_straight_away"])


def test_the_same_rule_wholly_judged_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, recorder, _ = _run(tmp_path, SCENARIOS.replace("not_judged(", "print("), capsys)
    assert code == 0
    assert recorder.verdict.status("OTP-1") == PASS


# -- OTP-6, version 3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("otps", [
    ["999998", "999999", "000000", "000001", "000002"],  # a counter that wraps
    ["000005", "000003", "000001", "999999"],  # counting down, and wrapping
    ["123456", "123463", "123470"],
    ["990000", "000000", "010000"],  # steps of 10000 across the wrap
])
def test_otp_6_finds_a_progression_modulo_ten_to_the_digits(otps: list[str]) -> None:
    assert progression(otps) is not None


@pytest.mark.parametrize("otps", [
    ["482913", "019384", "771205", "300118"],
    ["000001", "000002", "000004"],
    ["123456", "654321"],  # two tell nothing
])
def test_otp_6_passes_what_is_no_progression(otps: list[str]) -> None:
    assert progression(otps) is None


# -- OTP-1's late open: its aim, and its band ------------------------------------------------------------------


def test_the_late_open_is_aimed_late_in_the_band_and_later_when_the_answer_was_slow() -> None:
    assert late_open_due(100.0, 100.01) == pytest.approx(100.0 + LATE_OPEN_AT)
    assert late_open_due(100.0, 100.3) == pytest.approx(100.3 + 27.1)  # at least 27.1 s old on arrival
    assert late_open_due(100.0, 103.0) == pytest.approx(100.0 + LATE_OPEN_LATEST)  # never past 27.6 s
    assert LATE_OPEN_BAND[0] < LATE_OPEN_AT < LATE_OPEN_LATEST < LATE_OPEN_BAND[1]


def _timed(sent: float, answered: float, judgement: str = "refused") -> Timed:
    return Timed(PlainView("http://t/flow?otp=123456", 401 if judgement == "refused" else 200, judgement, "seen"),
                 sent, sent, answered)


@pytest.mark.parametrize(("window", "sent", "answered", "judgement", "judged"), [
    (LATE, 27.2, 27.25, "refused", True),  # on time, answered inside the band: a refusal fails OTP-1
    (LATE, 27.2, 28.0, "refused", True),
    (LATE, 27.2, 28.01, "refused", False),  # answered after 28 s: a refusal proves nothing
    (LATE, 27.2, 29.5, "opens", True),  # it still worked at 27.2 s, whenever the answer came
    (LATE, 25.0, 25.05, "opens", False),  # early: it proves less than it was due to
    (LATE, 27.2, 27.3, "undecided", False),  # a page left unsettled tells nothing either way
    (EXPIRED, 31.2, 31.3, "refused", True),  # refused inside 31-33 s: an OTP that lives 33 s cannot pass
    (EXPIRED, 31.2, 33.5, "refused", False),  # refused at 33.5 s: one that lives 33 s would pass too
    (EXPIRED, 31.3, 45.0, "opens", True),  # it still worked after the window: a failure, whenever it came
])
def test_a_timed_open_is_judged_only_when_its_timing_can_show_what_it_showed(
        window: Window, sent: float, answered: float, judgement: str, judged: bool) -> None:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    flow = FlowUrl("http://t/flow?otp=123456", start, start)  # the answer came at once
    due = window.due(flow)
    assert due - start.timestamp() == pytest.approx(27.2 if window is LATE else 31.2)
    timed = _timed(start.timestamp() + sent, start.timestamp() + answered, judgement)
    assert window.judged(flow, timed, due) is judged


def test_the_figures_say_when_the_open_came_against_its_due_time() -> None:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    flow = FlowUrl("http://t/flow?otp=123456", start, start + timedelta(milliseconds=10))
    timed = _timed(start.timestamp() + 27.3, start.timestamp() + 27.35)
    assert LATE.figures(flow, timed, start.timestamp() + 27.2) == (
        "the late open came 27.30 s after the start call (due 27.20 s), answered by 27.35 s")
    assert EXPIRED.figures(flow, timed, start.timestamp() + 31.21).startswith(
        "the expired open came 27.29 s after the start call's answer (due 31.20 s)")
