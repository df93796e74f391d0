"""The merchant's side in a real headless Chromium: opening flow URLs, judging them, walking the flow.

One browser for the module.  Its tests skip, saying why, only when no browser
is found (CI installs Chromium); finding the browser and the launch failures
are tested without one.  Expiry moves a manual clock: no test waits 30 s.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.errors import UsageError
from sfc_conformance.core.http import ApiClient, BackgroundServer
from sfc_conformance.core.secrets import Secret
from sfc_conformance.merchant.browser import BrowserUnavailable, MerchantBrowser, find_browser
from sfc_conformance.merchant.browser_flow import FlowStepFailed, FlowWalk
from sfc_conformance.merchant.view import OPENS, REFUSED, UNDECIDED, MerchantView
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.app import Sandbox
from tests.conftest import SandboxSteps
from tests.helpers import browser_or_skip, fake_executable

if TYPE_CHECKING:
    from tests.conftest import Embedded

FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday in January, 09:00 UTC
REQUIRED = ["account.sales.sales", "account.payments.cash", "account.payments.card", "account.fees.fees"]
CHOSEN = [*REQUIRED, "account.sales.gratuity", "taxRate.standard", "taxRate.zero", "invoiceStatus", "groupingPeriod"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[MerchantBrowser]:
    # A shorter quiet spell than a run's: the routed sandbox answers at once, and the module stays quick.
    with MerchantBrowser(browser_or_skip(), quiet=0.25) as browser:
        yield browser


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _assert_screenshot(view: MerchantView, caption: str) -> None:
    assert view.screenshot is not None, view.describe()
    assert view.screenshot.caption == caption
    width, height = _png_size(view.screenshot.png)
    assert width == 800 and height >= 600


# -- the embedded sandbox, walked through a route: no sockets ----------------------------------------


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_embedded_a_fresh_url_opens_and_an_expired_one_is_refused(chromium: MerchantBrowser,
                                                                   embedded: Callable[..., Embedded],
                                                                   style: str) -> None:
    e = embedded(flow_style=style)
    company = e.steps.company()
    fresh = chromium.open(e.steps.flow_url(company), route=e.target.answer)
    assert fresh.judgement == OPENS, fresh.describe()
    assert fresh.document_status == 200
    assert "Connect your accounting software" in fresh.text
    _assert_screenshot(fresh, "first screen")

    expired_url = e.steps.flow_url(company)
    e.target.clock.advance(30)
    expired = chromium.open(expired_url, route=e.target.answer)
    assert expired.judgement == REFUSED, expired.describe()
    assert "Link expired" in expired.text and "has expired" in expired.text
    _assert_screenshot(expired, "refusal page")
    if style == "pages":
        assert expired.document_status == 401 and expired.reason == "the flow URL's document answered 401"
    else:  # the document loads; the app's own call with the OTP meets the 401
        assert expired.document_status == 200
        assert "own request carrying the OTP answered 401: POST /flow-api/" in expired.reason
        assert [r.status for r in expired.requests if r.carries_otp] == [200, 401]


def test_embedded_an_app_url_used_twice_is_refused(chromium: MerchantBrowser,
                                                   embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app")
    url = e.steps.started().flow.url
    assert chromium.open(url, route=e.target.answer).opens
    again = chromium.open(url, route=e.target.answer)
    assert again.refused and again.document_status == 200, again.describe()


# -- the sandbox served over HTTP on 127.0.0.1 ---------------------------------------------------------


@dataclass
class Served:
    url: str
    api: SyncFlowApi
    clock: ManualClock

    @property
    def steps(self) -> SandboxSteps:
        return SandboxSteps(self.api, self.clock)


@pytest.fixture
def serve_sandbox() -> Iterator[Callable[[str], Served]]:
    """The sandbox over HTTP on a free 127.0.0.1 port, on a manual clock (expiry without waiting)."""
    running: list[tuple[BackgroundServer, Sandbox, ApiClient]] = []

    def start(style: str) -> Served:
        clock = ManualClock(FIXED_START)
        sandbox = Sandbox(api_key="browser-test-key", clock=clock, flow_style=style)
        server = BackgroundServer(sandbox.app).start()
        client = ApiClient(server.url, Secret("browser-test-key"))
        running.append((server, sandbox, client))
        return Served(server.url, SyncFlowApi(client), clock)

    yield start
    for server, sandbox, client in running:
        client.close()
        server.stop()
        sandbox.close()


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_served_a_fresh_url_opens_and_an_expired_one_is_refused(chromium: MerchantBrowser,
                                                                 serve_sandbox: Callable[[str], Served],
                                                                 style: str) -> None:
    served = serve_sandbox(style)
    company = served.steps.company()
    fresh = chromium.open(served.steps.flow_url(company))
    assert fresh.judgement == OPENS and fresh.final_url.startswith(served.url), fresh.describe()
    expired_url = served.steps.flow_url(company)
    served.clock.advance(30)
    expired = chromium.open(expired_url)
    assert expired.judgement == REFUSED, expired.describe()
    assert expired.document_status == (401 if style == "pages" else 200)
    _assert_screenshot(expired, "refusal page")


# -- a flow the suite knows nothing about: judged without its markup ------------------------------------

PARTNER_APP = """<!doctype html><html><head><title>Partner flow</title></head><body><div id=x>Loading</div><script>
const code = new URLSearchParams(location.search).get("otp");
fetch("/api/v2/check", {headers: {"X-Flow-Code": code}}).then((answer) => {
  document.getElementById("x").textContent = answer.ok ? "Choose your accounts" : "Sorry, this link cannot be used";
});
</script></body></html>"""


def _partner(check_status: int) -> Callable[[httpx.Request], httpx.Response | None]:
    """A partner's single-page flow: the document, and an API that answers the OTP header with ``check_status``."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.host != "flow.partner.example":
            return None
        if request.url.path == "/start":
            return httpx.Response(200, text=PARTNER_APP, headers={"content-type": "text/html"})
        if request.url.path == "/api/v2/check":
            status = check_status if request.headers.get("x-flow-code") == "735190" else 400
            return httpx.Response(status, json={"ok": status == 200})
        return httpx.Response(404)

    return answer


