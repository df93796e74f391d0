"""READY-1 for one merchant: ``readiness.assess`` and the ``sfc-conformance readiness`` command."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sfc_conformance.core.profile import assess, readiness
from tests.helpers import authorized_client, call, refused

ACCOUNTING_ID = "a1b2c3d4-0000-4000-8000-00000000aaaa"
COMMERCE_ID = "c0ffee00-0000-4000-8000-00000000cccc"


def connection(kind: str, status: str = "Linked", connection_id: str | None = None) -> dict[str, Any]:
    return {"id": connection_id or (ACCOUNTING_ID if kind == "Accounting" else COMMERCE_ID),
            "sourceType": kind, "status": status}


def linked() -> list[dict[str, Any]]:
    return [connection("Accounting"), connection("Commerce")]


def company(connections: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": "Readiness Ltd", "dataConnections": connections}


READY_CONFIGURATION = {"enable": True, "configured": True}


# -- assess -----------------------------------------------------------------------


def test_ready() -> None:
    result = assess(company(linked()), READY_CONFIGURATION, linked())
    assert result.ready
    assert result.unmet == ()
    assert result.flag_name == "enable"


def test_accounting_pending_auth_is_named_with_the_id_prefix_and_key() -> None:
    connections = [{**connection("Accounting", "PendingAuth"), "integrationKey": "gbol"}, connection("Commerce")]
    result = assess(company(connections), READY_CONFIGURATION)
    assert not result.ready
    assert result.reasons == ["Accounting connection a1b2c3d4… (gbol) is PendingAuth, not Linked"]
    assert result.fails(readiness.ACCOUNTING) and not result.fails(readiness.COMMERCE)
    assert ACCOUNTING_ID not in result.reasons[0]  # the prefix only


def test_commerce_missing() -> None:
    result = assess(company([connection("Accounting")]), READY_CONFIGURATION)
    assert result.reasons == ["the company has no Commerce connection"]


def test_no_connections_at_all() -> None:
    result = assess(company([]), READY_CONFIGURATION)
    assert result.reasons == ["the company has no Accounting connection", "the company has no Commerce connection"]


def test_a_company_without_data_connections_is_not_ready() -> None:
    result = assess({"id": "x", "name": "n"}, READY_CONFIGURATION)
    assert [u.condition for u in result.unmet] == [readiness.ACCOUNTING, readiness.COMMERCE]
    assert all("dataConnections" in reason for reason in result.reasons)


def test_one_linked_connection_of_a_kind_is_enough() -> None:
    connections = [connection("Accounting", "Deauthorized", "deadbeef-1"), *linked()]
    assert assess(company(connections), READY_CONFIGURATION).ready


def test_every_unlinked_connection_of_a_kind_is_shown() -> None:
    connections = [connection("Commerce", "PendingAuth", "11111111-x"),
                   connection("Commerce", "Unlinked", "22222222-y"),
                   connection("Accounting")]
    result = assess(company(connections), READY_CONFIGURATION)
    assert result.reasons == ["Commerce connection 11111111… is PendingAuth, 22222222… is Unlinked, not Linked"]


def test_enable_false_is_named_as_json() -> None:
    result = assess(company(linked()), {"enable": False, "configured": True})
    assert result.reasons == ["the configuration's `enable` is false, not true"]
    assert result.fails(readiness.ENABLED)
    assert result.flag_name == "enable"


def test_enable_must_be_the_boolean_true() -> None:
    result = assess(company(linked()), {"enable": "true", "configured": True})
    assert result.reasons == ["the configuration's `enable` is \"true\", not true"]


def test_configured_false() -> None:
    result = assess(company(linked()), {"enable": True, "configured": False})
    assert result.reasons == ["the configuration's `configured` is false, not true"]
    assert result.fails(readiness.CONFIGURED)


def test_configured_missing() -> None:
    result = assess(company(linked()), {"enable": True})
    assert result.reasons == ["the configuration's `configured` is null, not true"]


def test_unreadable_configuration_is_not_ready() -> None:
    result = assess(company(linked()), None)
    assert result.fails(readiness.CONFIGURED) and not result.ready


def test_enabled_alias_is_accepted_and_reported() -> None:
    result = assess(company(linked()), {"enabled": True, "configured": True})
    assert result.ready
    assert result.flag_name == "enabled"


def test_enabled_alias_false_is_named_by_the_targets_spelling() -> None:
    result = assess(company(linked()), {"enabled": False, "configured": True})
    assert result.reasons == ["the configuration's `enabled` is false, not true"]
    assert result.flag_name == "enabled"


def test_no_enable_flag() -> None:
    result = assess(company(linked()), {"configured": True})
    assert result.reasons == ["the configuration has neither `enable` nor `enabled`"]
    assert result.flag_name is None


def test_every_unmet_condition_is_named() -> None:
    result = assess(company([connection("Accounting", "PendingAuth")]), {"enable": False, "configured": False})
    assert result.reasons == [
        "Accounting connection a1b2c3d4… is PendingAuth, not Linked",
        "the company has no Commerce connection",
        "the configuration's `enable` is false, not true",
        "the configuration's `configured` is false, not true",
    ]


def test_the_company_and_the_connections_list_must_agree() -> None:
    listed = [connection("Accounting", "PendingAuth"), connection("Commerce"),
              connection("Commerce", "Linked", "99999999-z")]
    result = assess(company(linked()), READY_CONFIGURATION, listed)
    assert not result.ready
    assert [u.condition for u in result.unmet] == [readiness.AGREEMENT, readiness.AGREEMENT]
    assert result.reasons == [
        "connection 99999999… is in the connections list but not in the company's dataConnections",
        "connection a1b2c3d4… is Linked in the company's dataConnections but PendingAuth in the connections list",
    ]


# -- the command against the served sandbox ------------------------------------------


class Merchant:
    """Drives the served sandbox over HTTP, as an integrator would."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = authorized_client(base_url, api_key)

    def close(self) -> None:
        self.http.close()

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
        return response.json()

    def started(self) -> str:
        company_id = str(self.ok(self.http.post("/companies", json={"name": "Readiness Ltd"}))["id"])
        self.ok(self.http.get("/config/sync/commerce/lqai/gbol/start", params={"merchantIdentifier": company_id}))
        return company_id

    def connections(self, company_id: str) -> list[dict[str, Any]]:
        return list(self.ok(self.http.get(f"/companies/{company_id}/connections",
                                          params={"page": 1, "pageSize": 100}))["results"])

    def configuration(self, company_id: str) -> dict[str, Any]:
        return dict(self.ok(self.http.get(f"/config/companies/{company_id}/sync/commerce")))

    def onboarded(self) -> str:
        company_id = self.started()
        for found in self.connections(company_id):
            self.ok(self.http.put(f"/companies/{company_id}/connections/{found['id']}/authorization",
                                  json={"username": "merchant", "password": "s3cret"}))
        document = self.configuration(company_id)
        for section in ("sales", "payments", "fees"):
            for entry in document["configuration"][section]["accounts"].values():
                if entry["required"]:
                    entry["selectedAccountId"] = entry["accountOptions"][0]["id"]
        document["enable"] = True
        saved = self.ok(self.http.post(f"/config/companies/{company_id}/sync/commerce", json=document))
        assert saved["enable"] is True and saved["configured"] is True
        return company_id

    def snapshot(self, company_id: str) -> tuple[Any, ...]:
        return (self.ok(self.http.get(f"/companies/{company_id}")), self.connections(company_id),
                self.configuration(company_id))


