"""The sandbox's companies and their connections: creating and reading companies, authorizing,
de-authorizing and deleting connections, and paging the connection list.

Rules: READY-2, LINK-3, REV-4, API-4.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps

NOBODY = str(uuid.UUID(int=0x1234, version=4))


def _connections(api: SyncFlowApi, company_id: str) -> list[dict[str, Any]]:
    return api.all_connections(company_id)


# -- companies (READY-2) -------------------------------------------------------


def test_create_company_answers_the_new_company(target: EmbeddedTarget, api: SyncFlowApi) -> None:
    response = api.create_company("Acme Trading Ltd")
    assert response.status_code == 200
    body = response.json()
    uuid.UUID(body["id"])
    assert body["name"] == "Acme Trading Ltd"
    assert body["dataConnections"] == []
    assert datetime.fromisoformat(body["created"]) == target.clock.now()


def test_create_company_keeps_a_description(api: SyncFlowApi) -> None:
    response = api.client.request("POST", "/companies", json_body={"name": "Acme", "description": "POS merchant"})
    assert response.status_code == 200
    assert response.json()["description"] == "POS merchant"


def test_created_companies_have_distinct_ids(steps: SandboxSteps) -> None:
    assert steps.company("Acme") != steps.company("Acme")


@pytest.mark.parametrize("body", [
    {},
    {"name": ""},
    {"name": "   "},
    {"name": 42},
    {"name": None},
    {"name": "acme_ltd"},
    {"name": "acme: ltd"},
    {"name": "acme/ltd"},
    {"name": "acme #1"},
    {"name": "A" * 257},
    {"name": "Acme", "description": 7},
    {"name": "Acme", "description": "d" * 2049},
    ["Acme"],
    "Acme",
])
def test_create_company_refuses_a_bad_body(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    steps.error(api.client.request("POST", "/companies", json_body=body), 400)


def test_create_company_refuses_an_empty_body(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.client.request("POST", "/companies", content=b""), 400)


def test_get_company_answers_the_company_with_its_connections(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    body = api.get_company(merchant.company_id).json()
    assert body["id"] == merchant.company_id
    assert {c["id"] for c in body["dataConnections"]} == {merchant.commerce_id, merchant.accounting_id}


def test_get_company_finds_an_upper_case_id_through_the_start_call(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    response = api.start_flow("lqai", "gbol", company_id.upper())
    assert response.status_code == 200
    assert len(_connections(api, company_id)) == 2


@pytest.mark.parametrize("company_id", [NOBODY, "not-a-uuid", "0" * 300])
def test_unknown_company_is_404(api: SyncFlowApi, steps: SandboxSteps, company_id: str) -> None:
    steps.error(api.get_company(company_id), 404)


# -- connections (LINK-3, REV-4) ---------------------------------------------------


def test_authorization_makes_the_connection_linked(steps: SandboxSteps) -> None:
    merchant = steps.started()
    connection = steps.authorize(merchant.company_id, merchant.accounting_id)
    assert connection["status"] == "Linked"
    assert connection["linkUrl"].startswith("http")
    assert connection["created"]


def test_authorization_links_only_that_connection(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    steps.authorize(merchant.company_id, merchant.accounting_id)
    status = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert status == {merchant.accounting_id: "Linked", merchant.commerce_id: "PendingAuth"}


def test_authorization_accepts_an_empty_object(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    assert api.authorize(merchant.company_id, merchant.accounting_id, {}).status_code == 200


@pytest.mark.parametrize("body", [[], "token", 5, {"token": 5}, {"token": None}, {"nested": {"a": "b"}}])
def test_authorization_refuses_anything_but_an_object_of_strings(api: SyncFlowApi, steps: SandboxSteps,
                                                                  body: Any) -> None:
    merchant = steps.started()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}/authorization"
    steps.error(api.client.request("PUT", path, json_body=body), 400)
    assert {c["status"] for c in _connections(api, merchant.company_id)} == {"PendingAuth"}


def test_authorization_refuses_an_empty_body(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}/authorization"
    steps.error(api.client.request("PUT", path, content=b""), 400)


@pytest.mark.parametrize("status", ["Deauthorized", "Unlinked"])
def test_deauthorizing_leaves_the_connection_not_linked(api: SyncFlowApi, steps: SandboxSteps,
                                                        status: str) -> None:
    merchant = steps.linked()
    response = api.update_connection(merchant.company_id, merchant.accounting_id, status)
    assert response.status_code == 200
    assert response.json()["status"] == status
    listed = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert listed[merchant.accounting_id] == status


def test_update_with_null_status_changes_nothing(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    response = api.update_connection(merchant.company_id, merchant.accounting_id, None)
    assert response.status_code == 200
    assert response.json()["status"] == "Linked"


@pytest.mark.parametrize("status", ["Linked", "PendingAuth"])
def test_update_cannot_link_a_connection(api: SyncFlowApi, steps: SandboxSteps, status: str) -> None:
    merchant = steps.started()
    api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    steps.error(api.update_connection(merchant.company_id, merchant.accounting_id, status), 400)


@pytest.mark.parametrize("body", [{"status": "Broken"}, {"status": 3}, {"status": "Unlinked", "extra": 1},
                                  ["Unlinked"], "Unlinked"])
def test_update_refuses_a_bad_body(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    merchant = steps.linked()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}"
    steps.error(api.client.request("PATCH", path, json_body=body), 400)
    listed = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert listed[merchant.accounting_id] == "Linked"


def test_delete_removes_the_connection(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    response = api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert response.status_code in (200, 204)
    assert [c["id"] for c in _connections(api, merchant.company_id)] == [merchant.commerce_id]


def test_deleting_twice_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    steps.error(api.delete_connection(merchant.company_id, merchant.accounting_id), 404)


def test_connection_of_another_company_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    mine, theirs = steps.started("Mine"), steps.started("Theirs")
    steps.error(api.update_connection(mine.company_id, theirs.accounting_id, "Unlinked"), 404)
    steps.error(api.delete_connection(mine.company_id, theirs.accounting_id), 404)


# -- paging (API-4) ------------------------------------------------------------------


@pytest.fixture
def five_connections(api: SyncFlowApi, steps: SandboxSteps) -> str:
    """A company with one commerce and four accounting connections."""
    company_id = steps.company()
    for accounting in ("gbol", "qhyg", "fbrh", "mqjo"):
        assert api.start_flow("lqai", accounting, company_id).status_code == 200
    return company_id


def test_paging_defaults_to_page_1_of_100(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections).json()
    assert (body["pageNumber"], body["pageSize"], body["totalResults"], len(body["results"])) == (1, 100, 5, 5)
    assert "next" not in body["_links"] and "previous" not in body["_links"]


def test_paging_honours_page_and_page_size(api: SyncFlowApi, five_connections: str) -> None:
    pages = [api.list_connections(five_connections, page=p, page_size=2).json() for p in (1, 2, 3)]
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert [p["pageNumber"] for p in pages] == [1, 2, 3]
    assert {p["totalResults"] for p in pages} == {5}
    ids = [c["id"] for p in pages for c in p["results"]]
    assert len(set(ids)) == 5
    assert ids == [c["id"] for c in api.list_connections(five_connections).json()["results"]]


def test_next_link_exactly_when_a_later_page_exists(api: SyncFlowApi, five_connections: str) -> None:
    links = [api.list_connections(five_connections, page=p, page_size=2).json()["_links"] for p in (1, 2, 3, 4)]
    assert ["next" in link for link in links] == [True, True, False, False]
    assert ["previous" in link for link in links] == [False, True, True, True]
    assert all({"self", "current"} <= set(link) for link in links)
    assert links[0]["next"]["href"].endswith("page=2&pageSize=2")


def test_next_link_absent_when_the_last_page_is_exactly_full(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections, page=1, page_size=5).json()
    assert len(body["results"]) == 5
    assert "next" not in body["_links"]


def test_following_next_links_visits_every_connection(api: SyncFlowApi, five_connections: str) -> None:
    seen: list[str] = []
    href: str | None = f"/companies/{five_connections}/connections?page=1&pageSize=2"
    while href:
        body = api.client.request("GET", href).json()
        seen += [c["id"] for c in body["results"]]
        href = body["_links"].get("next", {}).get("href")
    assert len(seen) == len(set(seen)) == 5


def test_a_page_past_the_end_is_empty(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections, page=99, page_size=10).json()
    assert body["results"] == [] and body["totalResults"] == 5


def test_page_size_5000_is_accepted(api: SyncFlowApi, five_connections: str) -> None:
    assert api.list_connections(five_connections, page_size=5000).json()["pageSize"] == 5000


@pytest.mark.parametrize("params", [
    {"page": "0"}, {"page": "-1"}, {"pageSize": "0"}, {"pageSize": "5001"}, {"pageSize": "-5"},
    {"page": "abc"}, {"page": "1.5"}, {"pageSize": "ten"}, {"page": "1e3"}, {"page": "9" * 40},
    {"pageSize": "0x10"},
])
def test_bad_paging_parameters_are_400(api: SyncFlowApi, steps: SandboxSteps, five_connections: str,
                                       params: dict[str, str]) -> None:
    path = f"/companies/{five_connections}/connections"
    steps.error(api.client.request("GET", path, params=params), 400)