@pytest.mark.parametrize(("check_status", "expected", "shows"), [
    (200, OPENS, "Choose your accounts"),
    (401, REFUSED, "Sorry, this link cannot be used"),
    (403, UNDECIDED, "Sorry, this link cannot be used"),
])
def test_a_foreign_flow_is_judged_by_statuses_not_markup(chromium: MerchantBrowser, check_status: int,
                                                         expected: str, shows: str) -> None:
    view = chromium.open("https://flow.partner.example/start?otp=735190&merchantIdentifier=m",
                         route=_partner(check_status))
    assert view.judgement == expected, view.describe()
    assert view.text.strip() == shows
    check = [r for r in view.requests if r.url.endswith("/api/v2/check")]
    assert len(check) == 1 and check[0].carries_otp and check[0].status == check_status


# -- walking the flow (FLOW-1..3) -------------------------------------------------------------------------


def _fields(walk: FlowWalk, **changes: str) -> dict[str, str]:
    fields = {name: walk.options(name)[-1] for name in CHOSEN}
    fields.update(selectedFrequency="Daily", syncHour="7", timeZone="Europe/Paris", enable="on")
    fields.update(changes)
    return fields


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_walking_the_flow_leaves_the_api_s_state(chromium: MerchantBrowser, embedded: Callable[..., Embedded],
                                                 style: str) -> None:
    e = embedded(flow_style=style, start=FIXED_START)
    merchant = e.steps.started()
    e.steps.authorize(merchant.company_id, merchant.commerce_id)
    with FlowWalk(chromium, route=e.target.answer) as walk:
        first = walk.open(merchant.flow.url)
        assert first.name == "authorize" and first.view is not None and first.view.opens
        with pytest.raises(FlowStepFailed, match="shows the authorization screen"):
            walk.settings()
        assert walk.authorize().name == "configure"
        fields = _fields(walk)
        refused = walk.configure({**fields, "account.payments.cash": ""})
        assert refused.name == "configure" and refused.problems == ("Choose an account for every required account.",)
        checked = walk.configure({**fields, "syncHour": "99"})  # the browser's own check: nothing is sent
        assert checked.name == "configure" and checked.problems[0].startswith("syncHour: ")
        done = walk.configure(fields)
        assert done.name == "success", done.text
        shown = walk.settings()
        captions = [s.caption for s in walk.screenshots()]
    assert (shown.enabled, shown.schedule, shown.accounting_status) == ("Enabled", "Daily at 07:00 Europe/Paris",
                                                                        "Linked")
    assert shown.last_sync is None
    assert shown.next_sync == datetime(2026, 1, 6, 6, 0, tzinfo=UTC)  # 07:00 in Paris, in winter
    assert captions == ["authorization screen", "configuration form", "configuration form, filled in",
                        "configuration form", "configuration form", "configuration form, filled in", "success page",
                        "settings page"]

    stored = e.steps.configuration(merchant.company_id)
    conf = stored["configuration"]
    assert (stored["enable"], stored["configured"]) == (True, True)
    assert (stored["schedule"]["syncHour"], stored["schedule"]["timeZone"]) == (7, "Europe/Paris")
    assert conf["sales"]["accounts"]["sales"]["selectedAccountId"] == fields["account.sales.sales"]
    assert conf["sales"]["taxRates"]["zero"]["selectedTaxRateId"] == fields["taxRate.zero"]
    assert conf["sales"]["invoiceStatus"]["selectedInvoiceStatus"] == fields["invoiceStatus"]
    assert conf["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"] == fields["groupingPeriod"]
    statuses = {c["sourceType"]: c["status"] for c in e.api.all_connections(merchant.company_id)}
    assert statuses == {"Accounting": "Linked", "Commerce": "Linked"}


