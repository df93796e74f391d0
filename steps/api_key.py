"""API key steps: calls without the right key, and the key never coming back."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.core.account import RunId
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.secrets import Secret
from sfc_conformance.suite import configurations
from sfc_conformance.suite.answer_log import AnswerLog
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi

CREDENTIALS: dict[str, Callable[[Secret], dict[str, str]]] = {
    "no Authorization header": lambda key: {},
    "a wrong API key": lambda key: {"Authorization": "Basic " + base64.b64encode(
        f"wrong-{uuid.uuid4().hex}".encode()).decode()},
    "a Bearer token": lambda key: {"Authorization": "Bearer " + key.reveal()},
    # HTTP Basic's user:password shape is not the protocol (Basic base64(key)).
    "the key as HTTP Basic user:password": lambda key: {"Authorization": "Basic " + base64.b64encode(
        (key.reveal() + ":").encode()).decode()},
}


def _calls(api: TargetApi, settings: Settings, run_id: RunId, merchant: Merchant) -> dict[str, tuple[str, str, Any]]:
    company = f"/companies/{merchant.company_id}"
    connection = api.connection(merchant, "Accounting")["id"]
    return {
        # Marked as the run's (RUN-3), so that even a target that wrongly carries them out is cleaned up.
        "create a company": ("POST", "/companies", {"name": run_id.company_name("unauthorized")}),
        "start the flow": ("GET", f"/config/sync/commerce/{settings.commerce_key}/{settings.accounting_key}/start"
                                  f"?merchantIdentifier={merchant.company_id}", None),
        "read the company": ("GET", company, None),
        "list the connections": ("GET", f"{company}/connections", None),
        "authorize a connection": ("PUT", f"{company}/connections/{connection}/authorization", {"u": "x"}),
        "read the configuration": ("GET", f"/config{company}/sync/commerce", None),
        "set the configuration": ("POST", f"/config{company}/sync/commerce",
                                  {**(merchant.configuration or {}), "enable": False}),
        "update a connection": ("PATCH", f"{company}/connections/{connection}", {"status": "Deauthorized"}),
        "delete a connection": ("DELETE", f"{company}/connections/{connection}", None),
        "subscribe to webhooks": ("POST", "/webhooks", {"url": run_id.tag_url("http://127.0.0.1:9/never"),
                                                         "eventTypes": ["connection.deleted"]}),
        "request a sync": ("POST", f"{company}/sync/commerce/latest", {"syncTo": None}),
        "read the latest sync": ("GET", f"{company}/sync/commerce/syncs/latest/status", None),
    }


BEFORE = pytest.StashKey[dict[str, Any]]()


def snapshot(api: TargetApi, merchant: Merchant) -> dict[str, Any]:
    """What an unauthorized call must not change, read with the right key."""
    return {
        "connections": sorted((c["id"], c.get("status")) for c in api.connections(merchant)),
        "configuration": configurations.selections(api.configuration(merchant)),
        "latest sync": api.latest_sync_id(merchant),
    }


@when(parsers.parse('the partner calls "{call}" with {credentials}'), target_fixture="answer")
def _(api: TargetApi, client: ApiClient, settings: Settings, run_id: RunId, merchant: Merchant, call: str,
      credentials: str, request: pytest.FixtureRequest) -> httpx.Response:
    method, path, body = _calls(api, settings, run_id, merchant)[call]
    request.node.stash[BEFORE] = snapshot(api, merchant)
    headers = CREDENTIALS[credentials](client.api_key)
    return client.request(method, path, json_body=body, headers=headers, authenticated=False, retry=False)


@then("nothing has changed for the merchant")
def _(api: TargetApi, merchant: Merchant, request: pytest.FixtureRequest) -> None:
    """KEY-1: a call without the right key changed nothing."""
    before = request.node.stash[BEFORE]
    after = snapshot(api, merchant)
    assert after == before, f"an unauthorized call changed the merchant: before {before}, after {after}"


@then("no answer, header or flow URL of the run so far contains the API key")
def _(answer_log: AnswerLog) -> None:
    """KEY-2: no answer body, header or flow URL of the whole run contains the API key."""
    leaks = [r for r in answer_log.records if r.leaked_key]
    assert not leaks, f"{len(leaks)} answers contain the API key, the first: {leaks[0].method} {leaks[0].path}"
