"""Flow page steps (FLOW-1..FLOW-3): the merchant's side, on the embedded sandbox."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite import choices
from sfc_conformance.suite.drivers import ApiDriver, PagesDriver
from sfc_conformance.suite.world import Merchant, Suite

_TIME = r'<time id="{}" datetime="([^"]+)"'


@when("the merchant authorizes and configures through the flow pages", target_fixture="finished")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return PagesDriver(sfc).onboard(merchant)


@when("the other merchant makes the same choices through the API")
def _(sfc: Suite, other: Merchant) -> None:
    sfc.expect(sfc.start_flow(other), 200, "starting the other merchant's flow")
    ApiDriver(sfc).onboard(other)  # explicitly the API, whichever driver the run uses


# FLOW-1
@then("both merchants have the same connection statuses and the same configuration")
def _(sfc: Suite, merchant: Merchant, other: Merchant) -> None:
    def state(m: Merchant) -> tuple:
        statuses = sorted((c.get("sourceType"), c.get("integrationKey"), c.get("status")) for c in sfc.connections(m))
        document = sfc.configuration(m)
        return statuses, choices.selections(document, by_name=True), document.get("configured")

    pages, api = state(merchant), state(other)
    assert pages == api, f"the flow pages left {pages}\n     the API left {api}"


# FLOW-2
@then("the merchant sees a success page")
def _(finished: httpx.Response) -> None:
    assert finished.status_code == 200, f"the flow ended with {finished.status_code}, not a success page"
    assert 'id=success' in finished.text or 'id="success"' in finished.text, (
        f"the last page is not the success page: {finished.text[:300]}")


@then(parsers.parse('the merchant is redirected to "{redirect}"'))
def _(finished: httpx.Response, redirect: str) -> None:
    assert finished.status_code in (301, 302, 303, 307, 308), (
        f"the flow ended with {finished.status_code}, not a redirect to {redirect}")
    location = finished.headers.get("location")
    assert location in (redirect, f"https://{redirect}"), f"the flow redirects to {location!r}, not {redirect!r}"


@then("the settings page shows the last and the next sync")
def _(opened: httpx.Response) -> None:
    assert opened.status_code == 200, f"the flow URL of a configured merchant answered {opened.status_code}"
    for which in ("last-sync", "next-sync"):
        assert re.search(_TIME.format(which), opened.text), f"the settings page shows no {which} date-time"


@then(parsers.parse('the next sync is the next {hour:d}:00 in "{zone}"'))
def _(sfc: Suite, opened: httpx.Response, hour: int, zone: str) -> None:
    shown = datetime.fromisoformat(re.search(_TIME.format("next-sync"), opened.text).group(1))  # type: ignore[union-attr]
    local_now = sfc.clock.now().astimezone(ZoneInfo(zone))
    expected = local_now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if expected <= local_now:
        expected = (local_now + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    assert shown == expected, f"the next sync shown is {shown.isoformat()}, expected {expected.isoformat()}"
