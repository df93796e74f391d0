"""Reports: the HTML page, JUnit XML with rule ids and levels, report files written whole, progress.

One embedded run with two sandbox faults (a MUST rule fails, a SHOULD rule
warns) produces the reports the module's first tests read; the rest build
pages from verdicts made here, or check the report folder up front.
"""

from __future__ import annotations

import base64
import html
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from junitparser import JUnitXml, Properties

from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.evidence import PNG_SIGNATURE, Screenshot
from sfc_conformance.core.profile import (
    CONSUMER_RULES,
    FAIL,
    NA,
    PASS,
    RULES,
    SUITE_RULES,
    WARN,
    Outcome,
    RunFacts,
    ScenarioRun,
    Verdict,
)
from sfc_conformance.core.secrets import Secret
from sfc_conformance.report.files import atomic_write
from sfc_conformance.report.page import render
from sfc_conformance.suite.progress import countdown
from tests.helpers import in_child, refused

FAULTS = ("wrong-total-results", "otp-reusable")  # API-4 (MUST) fails, OTP-5 (SHOULD) warns


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    reports = tmp_path_factory.mktemp("run") / "reports" / "nested"
    # The scenarios alone (--model-budget 0): what the reports show needs no model.
    done = in_child("run", "--report-dir", str(reports), "--model-budget", "0",
                    *[a for fault in FAULTS for a in ("--sandbox-fault", fault)])
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return done, reports


def test_the_run_writes_both_reports_and_nothing_else(faulty_run: tuple[subprocess.CompletedProcess[str], Path]
                                                      ) -> None:
    done, reports = faulty_run
    assert sorted(p.name for p in reports.iterdir()) == ["junit.xml", "report.html"]  # no temporary leftovers
    assert f"report: {reports / 'report.html'}" in done.stdout
    assert f"report: {reports / 'junit.xml'}" in done.stdout


