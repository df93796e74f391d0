"""A connection the partner creates for a company: one PendingAuth connection per call, listed from then on, that
authorizes like the flow's own; an unknown company or platform refused (LINK-4)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

NOBODY = str(uuid.UUID(int=0xC0, version=4))


def _create(api: SyncFlowApi, company_id: str, body: Any) -> Any:
    return api.client.request("POST", f"/companies/{company_id}/connections", json_body=body)


@pytest.mark.parametrize(("key", "source_type", "name"), [("gbol", "Accounting", "Xero"),
                                                           ("lqai", "Commerce", "Partner Commerce")])
def test_a_known_key_creates_one_pending_connection(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps,
                                                    key: str, source_type: str, name: str) -> None:
    company_id = steps.company()
    response = _create(api, company_id, {"platformKey": key})
    assert response.status_code == 200, response.text
    created = response.json()
    assert (created["integrationKey"], created["status"]) == (key, "PendingAuth")  # LINK-4
    assert (created["sourceType"], created["platformName"]) == (source_type, name)
    assert [c["id"] for c in api.all_connections(company_id)] == [created["id"]]  # LINK-4: listed from then on
    assert [c["id"] for c in api.get_company(company_id).json()["dataConnections"]] == [created["id"]]


def test_each_call_adds_another(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    added = [_create(api, merchant.company_id, {"platformKey": "qhyg"}).json()["id"] for _ in range(2)]
    listed = [c["id"] for c in api.all_connections(merchant.company_id)]
    assert listed == [merchant.commerce_id, merchant.accounting_id, *added]


def test_a_created_connection_authorizes_and_a_new_ledger_can_be_configured(api: SyncFlowApi,
                                                                            steps: SandboxSteps) -> None:
    merchant = steps.configured()
    assert api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    created = _create(api, merchant.company_id, {"platformKey": "fbrh"}).json()
    assert steps.authorize(merchant.company_id, created["id"])["status"] == "Linked"
    configuration = steps.configuration(merchant.company_id)
    assert configuration["configuration"]["sales"]["accounts"]["sales"]["accountOptions"]  # the new ledger's


@pytest.mark.parametrize(("body", "status"), [
    ({"platformKey": "zzzz"}, 404),
    ({"platformKey": "abcd"}, 404),
    ({"platformKey": "GBOL"}, 404),
    ({"platformKey": "gbo"}, 404),
    ({"platformKey": 5}, 400),
    ({"platformKey": None}, 400),
    ({}, 400),
    (["gbol"], 400),
])
def test_an_unknown_or_malformed_key_is_refused_and_creates_nothing(api: SyncFlowApi, steps: SandboxSteps,
                                                                    body: Any, status: int) -> None:
    company_id = steps.company()
    steps.error(_create(api, company_id, body), status)
    assert api.all_connections(company_id) == []


def test_no_body_is_refused(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    steps.error(api.client.request("POST", f"/companies/{company_id}/connections", content=b""), 400)


@pytest.mark.parametrize("body", [{"platformKey": "gbol"}, {"platformKey": "zzzz"}, {}])
def test_an_unknown_company_is_404(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    error = steps.error(_create(api, NOBODY, body), 404)  # LINK-4: 404 for an unknown company
    assert NOBODY in error["error"]
