"""API key steps (KEY-1, KEY-2)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.suite import choices
from sfc_conformance.suite.world import Merchant, Suite

CREDENTIALS: dict[str, Callable[[Suite], dict[str, str]]] = {
    "no Authorization header": lambda sfc: {},
    "a wrong API key": lambda sfc: {"Authorization": "Basic " + base64.b64encode(
        f"wrong-{uuid.uuid4().hex}".encode()).decode()},
    "a Bearer token": lambda sfc: {"Authorization": "Bearer " + sfc.target.api_key.reveal()},
    # HTTP Basic's user:password shape is not the protocol (Basic base64(key)).
    "the key as HTTP Basic user:password": lambda sfc: {"Authorization": "Basic " + base64.b64encode(
        (sfc.target.api_key.reveal() + ":").encode()).decode()},
}


def _calls(sfc: Suite, merchant: Merchant) -> dict[str, tuple[str, str, Any]]:
    company = f"/companies/{merchant.company_id}"
    connection = sfc.connection(merchant, "Accounting")["id"]
    return {
        # Marked as the run's (RUN-3), so that even a target that wrongly carries them out is cleaned up.
        "create a company": ("POST", "/companies", {"name": sfc.run.company_name("unauthorized")}),
        "start the flow": ("GET", f"/config/sync/commerce/{sfc.commerce_key}/{sfc.accounting_key}/start"
                                  f"?merchantIdentifier={merchant.company_id}", None),
        "read the company": ("GET", company, None),
        "list the connections": ("GET", f"{company}/connections", None),
        "authorize a connection": ("PUT", f"{company}/connections/{connection}/authorization", {"u": "x"}),
        "read the configuration": ("GET", f"/config{company}/sync/commerce", None),
        "set the configuration": ("POST", f"/config{company}/sync/commerce",
                                  {**(merchant.configuration or {}), "enable": False}),
        "update a connection": ("PATCH", f"{company}/connections/{connection}", {"status": "Deauthorized"}),
        "delete a connection": ("DELETE", f"{company}/connections/{connection}", None),
        "subscribe to webhooks": ("POST", "/webhooks", {"url": sfc.run.tag_url("http://127.0.0.1:9/never"),
                                                         "eventTypes": ["connection.deleted"]}),
        "request a sync": ("POST", f"{company}/sync/commerce/latest", {"syncTo": None}),
        "read the latest sync": ("GET", f"{company}/sync/commerce/syncs/latest/status", None),
    }


BEFORE = pytest.StashKey[dict[str, Any]]()


def snapshot(sfc: Suite, merchant: Merchant) -> dict[str, Any]:
    """What an unauthorized call must not change, read with the right key."""
    return {
        "connections": sorted((c["id"], c.get("status")) for c in sfc.connections(merchant)),
        "configuration": choices.selections(sfc.configuration(merchant)),
        "latest sync": sfc.latest_sync_id(merchant),
    }


@when(parsers.parse('the partner calls "{call}" with {credentials}'), target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, call: str, credentials: str, request: pytest.FixtureRequest) -> httpx.Response:
    method, path, body = _calls(sfc, merchant)[call]
    request.node.stash[BEFORE] = snapshot(sfc, merchant)
    headers = CREDENTIALS[credentials](sfc)
    return sfc.client.request(method, path, json_body=body, headers=headers, authenticated=False, retry=False)


@then("nothing has changed for the merchant")
def _(sfc: Suite, merchant: Merchant, request: pytest.FixtureRequest) -> None:
    before = request.node.stash[BEFORE]
    after = snapshot(sfc, merchant)
    assert after == before, f"an unauthorized call changed the merchant: before {before}, after {after}"


@then("no answer, header or flow URL of the run so far contains the API key")
def _(sfc: Suite) -> None:
    leaks = [r for r in sfc.observations.records if r.leaked_key]
    assert not leaks, f"{len(leaks)} answers contain the API key, the first: {leaks[0].method} {leaks[0].path}"