@pytest.mark.parametrize(("style", "status"), [("pages", 303), ("app", None)])
def test_the_walk_ends_at_the_redirect_url(chromium: MerchantBrowser, embedded: Callable[..., Embedded],
                                           style: str, status: int | None) -> None:
    e = embedded(flow_style=style)
    merchant = e.steps.started(redirect_url="app.codat.io/done?merchant=42")
    with FlowWalk(chromium, route=e.target.answer) as walk:
        walk.open(merchant.flow.url)
        walk.authorize()
        end = walk.configure(_fields(walk))
    assert (end.name, end.url, end.redirect_status) == ("redirect", "https://app.codat.io/done?merchant=42", status)
    assert end.screenshot is not None and end.screenshot.caption.startswith("redirected to the partner")
    assert e.steps.configuration(merchant.company_id)["configured"] is True


def test_the_settings_page_over_http(chromium: MerchantBrowser, serve_sandbox: Callable[[str], Served]) -> None:
    served = serve_sandbox("app")
    company = served.steps.company()
    with FlowWalk(chromium) as walk:
        walk.open(served.steps.flow_url(company))
        walk.authorize()
        assert walk.configure(_fields(walk, syncHour="10", timeZone="Etc/UTC")).name == "success"
        walk.settings()
        changed = walk.change_settings({"selectedFrequency": "Daily", "syncHour": "11", "timeZone": "Etc/UTC"})
        assert changed.name == "settings"
        shown = walk.settings()
        unlinked = walk.deauthorize()
    assert (shown.enabled, shown.schedule) == ("Disabled", "Daily at 11:00 Etc/UTC")
    assert "Deauthorized" in unlinked.text
    accounting = [c for c in served.api.all_connections(company) if c["sourceType"] == "Accounting"]
    assert accounting[0]["status"] == "Deauthorized"


# -- finding and starting the browser (no browser needed) ----------------------------------------------


def test_the_browser_is_found_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserUnavailable, match=r"no browser found \(looked for chromium, chromium-browser"):
        find_browser()
    google = fake_executable(tmp_path, "google-chrome")
    assert find_browser() == str(google)
    chromium = fake_executable(tmp_path, "chromium")
    assert find_browser() == str(chromium)  # the first name in the search order wins


def test_a_named_browser_wins_and_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    fake_executable(tmp_path, "chromium")
    mine = fake_executable(tmp_path / "..", "my-chrome").resolve()
    monkeypatch.setenv("SFC_BROWSER", str(mine))
    assert find_browser() == str(mine)
    assert find_browser(str(tmp_path / "chromium")) == str(tmp_path / "chromium")  # --browser before SFC_BROWSER
    with pytest.raises(UsageError, match=r"^--browser /nowhere/chrome: no such executable"):
        find_browser("/nowhere/chrome")
    monkeypatch.setenv("SFC_BROWSER", "/nowhere/chrome")
    with pytest.raises(UsageError, match=r"^SFC_BROWSER /nowhere/chrome: no such executable"):
        find_browser()


def test_a_browser_that_will_not_start_is_unavailable() -> None:
    # In a process of its own: one thread drives one Playwright at a time, and the module's may be running.
    code = ("from sfc_conformance.merchant.browser import MerchantBrowser, BrowserUnavailable\n"
            "try:\n    MerchantBrowser('/bin/false').start()\n"
            "except BrowserUnavailable as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("could not start the browser /bin/false: "), done.stdout


def test_a_second_playwright_in_the_same_thread_is_unavailable(chromium: MerchantBrowser) -> None:
    with pytest.raises(BrowserUnavailable, match=r"^could not start Playwright: "):
        MerchantBrowser(chromium.executable).start()


def test_importing_the_package_does_not_import_playwright() -> None:
    code = ("import sys, sfc_conformance.commands.cli, sfc_conformance.merchant.browser, "
            "sfc_conformance.merchant.browser_flow, "
            "sfc_conformance.core.account._targets, sfc_conformance.report.page; "
            "assert not [m for m in sys.modules if m.startswith('playwright')], 'playwright imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
