"""The conformance suite with the merchant's side in a real browser (``--browser``, ``--merchant-driver browser``).

The OTP faults of the sandbox served in app style are killed in the browser
and n/a without one (never pass); the suite passes with the merchant
walking the flow in the browser (the whole suite in the app style; in the pages style, the
rules that show each of its screens); a live run over HTTP
judges an app-style flow in the browser it finds, and reports n/a without
one.  The embedded cases route the browser in-process (no sockets).

Skipped, saying why, only when no browser is found (CI installs Chromium and
sets SFC_REQUIRE_BROWSER, which makes a missing one a failure).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sfc_conformance.commands import selftest
from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.merchant.view import OPENS, REFUSED
from sfc_conformance.sandbox import FLOW_STYLES, serve
from sfc_conformance.sandbox.faults import FAULTS
from sfc_conformance.suite.flow_viewer import FlowViewer, OpenedFlow
from sfc_conformance.suite.settings import Settings
from tests.helpers import browser_or_skip, child_environment, in_child, verdict_table

pytestmark = pytest.mark.release  # live runs, whole runs or a browser: left to the release run (`tox -m release`)

if TYPE_CHECKING:
    from tests.conftest import Embedded

OTP_RULES = ("OTP-1", "OTP-2", "OTP-3", "OTP-4", "OTP-5")
# Every fault of the catalog that breaks a rule judged by opening a flow URL.
OTP_FAULTS = sorted(name for name, (rule, _) in FAULTS.items() if rule in OTP_RULES)
WHOLE_RUN = 900  # seconds a whole run in the browser may take


@pytest.fixture(scope="module")
def chromium() -> str:
    return browser_or_skip()


# -- the run's eyes, in the routed browser ------------------------------------------------------------------


def test_the_browser_judges_the_app_style_from_any_thread(chromium: str, embedded: Callable[..., Embedded],
                                                          eyes_on: Callable[..., FlowViewer]) -> None:
    e = embedded(flow_style="app")
    eyes = eyes_on(e, Settings(browser=chromium))
    company = e.steps.company()
    fresh_url, other_url = e.steps.flow_url(company), e.steps.flow_url(e.steps.company("Other Shop Ltd"))
    e.target.clock.advance(30)  # both expired
    expired = eyes.look(fresh_url)
    late: list[OpenedFlow] = []
    timer = threading.Thread(target=lambda: late.append(eyes.look(other_url)))  # as OTP-1's late open does
    timer.start()
    timer.join(timeout=60)
    fresh = eyes.look(e.steps.flow_url(company))
    assert (expired.judgement, late[0].judgement, fresh.judgement) == (REFUSED, REFUSED, OPENS), expired.detail
    assert eyes.seen_with.startswith("a browser (") and eyes.unjudged() is None
    assert [s.caption for s in expired.screenshots] == ["refusal page: Link expired"]
    assert [s.caption for s in fresh.screenshots] == ["first screen: Connect your accounting software"]
    assert "form" in fresh.document and 'id="authorize"' in fresh.document  # as the app drew it
    assert "own request carrying the OTP answered 401: POST /flow-api/" in expired.reason


# -- the OTP faults of the app-style sandbox: killed in the browser, n/a without --------------------------------


def test_every_otp_fault_of_the_app_style_is_killed_in_the_browser(chromium: str) -> None:
    assert len(OTP_FAULTS) >= 7, OTP_FAULTS
    # The clean sandbox in the browser: the whole-suite test below.  The OTP timing faults the busy matrix (tox -e
    # selftest-busy) runs in the app style, each in its browser over HTTP, are left to it: every OTP fault is killed
    # in an app-style flow in a browser once.
    busy_app = {case.fault for case in selftest.busy_cases(browser=chromium) if case.flow_style == "app"}
    assert len(busy_app - {None}) >= 3, busy_app
    faults = [fault for fault in OTP_FAULTS if fault not in busy_app]
    cases = [selftest.Case(fault, flow_style="app", browser=chromium) for fault in faults]
    results = selftest.run_matrix(cases, jobs=2)
    table = "\n".join([selftest.HEADER, *map(selftest.row, results), *selftest.summary(results)])
    assert [r.case.fault for r in results] == faults
    for result in results:
        assert result.status == selftest.KILLED, f"{result.case.name}:\n{table}"
        assert result.reported == [result.case.rule], table


def test_without_a_browser_the_app_style_otp_faults_are_n_a_never_pass() -> None:
    # The clean app-style sandbox without a browser: tests/test_merchant_eyes.py (its OTP rules n/a, the run passing).
    faults = selftest.run_matrix([selftest.Case(fault, flow_style="app") for fault in OTP_FAULTS], jobs=2)
    table = "\n".join([selftest.HEADER, *map(selftest.row, faults)])
    assert [result.case.fault for result in faults] == OTP_FAULTS, table
    for result in faults:
        # Exit 0, nothing reported: the rule is n/a (selftest calls that UNSEEN, a hole on the embedded sandbox).
        assert (result.status, result.exit_code, result.reported) == (selftest.UNSEEN, 0, []), table
        assert result.reason == (f"{result.case.rule} is n/a: the app-style flow shows this fault only in a browser, "
                                 "and the run had none (--browser PATH)"), table


# -- the whole suite, the merchant walking the flow in the browser --------------------------------------------------


# The app style is the one only a browser can walk: the whole suite.  The pages style, whose forms a plain client
# walks in every other test, takes in the browser the rules that show each of its screens (a refusal, the
# authorization and configuration screens, success, the redirect, the settings page): about half the CPU of the
# whole suite, which CI's two cores spend elsewhere.
IN_THE_BROWSER = {"app": None,
                  "pages": "OTP-1 or OTP-2 or OTP-3 or OTP-4 or OTP-5 or FLOW-1 or FLOW-2 or FLOW-3 or CUST-5"}


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_the_suite_passes_with_the_merchant_in_the_browser(chromium: str, style: str, tmp_path: Path) -> None:
    tags = IN_THE_BROWSER[style]
    done = in_child("run", "--merchant-driver", "browser", "--flow-style", style, "--report-dir", str(tmp_path),
                    *(["--tags", tags] if tags else []), timeout=WHOLE_RUN)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    verdicts = verdict_table(done.stdout)
    judged = {rule: row for rule, row in verdicts.items() if row.verdict != "not run"}
    assert tags is not None or judged == verdicts, verdicts
    assert {rule for rule, row in judged.items() if row.verdict != "pass"} <= {"API-6"}, verdicts
    for rule in OTP_RULES:
        assert verdicts[rule].note.startswith("seen with a browser ("), verdicts[rule]
    page = (tmp_path / "report.html").read_text()
    assert "merchant's side seen with: a browser (" in page
    evidence = page[page.index("<h2>What the merchant saw</h2>"):page.index("<h2>Timeline</h2>")]
    for caption in ("refusal page: Link expired", "authorization screen", "configuration form, filled in",
                    "success page", "redirected to the partner (https://partner.example/done)",
                    "first screen: Sync settings"):
        assert f'alt="{caption}' in evidence, caption
    assert re.search(r'src="(?!data:image/png;base64,)', page) is None  # one offline file


# -- a live run over HTTP: the browser it finds, or n/a ------------------------------------------------------------


@pytest.fixture
def served_app() -> Iterator[str]:
    sandbox = serve.build("browser-live-key", None, (), "app")
    with BackgroundServer(sandbox.app) as server:
        yield server.url
    sandbox.close()


def test_a_live_app_style_flow_is_judged_in_the_browser_found_and_n_a_without(chromium: str, served_app: str,
                                                                               tmp_path: Path) -> None:
    # The OTP rules that need no wait; the late open and the expiry checks cost an OTP window (tox -e live-app).
    tags = "OTP-4 or OTP-5"
    env = child_environment(SFC_API_KEY="browser-live-key", PATH=f"{Path(chromium).parent}:{os.environ['PATH']}")
    seen = in_child("run", "--base-url", served_app, "--tags", tags, env=env, timeout=WHOLE_RUN)
    assert seen.returncode == 0, seen.stdout[-3000:] + seen.stderr
    verdicts = verdict_table(seen.stdout)
    assert [verdicts[r].verdict for r in ("OTP-4", "OTP-5")] == ["pass", "pass"], verdicts
    assert verdicts["OTP-4"].note.startswith("seen with a browser (")

    blind = in_child("run", "--base-url", served_app, "--tags", tags, env={**env, "PATH": str(tmp_path)},
                     timeout=WHOLE_RUN)
    assert blind.returncode == 0, blind.stdout[-3000:] + blind.stderr
    verdicts = verdict_table(blind.stdout)
    assert [verdicts[r].verdict for r in ("OTP-4", "OTP-5")] == ["n/a", "n/a"], verdicts
    assert "the flow is a browser app" in verdicts["OTP-4"].note and "no browser found" in verdicts["OTP-4"].note