@pytest.fixture
def merchant(served_sandbox: tuple[str, str]) -> Iterator[Merchant]:
    driver = Merchant(*served_sandbox)
    yield driver
    driver.close()


def check(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str], company_id: str) -> tuple[int, str]:
    base_url, api_key = served_sandbox
    code, out, err = call(capsys, "readiness", "--base-url", base_url, "--api-key", api_key, "--company-id",
                          company_id)
    assert api_key not in out + err
    return code, out


def only_reads(sent: list[tuple[str, str]]) -> bool:
    """The command sent requests, and every one of them a GET."""
    return bool(sent) and {method for method, _ in sent} == {"GET"}


def test_started_company_is_not_ready(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str],
                                      merchant: Merchant, readiness_requests: list[tuple[str, str]]) -> None:
    company_id = merchant.started()
    accounting = next(c for c in merchant.connections(company_id) if c["sourceType"] == "Accounting")
    commerce = next(c for c in merchant.connections(company_id) if c["sourceType"] == "Commerce")
    before = merchant.snapshot(company_id)
    code, out = check(capsys, served_sandbox, company_id)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"NOT READY: company {company_id}"
    assert lines[1:] == [
        f"  - Accounting connection {accounting['id'][:8]}… (gbol) is PendingAuth, not Linked",
        f"  - Commerce connection {commerce['id'][:8]}… (lqai) is PendingAuth, not Linked",
        "  - the configuration's `enable` is false, not true",
        "  - the configuration's `configured` is false, not true",
    ]
    assert merchant.snapshot(company_id) == before
    assert only_reads(readiness_requests)


def test_onboarded_company_is_ready(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str],
                                    merchant: Merchant, readiness_requests: list[tuple[str, str]]) -> None:
    company_id = merchant.onboarded()
    before = merchant.snapshot(company_id)
    code, out = check(capsys, served_sandbox, company_id)
    assert code == 0, out
    assert out.startswith(f"READY: company {company_id}")
    assert len(out.splitlines()) == 1
    assert merchant.snapshot(company_id) == before
    assert only_reads(readiness_requests)


def test_unknown_company_is_not_found(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str],
                                      readiness_requests: list[tuple[str, str]]) -> None:
    unknown = str(uuid.uuid4())
    code, out = check(capsys, served_sandbox, unknown)
    assert code == 1
    assert out.splitlines() == [f"NOT READY: company {unknown} was not found (404)"]
    assert only_reads(readiness_requests)


def test_wrong_key_is_exit_2(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str]) -> None:
    base_url, _ = served_sandbox
    line = refused(capsys, "readiness", "--base-url", base_url, "--api-key", "wrong-key-Rb9", "--company-id", "c1")
    # The same line `run` gives when its probe meets a refused key.
    assert line.startswith("sfc-conformance: the target refused the API key: GET /companies/")
    assert line.endswith("answered 401; check --api-key / SFC_API_KEY")
    assert "wrong-key-Rb9" not in line


def test_key_and_base_url_from_the_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                               served_sandbox: tuple[str, str], merchant: Merchant) -> None:
    company_id = merchant.onboarded()
    monkeypatch.setenv("SFC_BASE_URL", served_sandbox[0])
    monkeypatch.setenv("SFC_API_KEY", served_sandbox[1])
    code, out, err = call(capsys, "readiness", "--company-id", company_id)
    assert code == 0, err
    assert out.startswith("READY: ")
