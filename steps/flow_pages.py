"""Flow page steps: the merchant's side of the flow, walked on the embedded sandbox.

The flow is walked in the run's browser when it has one (``--browser``,
``--merchant-driver browser``), in either flow style, with a screenshot of
every screen; without one, the server-rendered pages are walked with plain
HTTP, and an app-style flow — which only a browser runs — is n/a.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.core.clock import Clock
from sfc_conformance.merchant.view import shown_times
from sfc_conformance.suite import configurations
from sfc_conformance.suite.drivers import ApiDriver, BrowserDriver, FlowEnd, PagesDriver
from sfc_conformance.suite.flow_viewer import OpenedFlow
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.target_api import TargetApi

NEEDS_A_BROWSER = ("the app-style flow runs only in a browser, and this run has none: pass --browser PATH "
                   "or --merchant-driver browser")


@when("the merchant authorizes and configures through the flow pages", target_fixture="finished")
def _(flow_walker: PagesDriver | BrowserDriver | None, merchant: Merchant) -> FlowEnd:
    if flow_walker is None:
        pytest.skip(NEEDS_A_BROWSER)
    return flow_walker.walk(merchant)


@when("the other merchant makes the same choices through the API")
def _(merchants: Merchants, api_driver: ApiDriver, other: Merchant) -> None:
    merchants.issue_flow_url(other, "starting the other merchant's flow")
    api_driver.onboard(other)  # explicitly the API, whichever driver the run uses


@then("both merchants have the same connection statuses and the same configuration")
def _(api: TargetApi, merchant: Merchant, other: Merchant) -> None:
    """FLOW-1: walking the flow pages leaves the same state the API does."""

    def state(m: Merchant) -> tuple[list[tuple[Any, Any, Any]], dict[str, Any], Any]:  # as the target sent them
        statuses = sorted((c.get("sourceType"), c.get("integrationKey"), c.get("status")) for c in api.connections(m))
        document = api.configuration(m)
        return statuses, configurations.selections(document, by_name=True), document.get("configured")

    by_pages, by_api = state(merchant), state(other)
    assert by_pages == by_api, f"the flow pages left {by_pages}\n     the API left {by_api}"


@then("the merchant sees a success page")
def _(finished: FlowEnd) -> None:
    """FLOW-2: without a redirect URL the flow ends on a success page."""
    assert finished.screen == "success", f"the flow did not end on a success page: {finished.shown}"


def _same_address(one: str, other: str) -> bool:
    """Equal as a browser goes there: the scheme and host in any case, "/" for an empty path."""
    a, b = httpx.URL(one), httpx.URL(other)
    return (a.scheme, a.host, a.port, a.path or "/", a.query, a.fragment) == \
        (b.scheme, b.host, b.port, b.path or "/", b.query, b.fragment)


@then(parsers.parse('the merchant is redirected to "{redirect}"'))
def _(finished: FlowEnd, redirect: str) -> None:
    """FLOW-2: with a redirect URL the flow ends by redirecting the merchant there."""
    assert finished.screen == "redirect", f"the flow did not redirect the merchant to {redirect}: {finished.shown}"
    wanted = redirect if "://" in redirect else f"https://{redirect}"  # a bare host, as the seed's example gives it
    assert _same_address(finished.location, wanted), f"the flow redirects to {finished.location!r}, not {redirect!r}"


def _shown_time(opened: OpenedFlow, which: str) -> datetime:
    if opened.judgement is None:  # the open step skips first; kept for a step used on its own
        pytest.skip(opened.reason)
    value = shown_times(opened.document).get(which)
    assert value, f"the settings page shows no {which} date-time ({opened.reason}){chr(10) + opened.detail}"
    return datetime.fromisoformat(value)


@then("the settings page shows the last and the next sync")
def _(opened: OpenedFlow) -> None:
    """FLOW-3: a configured merchant's flow opens on the settings page, with the last and the next sync."""
    assert opened.opens, f"the flow URL of a configured merchant did not open: {opened.reason}\n{opened.detail}"
    for which in ("last-sync", "next-sync"):
        _shown_time(opened, which)


@then(parsers.parse('the next sync is the next {hour:d}:00 in "{zone}"'))
def _(clock: Clock, opened: OpenedFlow, hour: int, zone: str) -> None:
    """FLOW-3: the next sync shown follows the schedule: daily at syncHour in timeZone."""
    shown = _shown_time(opened, "next-sync")
    local_now = clock.now().astimezone(ZoneInfo(zone))
    expected = local_now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if expected <= local_now:
        expected = (local_now + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    assert shown == expected, f"the next sync shown is {shown.isoformat()}, expected {expected.isoformat()}"
