"""How a run sees the merchant's side (``suite/flow_viewer.py``), and its options: no browser needed.

Which browser a run uses, if any; when a plain GET can judge a flow (the
probe with a changed OTP); the n/a reason and the option it names; the
usage errors of ``--browser``, ``--flow-style`` and ``--merchant-driver
browser``; and how the report shows a scenario's screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import httpx
import pytest

from sfc_conformance.commands import cli
from sfc_conformance.core.account import LiveTarget
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.evidence import PNG_SIGNATURE, Screenshot
from sfc_conformance.core.profile import FAIL, PASS, Outcome, RunFacts, Verdict
from sfc_conformance.core.secrets import Secret
from sfc_conformance.merchant.browser import BrowserUnavailable
from sfc_conformance.merchant.browser_thread import BrowserThread
from sfc_conformance.merchant.view import OPENS, REFUSED
from sfc_conformance.report.page import render
from sfc_conformance.suite.flow_viewer import FlowViewer, changed_otp
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.settings import check_merchant_side as check_options
from tests.helpers import fake_executable, in_child, one_line_error, refused, verdict_table

if TYPE_CHECKING:
    from tests.conftest import Embedded

OTP_RULES = ("OTP-1", "OTP-2", "OTP-3", "OTP-4", "OTP-5")


@pytest.fixture
def no_browser_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with no Chromium on it (an empty folder): what a machine without one looks like."""
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


# -- which browser a run uses: the options ---------------------------------------------------------


def test_without_a_browser_asked_for_an_embedded_run_uses_none(no_browser_on_path: Path) -> None:
    assert check_options(live=False, browser=None, flow_style=None, merchant_driver="api") == (None, "pages")
    assert check_options(live=False, browser=None, flow_style="app", merchant_driver="api") == (None, "app")
    fake_executable(no_browser_on_path, "chromium")  # one on PATH changes nothing: an embedded run uses it when asked
    assert check_options(live=False, browser=None, flow_style="app", merchant_driver="api") == (None, "app")


def test_a_browser_asked_for_is_resolved(no_browser_on_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = str(fake_executable(no_browser_on_path, "chromium"))
    assert check_options(live=True, browser=chromium, flow_style=None, merchant_driver="api") == (chromium, "pages")
    assert check_options(live=False, browser=None, flow_style="app", merchant_driver="browser") == (chromium, "app")
    monkeypatch.setenv("SFC_BROWSER", "chromium")  # read with the options: the run is asked for that one
    browser = cli.build_parser().parse_args(["run"]).browser
    assert check_options(live=False, browser=browser, flow_style=None, merchant_driver="api") == (chromium, "pages")


class _Options(TypedDict, total=False):
    """check_options' arguments a case sets; the others are a plain embedded run's."""

    live: bool
    browser: str | None
    flow_style: str | None
    merchant_driver: str


@pytest.mark.parametrize(("options", "says"), [
    ({"live": True, "flow_style": "app"}, "--flow-style picks the embedded sandbox's flow"),
    ({"live": True, "flow_style": "pages"}, "--flow-style picks the embedded sandbox's flow"),
    ({"live": True, "merchant_driver": "browser"}, "--merchant-driver browser walks the embedded sandbox's flow"),
    ({"flow_style": "app", "merchant_driver": "pages"}, "the app-style flow is walked with --merchant-driver browser"),
    ({"flow_style": "spa"}, "--flow-style 'spa' is unknown"),
    ({"browser": "/nowhere/chrome"}, "--browser /nowhere/chrome: no such executable"),
    ({"merchant_driver": "browser"}, "--merchant-driver browser needs a browser: no browser found"),
])
def test_options_that_cannot_work_are_usage_errors(no_browser_on_path: Path, options: _Options, says: str) -> None:
    with pytest.raises(UsageError, match=re.escape(says)):
        check_options(live=options.get("live", False), browser=options.get("browser"),
                      flow_style=options.get("flow_style"), merchant_driver=options.get("merchant_driver", "api"))


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--flow-style", "app", "--base-url", "http://127.0.0.1:1", "--api-key", "k"],
     "--flow-style picks the embedded sandbox's flow"),
    (["run", "--merchant-driver", "browser", "--base-url", "http://127.0.0.1:1", "--api-key", "k"],
     "does not go with --base-url"),
    (["run", "--merchant-driver", "pages", "--flow-style", "app"], "--merchant-driver browser"),
    (["run", "--flow-style", "spa"], "invalid choice: 'spa'"),
    (["run", "--browser", "/nowhere/chrome"], "--browser /nowhere/chrome: no such executable"),
    (["run", "--merchant-driver", "browser"], "install Chromium (apt-get install chromium)"),
    (["selftest", "--browser", "/nowhere/chrome"], "--browser /nowhere/chrome: no such executable"),
])
def test_the_options_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                                          no_browser_on_path: Path, argv: list[str],
                                                          says: str) -> None:
    assert says in refused(capsys, *argv)