def test_the_terminal_counts_scenarios_without_tracebacks(
        faulty_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, _ = faulty_run
    counts = re.findall(r"\[\s*(\d+)/(\d+)\]", done.stdout)
    assert counts, done.stdout[:2000]
    done_count, total = counts[-1]
    assert done_count == total
    assert "Traceback" not in done.stdout + done.stderr
    assert "def call_fixture_func" not in done.stdout  # pytest's own frames: the verdict says it better


def test_junit_carries_rule_ids_and_levels(faulty_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, reports = faulty_run
    cases = [case for suite in JUnitXml.fromfile(str(reports / "junit.xml")) for case in suite]
    assert len(cases) > 40
    seen_rules: set[str] = set()
    failed_rules: set[str] = set()
    for case in cases:
        found = case.child(Properties)
        assert found is not None, f"{case.name} has no properties"
        properties = [(p.name, p.value) for p in found]
        rules = {value for name, value in properties if name == "rule"}
        levels = [value for name, value in properties if name == "level"]
        assert rules and rules <= set(RULES), case.name
        assert len(levels) == 1 and levels[0] in ("MUST", "SHOULD"), case.name
        if all(RULES[r].level == "SHOULD" for r in rules):
            assert levels == ["SHOULD"], case.name
        else:
            assert levels == ["MUST"], case.name
        seen_rules |= rules
        if case.is_failure:
            failed_rules |= rules
    assert {"API-4", "OTP-5"} <= seen_rules
    assert failed_rules == {"API-4"}  # the SHOULD rule warns: a skip in JUnit, not a failure


class Resources(HTMLParser):
    """Everything in a page that a browser would fetch: tags that load, link targets, CSS urls."""

    LOADING_TAGS = {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source", "base"}

    def __init__(self) -> None:
        super().__init__()
        self.loading_tags: list[str] = []
        self.references: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.LOADING_TAGS:
            self.loading_tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster") and value is not None:
                self.references.append(value)
            if name == "style" and value:
                self.styles.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def test_the_html_report(faulty_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, reports = faulty_run
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert '<div class="big">FAIL</div>' in page
    assert re.search(r"1 rule not met: <a href=\"#rule-API-4\">API-4</a>", page)
    assert re.search(r'warned \(SHOULD\): <a href="#rule-OTP-5">OTP-5</a>', page)
    for rule_id in SUITE_RULES:  # the rules `run` judges; the partner endpoint's are `consumer`'s
        assert f'id="row-{rule_id}"' in page, rule_id
    assert not any(f'id="row-{rule_id}"' in page for rule_id in CONSUMER_RULES)
    sections = [html.unescape(row) for row in re.findall(r'<tr class="section"><td colspan="6">(.*?)</td></tr>', page)]
    for section in dict.fromkeys(rule.section for rule in SUITE_RULES.values()):
        assert re.sub(r"`([^`]+)`", r"<code>\1</code>", section) in sections, section  # names in backticks: code
    failure = page[page.index('id="rule-API-4"'):]
    assert "Then the page holds" in failure and "totalResults is 3, not 2" in failure
    assert re.search(r"curl -X GET &#39;http://sandbox\.embedded/companies/[^&]+/connections\?page=\d+&amp;"
                     r"pageSize=\d+&#39; -H &#39;authorization: Basic \*{10}&#39;", failure)
    assert "<h2>Timeline</h2>" in page
    assert page.count('<td class="bar">') > 40


def test_the_html_report_needs_no_network(faulty_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, reports = faulty_run
    found = Resources()
    found.feed((reports / "report.html").read_text(encoding="utf-8"))
    assert found.loading_tags == []
    assert found.references and all(ref.startswith("#") for ref in found.references), found.references
    assert found.styles
    for css in found.styles:
        assert "url(" not in css and "@import" not in css and "http" not in css


# -- pages from verdicts made here ---------------------------------------------------------------


def facts(*, target: str = "embedded", base_url: str = "http://sandbox.embedded", tags: str = "",
          sandbox_faults: tuple[str, ...] = ()) -> RunFacts:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return RunFacts(target, base_url, start, start + timedelta(seconds=7), tags=tags, sandbox_faults=sandbox_faults)


def test_a_passing_run_says_pass() -> None:
    verdict = Verdict()
    verdict.add(["URL-1"], Outcome("Start: a URL", PASS))
    verdict.add(["FLOW-1"], Outcome("Pages: walk", NA, reason="not applicable on a live target"))
    verdict.timeline.append(ScenarioRun("t::a", "Start: a URL", ("URL-1",), 100.0, 100.5, PASS))
    page = render(verdict, facts())
    assert '<div class="big">PASS</div>' in page and "every rule that ran holds" in page
    assert "not applicable on a live target" in page
    assert "+0.00 s" in page and "0.50 s" in page


def test_a_warning_alone_passes_but_is_named() -> None:
    verdict = Verdict()
    verdict.add(["OTP-5"], Outcome("OTP: once", WARN, step="Then the flow refuses the link", saw="answered 200"))
    page = render(verdict, facts())
    assert '<div class="big">PASS</div>' in page
    assert "every MUST rule that ran holds; 1 rule warned (SHOULD)" in page
    assert 'id="rule-OTP-5"' in page and "answered 200" in page


def test_the_page_escapes_what_the_target_sent() -> None:
    verdict = Verdict()
    verdict.add(["API-3"], Outcome("Errors <b>bold</b>", FAIL, saw="<script>alert(1)</script>",
                                   exchanges=("answer:   500 <html onload=x()>",)))
    page = render(verdict, facts())
    assert "<script>" not in page and "<html onload" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_masks_secrets_before_escaping() -> None:
    secret = "page-secret&<Kx9>"
    Secret(secret)
    verdict = Verdict()
    verdict.add(["KEY-2"], Outcome(f"Key {secret}", FAIL, saw=f"the key {secret} came back",
                                   exchanges=(f"answer:   200 {{\"k\": \"{secret}\"}}",)))
    page = render(verdict, facts(tags=secret))
    for shown in (secret, "page-secret&amp;&lt;Kx9&gt;", "Kx9"):
        assert shown not in page
    assert "the key ********** came back" in page


def test_live_target_and_faults_are_named() -> None:
    verdict = Verdict()
    verdict.add(["URL-1"], Outcome("Start", PASS))
    assert "target: live target at http://127.0.0.1:8080" in render(
        verdict, facts(target="live", base_url="http://127.0.0.1:8080"))
    assert "sandbox faults: otp-reusable" in render(verdict, facts(sandbox_faults=("otp-reusable",)))


def _images(page: str) -> list[tuple[str, bytes]]:
    """(alt, PNG bytes) of every image in the page; each must be a data: URI."""
    found = []
    for alt, source in re.findall(r'<img alt="([^"]*)" src="([^"]*)">', page):
        assert source.startswith("data:image/png;base64,"), source[:60]
        found.append((alt, base64.b64decode(source.removeprefix("data:image/png;base64,"))))
    return found


def test_screenshots_are_inside_the_page() -> None:
    refusal = Screenshot("refusal page", PNG_SIGNATURE + b"refusal", "http://sandbox.embedded/sync-flow/x?otp=1")
    authorize = Screenshot("authorization screen", PNG_SIGNATURE + b"authorize")
    success = Screenshot("success page", PNG_SIGNATURE + b"success")
    verdict = Verdict()
    verdict.add(["OTP-2"], Outcome("OTP: expired", PASS, screenshots=(refusal,)))
    verdict.add(["FLOW-1", "FLOW-2"], Outcome("Flow: walk", PASS, screenshots=(authorize, success)))
    verdict.add(["FLOW-3"], Outcome("Flow: settings", FAIL, saw="next sync an hour late",
                                    screenshots=(Screenshot("settings page", PNG_SIGNATURE + b"settings"),)))
    verdict.add(["OTP-1"], Outcome("OTP: fresh", PASS, screenshots=(Screenshot("not a PNG", b"GIF89a..."),)))
    page = render(verdict, facts())
    assert _images(page) == [("settings page", PNG_SIGNATURE + b"settings"), ("refusal page", refusal.png),
                             ("authorization screen", authorize.png), ("success page", success.png)]
    failure = page[page.index('id="rule-FLOW-3"'):page.index("<h2>What the merchant saw</h2>")]
    assert "what the merchant saw" in failure and "settings page" in failure
    assert "FLOW-1 FLOW-2" in page  # one walk, shown once, naming every rule it served
    assert "not a PNG" not in page
    found = Resources()
    found.feed(page)
    assert set(found.loading_tags) == {"img"}
    assert all(ref.startswith(("#", "data:image/png;base64,")) for ref in found.references)


def test_a_page_without_screenshots_has_no_evidence_section() -> None:
    verdict = Verdict()
    verdict.add(["URL-1"], Outcome("Start", PASS))
    page = render(verdict, facts())
    assert "What the merchant saw" not in page and "<img" not in page


def test_screenshot_captions_and_addresses_are_masked() -> None:
    Secret("shot-secret-Qz7")
    verdict = Verdict()
    verdict.add(["FLOW-2"], Outcome("Flow", PASS, screenshots=(
        Screenshot("page with shot-secret-Qz7", PNG_SIGNATURE, "http://x/?k=shot-secret-Qz7"),)))
    page = render(verdict, facts())
    assert "shot-secret-Qz7" not in page and "page with **********" in page


# -- report files ---------------------------------------------------------------------------------


def test_a_report_dir_under_a_file_is_refused_up_front(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = refused(capsys, "run", "--report-dir", str(blocker / "reports"))
    assert line == (f"sfc-conformance: cannot write --report-dir {blocker / 'reports'}: "
                    f"{blocker} is a file, not a folder")
    assert refused(capsys, "run", "--report-dir", str(blocker)).endswith("it is a file, not a folder")


def test_a_report_dir_that_cannot_be_written_is_refused_up_front(capsys: pytest.CaptureFixture[str]) -> None:
    # /sys refuses new files even to root, for whom permission bits mean nothing.
    line = refused(capsys, "run", "--report-dir", "/sys/sfc-conformance-reports")
    assert line.startswith("sfc-conformance: cannot write --report-dir /sys/sfc-conformance-reports: /sys is not "
                           "writable (")
    assert not Path("/sys/sfc-conformance-reports").exists()


def test_junitxml_needs_an_existing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = refused(capsys, "run", "--junitxml", str(tmp_path / "missing" / "junit.xml"))
    assert f"there is no folder {tmp_path / 'missing'}" in line
    assert refused(capsys, "run", "--junitxml", str(tmp_path)).endswith("it is a folder")


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report.html"
    atomic_write(target, "first")
    assert target.read_text() == "first"
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    def broken_rename(source: str, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_rename)  # the rename atomic_write makes
    with pytest.raises(OSError):
        atomic_write(target, "second")
    assert target.read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # the temporary file is gone too


def test_atomic_write_masks_secrets(tmp_path: Path) -> None:
    Secret("file-secret-Vb3")
    atomic_write(tmp_path / "r.txt", "key=file-secret-Vb3")
    assert (tmp_path / "r.txt").read_text() == "key=**********"


# -- progress -------------------------------------------------------------------------------------


def test_countdown_says_how_long_is_left_and_lets_the_time_pass() -> None:
    clock = ManualClock()
    start = clock.now()
    said: list[str] = []
    countdown(clock, 21.5, "for the OTP window to close", said.append)
    assert said == [f"waiting {n} s for the OTP window to close…" for n in (22, 17, 12, 7, 2)]
    assert clock.now() - start == timedelta(seconds=21.5)


def test_no_countdown_when_nothing_is_left() -> None:
    clock = ManualClock()
    said: list[str] = []
    countdown(clock, -3, "for nothing", said.append)
    countdown(clock, 0, "for nothing", said.append)
    assert said == []
