"""The merchant's flow pages: authorize, configure, success or redirect, settings (FLOW-1..3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.suite.drivers import form_action

if TYPE_CHECKING:
    from tests.conftest import Browser, Embedded, SandboxSteps

REQUIRED = ["account.sales.sales", "account.payments.cash", "account.payments.card", "account.fees.fees"]
EVERY_SELECT = [*REQUIRED, "account.sales.gratuity", "account.sales.prepayments", "taxRate.standard",
                "taxRate.reduced", "taxRate.zero", "invoiceStatus", "groupingPeriod"]
# A Monday in January, 09:00 UTC: far from any daylight-saving change.
FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _form(browser: Browser, page: httpx.Response, **fields: str) -> dict[str, str]:
    """The configure form filled in: the first offered option of every select, then ``fields``."""
    filled = {name: browser.options(page, name)[0] for name in EVERY_SELECT}
    filled.update(selectedFrequency="Daily", syncHour="0", timeZone="Etc/UTC", enable="on")
    filled.update(fields)
    return filled


def _authorized(browser: Browser, url: str) -> httpx.Response:
    """Open the flow URL and authorize; the configure page it leads to."""
    opened = browser.open(url)
    assert opened.status_code == 200
    return browser.follow(browser.submit(opened, "authorize", {"username": "merchant", "password": "pw"}))


def _statuses(api: SyncFlowApi, company_id: str) -> dict[str, str]:
    return {c["sourceType"]: c["status"] for c in api.all_connections(company_id)}


# -- authorize (seed §2) ---------------------------------------------------------------------


def test_a_new_merchant_opens_on_the_authorize_page(browser: Browser, steps: SandboxSteps) -> None:
    page = browser.open(steps.started().flow.url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id=authorize' in page.text and "name=username" in page.text and "name=password" in page.text


def test_authorizing_redirects_to_configure_and_links_accounting(api: SyncFlowApi, browser: Browser,
                                                                 steps: SandboxSteps) -> None:
    merchant = steps.started()
    answer = browser.submit(browser.open(merchant.flow.url), "authorize", {"username": "m", "password": "p"})
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/configure")
    assert _statuses(api, merchant.company_id) == {"Accounting": "Linked", "Commerce": "PendingAuth"}


def test_a_configure_page_offers_the_api_s_options(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.started()
    page = _authorized(browser, merchant.flow.url)
    conf = steps.configuration(merchant.company_id)["configuration"]
    assert browser.options(page, "account.sales.sales") == [
        o["id"] for o in conf["sales"]["accounts"]["sales"]["accountOptions"]]
    assert browser.options(page, "taxRate.standard") == [
        o["id"] for o in conf["sales"]["taxRates"]["standard"]["taxRateOptions"]]
    assert browser.options(page, "invoiceStatus") == conf["sales"]["invoiceStatus"]["invoiceStatusOptions"]
    assert "Mars/Olympus" not in browser.options(page, "timeZone")
    assert "Europe/London" in browser.options(page, "timeZone")


def test_the_configure_page_can_be_reloaded(browser: Browser, steps: SandboxSteps) -> None:
    page = _authorized(browser, steps.started().flow.url)
    again = browser.http.get(page.url)
    assert again.status_code == 200 and "id=configure" in again.text


# -- configure and the end of the flow (FLOW-1, FLOW-2) ------------------------------------------


def test_configuring_ends_on_the_success_page(browser: Browser, steps: SandboxSteps) -> None:
    page = _authorized(browser, steps.started().flow.url)
    done = browser.submit(page, "configure", _form(browser, page))
    assert done.status_code == 200
    assert 'id=success' in done.text


def test_the_pages_leave_the_state_the_api_steps_do(api: SyncFlowApi, browser: Browser,
                                                    steps: SandboxSteps) -> None:
    merchant = steps.started()
    page = _authorized(browser, merchant.flow.url)
    fields = _form(browser, page, syncHour="7", timeZone="Europe/Paris",
                   **{"account.sales.sales": browser.options(page, "account.sales.sales")[-1],
                      "invoiceStatus": browser.options(page, "invoiceStatus")[-1]})
    browser.submit(page, "configure", fields)
    stored = steps.configuration(merchant.company_id)
    conf = stored["configuration"]
    assert (stored["enable"], stored["configured"]) == (True, True)
    assert (stored["schedule"]["syncHour"], stored["schedule"]["timeZone"]) == (7, "Europe/Paris")
    assert conf["sales"]["accounts"]["sales"]["selectedAccountId"] == fields["account.sales.sales"]
    assert conf["payments"]["accounts"]["cash"]["selectedAccountId"] == fields["account.payments.cash"]
    assert conf["sales"]["taxRates"]["zero"]["selectedTaxRateId"] == fields["taxRate.zero"]
    assert conf["sales"]["invoiceStatus"]["selectedInvoiceStatus"] == fields["invoiceStatus"]
    assert conf["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"] == fields["groupingPeriod"]
    assert _statuses(api, merchant.company_id)["Accounting"] == "Linked"

    # The same choices made through the API give the same document, up to the company's own ids.
    twin = steps.linked("Twin Ltd")
    document = steps.configuration(twin.company_id)
    by_position = {name: browser.options(page, name).index(value) for name, value in fields.items()
                   if name in EVERY_SELECT}
    twin_page = steps.configuration(twin.company_id)["configuration"]
    for name, index in by_position.items():
        kind, *where = name.split(".")
        if kind == "account":
            entry = document["configuration"][where[0]]["accounts"][where[1]]
            entry["selectedAccountId"] = twin_page[where[0]]["accounts"][where[1]]["accountOptions"][index]["id"]
        elif kind == "taxRate":
            entry = document["configuration"]["sales"]["taxRates"][where[0]]
            entry["selectedTaxRateId"] = entry["taxRateOptions"][index]["id"]
    document["configuration"]["sales"]["invoiceStatus"]["selectedInvoiceStatus"] = fields["invoiceStatus"]
    document["configuration"]["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"] = \
        fields["groupingPeriod"]
    document["schedule"].update(syncHour=7, timeZone="Europe/Paris")
    document["enable"] = True
    via_api = steps.configure(twin.company_id, document)
    for key in ("enable", "configured", "schedule"):
        assert via_api[key] == stored[key], key


@pytest.mark.parametrize(("redirect_url", "location"), [
    ("https://app.example.com/sync/done?merchant=42", "https://app.example.com/sync/done?merchant=42"),
    ("app.codat.io", "https://app.codat.io"),  # a bare host gets https://
])
def test_configuring_redirects_to_the_redirect_url(browser: Browser, steps: SandboxSteps, redirect_url: str,
                                                   location: str) -> None:
    merchant = steps.started(redirect_url=redirect_url)
    page = _authorized(browser, merchant.flow.url)
    done = browser.submit(page, "configure", _form(browser, page))
    assert done.status_code == 303
    assert done.headers["location"] == location


def test_an_incomplete_configuration_does_not_end_the_flow(api: SyncFlowApi, browser: Browser,
                                                           steps: SandboxSteps) -> None:
    merchant = steps.started(redirect_url="https://app.example.com/done")
    page = _authorized(browser, merchant.flow.url)
    answer = browser.submit(page, "configure", _form(browser, page, **{"account.payments.cash": ""}))
    assert answer.status_code == 400
    assert "id=problems" in answer.text and "id=configure" in answer.text
    assert steps.configuration(merchant.company_id)["configured"] is False


@pytest.mark.parametrize("hour", ["24", "-1", "abc", "²", "--5", "5.5", "1" * 40, ""])
def test_an_invalid_hour_shows_the_problem_and_stores_nothing(browser: Browser, steps: SandboxSteps,
                                                              hour: str) -> None:
    merchant = steps.started()
    page = _authorized(browser, merchant.flow.url)
    before = steps.configuration(merchant.company_id)
    answer = browser.submit(page, "configure", _form(browser, page, syncHour=hour))
    if hour == "":  # an empty hour is no hour: the default, 0
        assert answer.status_code == 200
        assert steps.configuration(merchant.company_id)["schedule"]["syncHour"] == 0
        return
    assert answer.status_code == 400
    assert "id=problems" in answer.text and "syncHour" in answer.text
    assert steps.configuration(merchant.company_id) == before


@pytest.mark.parametrize(("name", "value"), [("timeZone", "Mars/Olympus"), ("selectedFrequency", "Hourly"),
                                             ("account.sales.sales", "not-an-offered-id"),
                                             ("invoiceStatus", "Void"), ("groupingPeriod", "Yearly")])
def test_a_forged_choice_shows_the_problem_and_stores_nothing(browser: Browser, steps: SandboxSteps, name: str,
                                                              value: str) -> None:
    merchant = steps.started()
    page = _authorized(browser, merchant.flow.url)
    before = steps.configuration(merchant.company_id)
    answer = browser.submit(page, "configure", _form(browser, page, **{name: value}))
    assert answer.status_code == 400 and "id=problems" in answer.text
    assert steps.configuration(merchant.company_id) == before


def test_a_garbled_form_is_not_a_crash(browser: Browser, steps: SandboxSteps) -> None:
    page = _authorized(browser, steps.started().flow.url)
    answer = browser.http.post(form_action(page, "configure"), content=b"\xff\xfe%%%&&&==\x00" * 1000,
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code < 500


# -- sessions ------------------------------------------------------------------------------------


def test_an_unknown_session_is_refused(target: EmbeddedTarget, browser: Browser) -> None:
    for method, page in [("GET", "configure"), ("POST", "configure"), ("POST", "authorize"),
                         ("GET", "settings"), ("POST", "settings"), ("POST", "deauthorize")]:
        answer = browser.http.request(method, f"{target.base_url}/sync-flow/s/forged-token/{page}")
        assert answer.status_code == 401, (method, page)


def test_a_session_ends_after_an_hour(target: EmbeddedTarget, browser: Browser, steps: SandboxSteps) -> None:
    page = _authorized(browser, steps.started().flow.url)
    target.clock.advance(3599)
    assert browser.http.get(page.url).status_code == 200
    target.clock.advance(1)
    assert browser.http.get(page.url).status_code == 401
    assert browser.submit(page, "configure", _form(browser, page)).status_code == 401


def test_a_session_of_one_merchant_cannot_be_used_with_another_flow_url(browser: Browser,
                                                                        steps: SandboxSteps) -> None:
    first = steps.started("First Ltd")
    second = steps.started("Second Ltd")
    page = _authorized(browser, first.flow.url)
    browser.submit(page, "configure", _form(browser, page))
    assert steps.configuration(first.company_id)["configured"] is True
    assert steps.configuration(second.company_id)["configured"] is False


# -- review (seed §4, FLOW-3) ----------------------------------------------------------------------


def test_a_configured_merchant_opens_on_the_settings_page(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    page = browser.open(steps.flow_url(merchant.company_id))
    assert page.status_code == 200
    assert "id=settings" in page.text and "id=authorize" not in page.text


def test_a_linked_but_unconfigured_merchant_opens_on_the_configure_page(browser: Browser,
                                                                        steps: SandboxSteps) -> None:
    merchant = steps.linked()
    page = browser.open(steps.flow_url(merchant.company_id))
    assert "id=configure" in page.text


def test_settings_show_the_last_sync(api: SyncFlowApi, target: EmbeddedTarget, browser: Browser,
                                     steps: SandboxSteps) -> None:
    merchant = steps.configured()
    page = browser.open(steps.flow_url(merchant.company_id))
    assert browser.time(page, "last-sync") is None and 'id="last-sync"' in page.text
    target.clock.advance(60)
    api.request_sync(merchant.company_id)
    page = browser.open(steps.flow_url(merchant.company_id))
    assert browser.time(page, "last-sync") == target.clock.now()


def _local(year: int, month: int, day: int, hour: int, zone: str) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# The clock stands at Monday 2026-01-05 09:00 UTC; the next daily sync, worked out by hand.
NEXT_SYNC = {
    "midnight UTC": (0, "Etc/UTC", _local(2026, 1, 6, 0, "Etc/UTC")),
    "later today UTC": (10, "Etc/UTC", _local(2026, 1, 5, 10, "Etc/UTC")),
    "this very hour is past": (9, "Etc/UTC", _local(2026, 1, 6, 9, "Etc/UTC")),
    "Tokyo, 18:00 there now": (6, "Asia/Tokyo", _local(2026, 1, 6, 6, "Asia/Tokyo")),
    "Los Angeles, 01:00 there now": (23, "America/Los_Angeles", _local(2026, 1, 5, 23, "America/Los_Angeles")),
    "Kolkata, 14:30 there now": (5, "Asia/Kolkata", _local(2026, 1, 6, 5, "Asia/Kolkata")),
    "Kiritimati, 23:00 there now": (23, "Pacific/Kiritimati", _local(2026, 1, 6, 23, "Pacific/Kiritimati")),
}


@pytest.mark.parametrize("case", list(NEXT_SYNC))
def test_settings_show_the_next_sync_on_schedule(embedded: Callable[..., Embedded], case: str) -> None:
    hour, zone, expected = NEXT_SYNC[case]
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=hour, timeZone=zone)
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    assert e.browser.time(page, "next-sync") == expected
    assert f"{hour:02d}:00 {zone}" in page.text


def test_the_next_sync_moves_on_daily_across_a_clock_change(embedded: Callable[..., Embedded]) -> None:
    # Britain moves to summer time at 01:00 UTC on Sunday 2026-03-29.
    e = embedded(start=datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    merchant = e.steps.configured(syncHour=6, timeZone="Europe/London")
    seen = []
    for _ in range(4):
        page = e.browser.open(e.steps.flow_url(merchant.company_id))
        seen.append(e.browser.time(page, "next-sync"))
        e.target.clock.advance(86_400)
    assert seen == [_local(2026, 3, 28, 6, "Europe/London"), _local(2026, 3, 29, 6, "Europe/London"),
                    _local(2026, 3, 30, 6, "Europe/London"), _local(2026, 3, 31, 6, "Europe/London")]
    assert seen[0] and seen[1] and seen[1] - seen[0] == timedelta(hours=23)


def test_the_last_sync_shown_is_the_scheduled_one(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(4 * 3600)  # 13:00: the 12:00 sync has run
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    assert e.browser.time(page, "last-sync") == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert e.browser.time(page, "next-sync") == datetime(2026, 1, 6, 12, tzinfo=UTC)


def test_a_disabled_merchant_has_no_next_sync(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.configured(enable=False)
    page = browser.open(steps.flow_url(merchant.company_id))
    assert browser.time(page, "next-sync") is None
    assert "Disabled" in page.text


def test_changing_settings_stores_the_schedule(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    page = browser.open(steps.flow_url(merchant.company_id))
    answer = browser.submit(page, "settings", {"selectedFrequency": "Monthly", "syncHour": "21",
                                               "timeZone": "Europe/Berlin", "enable": "on"})
    shown = browser.follow(answer)
    assert "Monthly at 21:00 Europe/Berlin" in shown.text
    schedule = steps.configuration(merchant.company_id)["schedule"]
    assert (schedule["selectedFrequency"], schedule["syncHour"], schedule["timeZone"]) == \
        ("Monthly", 21, "Europe/Berlin")


def test_disabling_in_settings_keeps_configured(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    page = browser.open(steps.flow_url(merchant.company_id))
    browser.submit(page, "settings", {"selectedFrequency": "Daily", "syncHour": "0", "timeZone": "Etc/UTC"})
    stored = steps.configuration(merchant.company_id)
    assert (stored["enable"], stored["configured"]) == (False, True)


def test_an_invalid_setting_is_refused(browser: Browser, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    before = steps.configuration(merchant.company_id)
    page = browser.open(steps.flow_url(merchant.company_id))
    answer = browser.submit(page, "settings", {"selectedFrequency": "Daily", "syncHour": "99",
                                               "timeZone": "Etc/UTC", "enable": "on"})
    assert answer.status_code == 400
    assert steps.configuration(merchant.company_id) == before


def test_deauthorizing_in_settings_unlinks_accounting(api: SyncFlowApi, browser: Browser,
                                                      steps: SandboxSteps) -> None:
    merchant = steps.configured()
    page = browser.open(steps.flow_url(merchant.company_id))
    shown = browser.follow(browser.submit(page, "deauthorize", {}))
    assert _statuses(api, merchant.company_id)["Accounting"] == "Deauthorized"
    assert "Deauthorized" in shown.text
    assert browser.time(shown, "next-sync") is None


def test_after_deauthorizing_the_flow_asks_to_authorize_again(browser: Browser, api: SyncFlowApi,
                                                              steps: SandboxSteps) -> None:
    merchant = steps.configured()
    api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    page = browser.open(steps.flow_url(merchant.company_id))
    assert "id=authorize" in page.text
    browser.submit(page, "authorize", {"username": "m"})
    assert _statuses(api, merchant.company_id)["Accounting"] == "Linked"
    assert steps.configuration(merchant.company_id)["configured"] is True


def test_authorizing_after_the_connection_is_deleted_is_refused(api: SyncFlowApi, browser: Browser,
                                                                steps: SandboxSteps) -> None:
    merchant = steps.started()
    page = browser.open(merchant.flow.url)
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert browser.submit(page, "authorize", {"username": "m"}).status_code == 409