def test_a_browser_that_will_not_start_is_exit_2_before_any_rule() -> None:
    # In a process of its own: Playwright starts in the command's thread.
    done = in_child("run", "--browser", "/bin/false", timeout=120)
    line = one_line_error(done.returncode, done.stdout, done.stderr)
    assert line.startswith("sfc-conformance: could not start the browser /bin/false: ")


def test_a_browser_thread_that_will_not_start_is_not_tried_again() -> None:
    thread = BrowserThread("/bin/false")
    try:
        with pytest.raises(BrowserUnavailable, match="^could not start the browser /bin/false") as first:
            thread.start()
        with pytest.raises(BrowserUnavailable) as again:
            thread.call(lambda browser: browser.version)
        assert again.value is first.value and not thread.started
    finally:
        thread.close()
    thread.close()  # a second close does nothing


# -- a plain GET, and when it can judge ------------------------------------------------------------------


def test_changed_otp() -> None:
    assert changed_otp("https://f.example/start?otp=123459&merchantIdentifier=m") == \
        "https://f.example/start?otp=123450&merchantIdentifier=m"
    assert changed_otp("https://f.example/start?merchantIdentifier=m") == \
        "https://f.example/start?merchantIdentifier=m&otp=000000"


def test_a_plain_get_judges_the_server_rendered_pages(embedded: Callable[..., Embedded],
                                                      eyes_on: Callable[[Embedded], FlowViewer]) -> None:
    e = embedded(flow_style="pages")
    eyes = eyes_on(e)
    company = e.steps.company()
    fresh = eyes.look(e.steps.flow_url(company))
    assert (fresh.judgement, fresh.seen_with) == (OPENS, "plain HTTP GETs"), fresh.detail
    assert 'id=authorize' in fresh.document and fresh.screenshots == ()
    assert eyes.unjudged() is None
    expired_url = e.steps.flow_url(company)
    e.target.clock.advance(30)
    expired = eyes.look(expired_url)
    assert expired.judgement == REFUSED and "document: 401" in expired.detail
    assert eyes.probe(expired_url).can_judge  # found once, with the first URL looked at


def test_an_app_style_flow_is_not_judged_without_a_browser(embedded: Callable[..., Embedded],
                                                           eyes_on: Callable[[Embedded], FlowViewer],
                                                           no_browser_on_path: Path) -> None:
    e = embedded(flow_style="app")
    eyes = eyes_on(e)
    url = e.steps.started().flow.url
    assert eyes.unjudged() is None  # not known before the probe
    sight = eyes.look(url)
    assert sight.judgement is None and not sight.opens and not sight.refused
    assert sight.reason.startswith("a flow URL with one digit of its OTP changed loads its document (200)")
    assert "browser app" in sight.reason
    assert sight.reason.endswith("no browser was asked for; install Chromium (apt-get install chromium) or name one "
                                 "with --browser PATH / SFC_BROWSER")
    assert eyes.unjudged() == sight.reason


def test_the_n_a_reason_names_the_browser_on_path(embedded: Callable[..., Embedded],
                                                  eyes_on: Callable[[Embedded], FlowViewer],
                                                  no_browser_on_path: Path) -> None:
    chromium = fake_executable(no_browser_on_path, "chromium")
    e = embedded(flow_style="app")
    sight = eyes_on(e).look(e.steps.started().flow.url)
    assert sight.reason.endswith(f"no browser was asked for: pass --browser PATH (e.g. --browser {chromium}) "
                                 "or set SFC_BROWSER")


