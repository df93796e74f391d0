"""Every sync kept per company: listed, read by id, the latest and the last successful (SYNC-1, SYNC-2); syncs of a
date range (SYNC-3); the sync status; Codat's codes after a deletion or a de-authorization (DEL-2); the settings
page's last sync following the history (FLOW-3)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.sandbox.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from tests.conftest import Embedded, SandboxSteps

from collections.abc import Callable

NOBODY = str(uuid.UUID(int=0x5CC, version=4))


def _get(api: SyncFlowApi, path: str, status: int = 200) -> Any:
    response = api.client.request("GET", path)
    assert response.status_code == status, response.text
    return response.json()


def _history(api: SyncFlowApi, company_id: str) -> list[dict[str, Any]]:
    return list(_get(api, f"/companies/{company_id}/sync/commerce/syncs/list/status"))


def _sync(api: SyncFlowApi, company_id: str) -> dict[str, Any]:
    response = api.request_sync(company_id)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _range(api: SyncFlowApi, company_id: str, start: Any, finish: Any) -> Any:
    return api.client.request("POST", f"/meta/companies/{company_id}/sync/commerce/historic",
                              json_body={"dateRange": {"start": start, "finish": finish}})


def test_every_sync_is_listed_oldest_first_and_read_by_its_id(target: EmbeddedTarget, api: SyncFlowApi,
                                                              steps: SandboxSteps) -> None:
    merchant = steps.configured()
    assert _history(api, merchant.company_id) == []
    started = []
    for _ in range(3):
        target.clock.advance(3600)
        started.append(_sync(api, merchant.company_id))
    history = _history(api, merchant.company_id)
    assert [entry["syncId"] for entry in history] == [summary["commerceSyncId"] for summary in started]  # SYNC-1
    for entry in history:
        assert _get(api, f"/companies/{merchant.company_id}/sync/commerce/syncs/{entry['syncId']}/status") == entry
    latest = _get(api, f"/companies/{merchant.company_id}/sync/commerce/syncs/latest/status")
    assert latest == history[-1]  # SYNC-1: the newest listed


def test_a_failed_sync_is_kept_with_its_code(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()  # not configured: a configuration error
    summary = _sync(api, merchant.company_id)
    (entry,) = _history(api, merchant.company_id)
    assert (entry["syncId"], entry["syncStatusCode"], entry["dataPushed"]) == (summary["commerceSyncId"], 4000, False)
    assert entry["errorMessage"]


def test_an_unknown_sync_or_company_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    _sync(api, merchant.company_id)
    other = steps.configured("Other Trading Ltd")
    theirs = _sync(api, other.company_id)["commerceSyncId"]
    for sync_id in (NOBODY, theirs, "not-a-sync"):  # SYNC-1: another company's sync is not this one's
        steps.error(api.client.request("GET", f"/companies/{merchant.company_id}/sync/commerce/syncs/{sync_id}"
                                              "/status"), 404)
    for path in ("syncs/list/status", "syncs/lastSuccessful/status", f"syncs/{theirs}/status"):
        steps.error(api.client.request("GET", f"/companies/{NOBODY}/sync/commerce/{path}"), 404)
    steps.error(api.client.request("GET", f"/meta/companies/{NOBODY}/sync/commerce/status"), 404)


# -- the last successful sync (SYNC-2) -------------------------------------------------------------------


def test_the_last_successful_sync_is_the_newest_success(target: EmbeddedTarget, api: SyncFlowApi,
                                                         steps: SandboxSteps) -> None:
    merchant = steps.configured()
    last_successful = f"/companies/{merchant.company_id}/sync/commerce/syncs/lastSuccessful/status"
    steps.error(api.client.request("GET", last_successful), 404)  # SYNC-2: none succeeded yet
    target.clock.advance(3600)
    good = _sync(api, merchant.company_id)
    assert _get(api, last_successful)["syncId"] == good["commerceSyncId"]
    assert steps.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized").status_code == 200
    target.clock.advance(3600)
    failed = _sync(api, merchant.company_id)
    assert failed["syncStatusCode"] == 4220  # de-authorized
    assert _get(api, last_successful)["syncId"] == good["commerceSyncId"]
    assert _history(api, merchant.company_id)[-1]["syncId"] == failed["commerceSyncId"]


def test_nothing_to_write_is_a_success_too(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    first = _sync(api, merchant.company_id)
    again = _sync(api, merchant.company_id)  # the clock has not moved: nothing new since the first
    assert (first["syncStatusCode"], first["dataPushed"]) == (2000, True)
    assert (again["syncStatusCode"], again["syncStatus"], again["dataPushed"]) == (2040, "Complete", False)
    last = _get(api, f"/companies/{merchant.company_id}/sync/commerce/syncs/lastSuccessful/status")
    assert last["syncId"] == again["commerceSyncId"]  # SYNC-2: 2040 succeeded


def test_after_the_deletion_no_sync_is_the_last_successful_one(target: EmbeddedTarget, api: SyncFlowApi,
                                                                steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(3600)
    good = _sync(api, merchant.company_id)
    assert api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    target.clock.advance(3600)
    after = _sync(api, merchant.company_id)
    assert (after["syncStatusCode"], after["dataPushed"]) == (4040, False)  # DEL-2: Codat's code after a deletion
    start, finish = (target.clock.now() - timedelta(days=2)).isoformat(), target.clock.now().isoformat()
    assert _range(api, merchant.company_id, start, finish).json()["syncStatusCode"] == 4040
    last = _get(api, f"/companies/{merchant.company_id}/sync/commerce/syncs/lastSuccessful/status")
    assert last["syncId"] == good["commerceSyncId"]  # SYNC-2
    assert _get(api, f"/companies/{merchant.company_id}/sync/commerce/syncs/latest/status")["syncStatus"] != "Complete"


# -- syncs of a date range (SYNC-3) ----------------------------------------------------------------------


def test_a_date_range_sync_covers_that_range_and_is_listed(target: EmbeddedTarget, api: SyncFlowApi,
                                                           steps: SandboxSteps) -> None:
    merchant = steps.configured()
    start = datetime(2025, 3, 1, 0, 0, tzinfo=target.clock.now().tzinfo)
    finish = start + timedelta(days=7, hours=6)
    response = _range(api, merchant.company_id, start.isoformat(), finish.isoformat())
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["syncStatusCode"], summary["dataPushed"]) == (2000, True)
    dates = summary["syncDateRangeUtc"]
    assert (datetime.fromisoformat(dates["start"]), datetime.fromisoformat(dates["finish"])) == (start, finish)
    assert _history(api, merchant.company_id)[-1]["syncId"] == summary["commerceSyncId"]  # SYNC-1


def test_an_unqualified_date_time_is_utc(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    summary = _range(api, merchant.company_id, "2025-01-01T00:00:00", "2025-01-02T00:00:00Z").json()
    assert datetime.fromisoformat(summary["syncDateRangeUtc"]["start"]).utcoffset() == timedelta(0)


@pytest.mark.parametrize("body", [
    None, {}, {"dateRange": None}, {"dateRange": {}},
    {"dateRange": {"start": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": "2025-02-01T00:00:00Z", "finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": "2025-01-01T00:00:00Z", "finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": "2025-01-01T01:00:00+01:00", "finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": "yesterday", "finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": 5, "finish": "2025-01-01T00:00:00Z"}},
    {"dateRange": {"start": "0001-01-01T00:00:00Z", "finish": "2025-01-01T00:00:00Z"}},
    ["2025-01-01", "2025-02-01"],
])
def test_an_invalid_range_is_400_and_starts_no_sync(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    merchant = steps.configured()
    path = f"/meta/companies/{merchant.company_id}/sync/commerce/historic"
    error = steps.error(api.client.request("POST", path, json_body=body), 400)
    assert error["validation"]["errors"]  # SYNC-3
    assert _history(api, merchant.company_id) == []  # SYNC-3: no sync started


# -- the sync status, and the codes after a deletion or a de-authorization ----------------------------------


def test_the_sync_status_is_the_newest_sync_with_the_connections(target: EmbeddedTarget, api: SyncFlowApi,
                                                                 steps: SandboxSteps) -> None:
    merchant = steps.configured()
    status_path = f"/meta/companies/{merchant.company_id}/sync/commerce/status"
    steps.error(api.client.request("GET", status_path), 404)
    target.clock.advance(60)
    summary = _sync(api, merchant.company_id)
    status = _get(api, status_path)
    assert status["syncId"] == status["commerceSyncId"] == summary["commerceSyncId"]
    assert (status["syncStatusCode"], status["companyId"]) == (2000, merchant.company_id)
    assert {c["id"] for c in status["dataConnections"]} == {merchant.accounting_id, merchant.commerce_id}


def _deauthorized(steps: SandboxSteps, merchant: Any) -> None:
    steps.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")


def _unlinked(steps: SandboxSteps, merchant: Any) -> None:
    steps.api.update_connection(merchant.company_id, merchant.commerce_id, "Unlinked")


def _accounting_deleted(steps: SandboxSteps, merchant: Any) -> None:
    steps.api.delete_connection(merchant.company_id, merchant.accounting_id)


def _commerce_deleted(steps: SandboxSteps, merchant: Any) -> None:
    steps.api.delete_connection(merchant.company_id, merchant.commerce_id)


@pytest.mark.parametrize(("change", "code"), [(_deauthorized, 4220), (_unlinked, 4220), (_accounting_deleted, 4040),
                                              (_commerce_deleted, 4000)],
                         ids=["accounting de-authorized", "commerce unlinked", "accounting deleted",
                              "commerce deleted"])
def test_codes_say_why_a_sync_failed(api: SyncFlowApi, steps: SandboxSteps,
                                     change: Callable[[SandboxSteps, Any], None], code: int) -> None:
    merchant = steps.configured()
    change(steps, merchant)
    summary = _sync(api, merchant.company_id)
    assert (summary["syncStatusCode"], summary["dataPushed"]) == (code, False)
    assert summary["errorMessage"]


def test_a_configuration_problem_is_4000(api: SyncFlowApi, steps: SandboxSteps) -> None:
    started = steps.started()
    assert _sync(api, started.company_id)["syncStatusCode"] == 4000  # never linked


def test_the_settings_page_shows_the_newest_sync_of_the_history(embedded: Callable[..., Embedded]) -> None:
    e = embedded()
    merchant = e.steps.configured()
    e.target.clock.advance(3600)
    _sync(e.api, merchant.company_id)
    e.target.clock.advance(3600)
    start = e.target.clock.now() - timedelta(days=3)
    _range(e.api, merchant.company_id, start.isoformat(), (start + timedelta(days=1)).isoformat())
    newest = _history(e.api, merchant.company_id)[-1]
    view = e.target.sandbox.state.schedule_view(merchant.company_id)
    assert view["last"] == datetime.fromisoformat(newest["syncUtc"])  # FLOW-3
