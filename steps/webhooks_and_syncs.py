"""Connection-deleted steps: the webhook (DEL-1, DEL-4) and syncs after it (DEL-2, DEL-3)."""

from __future__ import annotations

import json

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.contract import load_contract
from sfc_conformance.suite.world import Merchant, Suite
from sfc_conformance.webhook_receiver import Delivery

DELIVERY_WINDOW = 10.0  # seconds, DEL-1


def _for_connection(merchant: Merchant) -> object:
    def matches(delivery: Delivery) -> bool:
        body = delivery.body if isinstance(delivery.body, dict) else {}
        payload = body.get("payload") or {}
        return (body.get("eventType") == "connection.deleted"
                and (payload.get("connection") or {}).get("id") == merchant.severed_connection_id)
    return matches


def _deliveries(sfc: Suite, merchant: Merchant) -> list[Delivery]:
    # The embedded sandbox delivers before the DELETE returns: nothing to wait for.
    window = 0.0 if sfc.target.is_embedded else DELIVERY_WINDOW
    return sfc.target.receiver.wait_for(_for_connection(merchant), window)


@given("the partner is subscribed to connection.deleted webhooks")
def _(sfc: Suite) -> None:
    sfc.subscribe_once()


@when("the partner requests a sync", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.request_sync(merchant.company_id)


@when("the partner reads the latest sync status", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.latest_sync(merchant.company_id)


@when(parsers.re(r"(?P<days>\d+) days? pass(es)?"))
def _(sfc: Suite, days: str) -> None:
    sfc.target.clock.advance(int(days) * 86400)


@then(parsers.parse("one connection.deleted webhook arrives within {seconds:d} seconds for that company and "
                    "connection"))
def _(sfc: Suite, merchant: Merchant, seconds: int) -> None:
    deliveries = _deliveries(sfc, merchant)
    assert deliveries, (f"no connection.deleted webhook for connection {merchant.severed_connection_id} reached "
                        f"{sfc.target.receiver_url} within {DELIVERY_WINDOW:g} s")
    events = {d.body.get("id") for d in deliveries}
    assert len(events) == 1, f"the deletion was announced as {len(events)} different events: {sorted(events)}"
    company = ((deliveries[0].body.get("payload") or {}).get("referenceCompany") or {}).get("id")
    assert company == merchant.company_id, f"the webhook names company {company}, not {merchant.company_id}"


@then("the webhook is a ConnectionWebhook")
def _(sfc: Suite, merchant: Merchant) -> None:
    contract = load_contract()
    body = _deliveries(sfc, merchant)[0].body
    problems = contract.validate_schema(contract.schema_named("ConnectionWebhook"), body)
    assert not problems, f"the webhook is not a ConnectionWebhook: {problems}"


@then("the webhook carries Standard Webhooks headers whose signature verifies")
def _(sfc: Suite, merchant: Merchant) -> None:
    deliveries = _deliveries(sfc, merchant)
    assert deliveries, "no connection.deleted webhook arrived to check"
    unsigned = [d for d in deliveries if not d.signed]
    assert not unsigned, "the webhook came without webhook-id, webhook-timestamp and webhook-signature headers"
    if sfc.target.receiver.secret is None:
        pytest.skip("signed, but not verifiable: no webhook signing secret was given (--webhook-secret)")
    assert all(d.verified for d in deliveries), "a webhook's signature did not verify with the signing secret"


@then("a forged delivery is refused")
def _(sfc: Suite, merchant: Merchant) -> None:
    genuine = _deliveries(sfc, merchant)[0]
    forged = dict(genuine.headers)
    forged["webhook-signature"] = "v1,Zm9yZ2VkLXNpZ25hdHVyZS1mb3ItdGhlLXN1aXRlLXRlc3Q="
    status = sfc.target.receiver.accept(json.dumps(genuine.body).encode(), forged)
    assert status == 401, f"the receiver accepted a forged webhook (answered {status})"


@then("the sync does not succeed")
def _(sfc: Suite, answer: httpx.Response) -> None:
    if answer.status_code >= 400:
        return  # an ErrorMessage is a refusal; API-3 checks its shape
    body = sfc.expect(answer, 200, "requesting a sync")
    code = body.get("syncStatusCode") if isinstance(body, dict) else None
    assert isinstance(code, int) and code >= 4000, (
        f"a sync requested after the deletion answered syncStatusCode {code!r} ({body.get('syncStatus')!r})")


@then("the latest sync status is not Complete for any sync after the deletion")
def _(sfc: Suite, merchant: Merchant) -> None:
    answer = sfc.api.latest_sync(merchant.company_id)
    if answer.status_code == 404:
        return
    status = sfc.expect(answer, 200, "reading the latest sync status")
    if status.get("syncId") == merchant.severed_after_sync:
        return  # still the sync from before the deletion
    assert status.get("syncStatus") != "Complete", (
        f"sync {status.get('syncId')} after the deletion is Complete: {status}")


@then("a scheduled sync has run")
def _(sfc: Suite, merchant: Merchant) -> None:
    assert sfc.latest_sync_id(merchant), "a day passed on the sandbox clock and no scheduled sync ran"


@then("no scheduled sync has run since the deletion")
def _(sfc: Suite, merchant: Merchant) -> None:
    latest = sfc.latest_sync_id(merchant)
    assert latest == merchant.severed_after_sync, (
        f"sync {latest} ran after the accounting connection was deleted (the last before was "
        f"{merchant.severed_after_sync or 'none'})")