APP = "<!doctype html><title>Flow</title><div id=app>Loading</div><script src=/app.js></script>"


def test_a_live_app_style_flow_without_a_browser_says_none_was_found(no_browser_on_path: Path) -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, text=APP, headers={"content-type": "text/html"})

    target = LiveTarget("https://api.partner.example", Secret("live-eyes-key"))
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        eyes = FlowViewer(Settings(target="live"), target, http, lambda response: None)
        assert not eyes.has_browser
        assert not eyes.probe("https://flow.partner.example/start?otp=246801&merchantIdentifier=m").can_judge
        assert asked == ["https://flow.partner.example/start?otp=246802&merchantIdentifier=m"]  # never the real one
        reason = eyes.unjudged()
        sight = eyes.look("https://flow.partner.example/start?otp=135791&merchantIdentifier=m")
    assert reason is not None and sight.judgement is None and sight.reason == reason
    assert "no browser found (looked for chromium" in reason and "apt-get install chromium" in reason
    assert len(asked) == 1  # a flow it cannot judge is not opened at all: nothing spent


def test_the_browser_s_answers_from_the_embedded_sandbox_are_observed(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app")
    seen: list[httpx.Response] = []
    eyes = FlowViewer(Settings(), e.target, e.api.client.http, seen.append)
    assert eyes.route is not None
    url = e.steps.started().flow.url
    answer = eyes.route(httpx.Request("GET", url))
    assert answer is not None and answer.status_code == 200
    assert [(r.request.method, str(r.request.url), r.status_code) for r in seen] == [("GET", url, 200)]
    assert eyes.route(httpx.Request("GET", "https://elsewhere.example/")) is None  # blocked, not observed
    assert len(seen) == 1


# -- the run: n/a, never pass, without a browser -----------------------------------------------------------


@pytest.mark.release
def test_an_app_style_run_without_a_browser_reports_the_otp_rules_n_a_and_passes() -> None:
    done = in_child("run", "--flow-style", "app")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    verdicts = verdict_table(done.stdout)
    for rule in (*OTP_RULES, "FLOW-1", "FLOW-2", "FLOW-3"):
        assert verdicts[rule].verdict == "n/a", (rule, verdicts[rule])
    for rule in OTP_RULES:
        assert "the flow is a browser app" in verdicts[rule].note and "--browser PATH" in verdicts[rule].note
    assert "--merchant-driver browser" in verdicts["FLOW-1"].note
    assert verdicts["OTP-6"].verdict == "pass"  # it opens no flow URL: judged as ever
    assert "seen with" not in done.stdout


# -- the report: a scenario's screenshots --------------------------------------------------------------


def _shot(caption: str) -> Screenshot:
    return Screenshot(caption, PNG_SIGNATURE + caption.encode())


def _facts() -> RunFacts:
    from sfc_conformance.core.clock import SystemClock

    now = SystemClock().now()
    return RunFacts(target="embedded", base_url="", started=now, finished=now, merchant_view="a browser (chromium 1)")


def test_a_scenario_that_held_shows_its_first_and_last_screens_and_one_that_failed_all() -> None:
    walk = tuple(_shot(name) for name in ("first", "second", "third", "fourth", "last"))
    verdict = Verdict()
    verdict.add(["REV-3"], Outcome("Review: walked", PASS, screenshots=walk))
    verdict.add(["FLOW-2"], Outcome("Flow: failed walk", FAIL, saw="no success page",
                                    screenshots=tuple(_shot(f"failed {n}") for n in range(5))))
    page = render(verdict, _facts())
    captions = re.findall(r'<img alt="([^"]+)"', page)
    assert captions == [f"failed {n}" for n in range(5)] + ["first", "fourth", "last"]
    assert "2 screens between the first and the last 2 not shown here" in page
    assert "merchant's side seen with: a browser (chromium 1)" in page
