"""Syncs, the schedule and webhooks: requested and scheduled syncs, connection.deleted (DEL-1..4)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.profile import load_contract
from sfc_conformance.sandbox.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from tests.conftest import Embedded, SandboxMerchant, SandboxSteps

# A Monday in January, 09:00 UTC: far from any daylight-saving change.
FIXED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = 86_400


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _latest(api: SyncFlowApi, company_id: str) -> dict[str, Any] | None:
    response = api.latest_sync(company_id)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return dict(response.json())


def _latest_at(api: SyncFlowApi, company_id: str) -> datetime | None:
    latest = _latest(api, company_id)
    return _at(latest["syncUtc"]) if latest else None


def _advance_to(target: EmbeddedTarget, moment: datetime) -> None:
    target.clock.advance((moment - target.clock.now()).total_seconds())


# -- requested syncs (DEL-2) ------------------------------------------------------------------


def test_a_requested_sync_completes_when_ready(target: EmbeddedTarget, api: SyncFlowApi,
                                               steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(60)
    summary = api.request_sync(merchant.company_id).json()
    assert (summary["syncStatusCode"], summary["syncStatus"], summary["dataPushed"]) == (2000, "Complete", True)
    assert _at(summary["syncDateRangeUtc"]["finish"]) == target.clock.now()
    latest = _latest(api, merchant.company_id)
    assert latest is not None
    assert (latest["syncId"], latest["syncStatus"]) == (summary["commerceSyncId"], "Complete")
    assert _at(api.get_company(merchant.company_id).json()["lastSync"]) == target.clock.now()


def test_consecutive_syncs_cover_consecutive_ranges(target: EmbeddedTarget, api: SyncFlowApi,
                                                    steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(60)
    first = api.request_sync(merchant.company_id).json()["syncDateRangeUtc"]
    target.clock.advance(3600)
    second = api.request_sync(merchant.company_id).json()["syncDateRangeUtc"]
    assert second["start"] == first["finish"]
    assert _at(second["finish"]) == target.clock.now()


def test_a_sync_up_to_a_given_moment(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(7200)
    moment = target.clock.now() - timedelta(hours=1)
    path = f"/companies/{merchant.company_id}/sync/commerce/latest"
    summary = api.client.request("POST", path, json_body={"syncTo": moment.isoformat()}).json()
    assert summary["syncStatusCode"] == 2000
    assert _at(summary["syncDateRangeUtc"]["finish"]) == moment


def test_a_sync_before_the_last_one_does_not_succeed(target: EmbeddedTarget, api: SyncFlowApi,
                                                     steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(60)
    api.request_sync(merchant.company_id)
    path = f"/companies/{merchant.company_id}/sync/commerce/latest"
    earlier = (target.clock.now() - timedelta(days=30)).isoformat()
    assert api.client.request("POST", path, json_body={"syncTo": earlier}).json()["syncStatusCode"] >= 4000


@pytest.mark.parametrize("body", [{"syncTo": "yesterday"}, {"syncTo": 5}, {"syncTo": "0001-01-01T00:00:00+14:00"},
                                  {"syncTo": "9999-12-31T23:59:59-05:00"}, {"syncTo": None, "force": True},
                                  ["now"]])
def test_a_bad_sync_request_is_400(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    merchant = steps.configured()
    path = f"/companies/{merchant.company_id}/sync/commerce/latest"
    steps.error(api.client.request("POST", path, json_body=body), 400)


def test_an_empty_sync_request_means_now(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.configured()
    path = f"/companies/{merchant.company_id}/sync/commerce/latest"
    assert api.client.request("POST", path, content=b"").json()["syncStatusCode"] == 2000


def _unconfigured(steps: SandboxSteps) -> SandboxMerchant:
    return steps.linked()


def _commerce_pending(steps: SandboxSteps) -> SandboxMerchant:
    merchant = steps.started()
    steps.authorize(merchant.company_id, merchant.accounting_id)
    steps.configure(merchant.company_id, steps.choose(steps.configuration(merchant.company_id)))
    return merchant


def _accounting_deauthorized(steps: SandboxSteps) -> SandboxMerchant:
    merchant = steps.configured()
    assert steps.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized").status_code == 200
    return merchant


def _accounting_deleted(steps: SandboxSteps) -> SandboxMerchant:
    merchant = steps.configured()
    assert steps.api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    return merchant


def _commerce_deleted(steps: SandboxSteps) -> SandboxMerchant:
    merchant = steps.configured()
    assert steps.api.delete_connection(merchant.company_id, merchant.commerce_id).status_code in (200, 204)
    return merchant


NOT_READY: dict[str, Callable[[SandboxSteps], SandboxMerchant]] = {
    "not configured": _unconfigured,
    "commerce not linked": _commerce_pending,
    "accounting deauthorized": _accounting_deauthorized,
    "accounting deleted": _accounting_deleted,
    "commerce deleted": _commerce_deleted,
}


@pytest.mark.parametrize("case", list(NOT_READY))
def test_a_requested_sync_does_not_succeed_unless_ready(api: SyncFlowApi, steps: SandboxSteps, case: str) -> None:
    merchant = NOT_READY[case](steps)
    response = api.request_sync(merchant.company_id)
    if response.status_code == 200:
        summary = response.json()
        assert summary["syncStatusCode"] >= 4000 and summary["dataPushed"] is False
        assert summary["errorMessage"]
    else:
        steps.error(response, response.status_code)
    latest = _latest(api, merchant.company_id)
    assert latest is None or latest["syncStatus"] != "Complete"


def test_no_sync_completes_after_the_accounting_connection_is_deleted(target: EmbeddedTarget, api: SyncFlowApi,
                                                                      steps: SandboxSteps) -> None:
    merchant = steps.configured()
    target.clock.advance(60)
    assert api.request_sync(merchant.company_id).json()["syncStatus"] == "Complete"
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    for _ in range(3):
        target.clock.advance(3600)
        assert api.request_sync(merchant.company_id).json()["syncStatusCode"] >= 4000
        latest = _latest(api, merchant.company_id)
        assert latest is not None and latest["syncStatus"] != "Complete"


# -- scheduled syncs (DEL-3, the synchronization schedule) ----------------------------------------


def test_scheduled_syncs_run_daily_at_the_sync_hour(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=6, timeZone="Etc/UTC")
    _advance_to(e.target, datetime(2026, 1, 6, 5, 59, 59, tzinfo=UTC))
    assert _latest(e.api, merchant.company_id) is None
    for day in (6, 7, 8):
        _advance_to(e.target, datetime(2026, 1, day, 6, tzinfo=UTC))
        latest = _latest(e.api, merchant.company_id)
        assert latest is not None
        assert (_at(latest["syncUtc"]), latest["syncStatus"]) == (datetime(2026, 1, day, 6, tzinfo=UTC), "Complete")


def test_scheduled_syncs_follow_the_time_zone(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=6, timeZone="Asia/Tokyo")
    e.target.clock.advance(2 * DAY)
    expected = datetime(2026, 1, 7, 6, tzinfo=ZoneInfo("Asia/Tokyo"))  # 2026-01-06 21:00 UTC
    assert _latest_at(e.api, merchant.company_id) == expected


def test_a_long_pause_runs_every_missed_sync_up_to_now(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=0, timeZone="Etc/UTC")
    e.target.clock.advance(10 * DAY)
    assert _latest_at(e.api, merchant.company_id) == datetime(2026, 1, 15, 0, tzinfo=UTC)
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    assert e.browser.time(page, "next-sync") == datetime(2026, 1, 16, 0, tzinfo=UTC)


def test_after_the_deletion_the_next_scheduled_sync_fails_and_is_the_last(embedded: Callable[..., Embedded]) -> None:
    """Seed §4: "the next scheduled data sync will fail, and no further data syncs will be attempted"."""
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(DAY)
    assert _latest_at(e.api, merchant.company_id) == datetime(2026, 1, 5, 12, tzinfo=UTC)  # the day it was set up
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(5 * DAY)
    latest = _latest(e.api, merchant.company_id)
    assert latest is not None
    assert _at(latest["syncUtc"]) == datetime(2026, 1, 6, 12, tzinfo=UTC)  # the next one, and none after
    assert latest["syncStatus"] != "Complete" and latest["syncStatusCode"] >= 4000
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    assert e.browser.time(page, "next-sync") is None


def test_a_deletion_before_any_schedule_ran_attempts_nothing(embedded: Callable[..., Embedded]) -> None:
    """Only a merchant whose syncs were running has a "next scheduled sync" to fail."""
    e = embedded(start=FIXED_START)
    merchant = e.steps.linked()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(3 * DAY)
    assert _latest(e.api, merchant.company_id) is None


@pytest.mark.parametrize("change", ["delete commerce", "deauthorize accounting", "disable"])
def test_scheduled_syncs_stop_when_the_merchant_is_no_longer_ready(embedded: Callable[..., Embedded],
                                                                   change: str) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    if change == "delete commerce":
        e.api.delete_connection(merchant.company_id, merchant.commerce_id)
    elif change == "deauthorize accounting":
        e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    else:
        e.steps.configure(merchant.company_id, dict(e.steps.configuration(merchant.company_id), enable=False))
    e.target.clock.advance(3 * DAY)
    assert _latest(e.api, merchant.company_id) is None


def test_re_enabling_resumes_the_schedule(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC", enable=False)
    e.target.clock.advance(DAY)
    assert _latest(e.api, merchant.company_id) is None
    e.steps.configure(merchant.company_id, dict(e.steps.configuration(merchant.company_id), enable=True))
    e.target.clock.advance(DAY)  # enabled at 2026-01-06 09:00: the next run is that day's 12:00
    assert _latest_at(e.api, merchant.company_id) == datetime(2026, 1, 6, 12, tzinfo=UTC)


def test_monthly_syncs_run_on_the_start_day_or_the_month_s_last(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(selectedFrequency="Monthly", syncHour=6, timeZone="Etc/UTC",
                                  startDate="2026-01-31T00:00:00Z")
    company_id = merchant.company_id
    _advance_to(e.target, datetime(2026, 1, 31, 5, tzinfo=UTC))
    assert _latest(e.api, company_id) is None
    runs = [datetime(2026, 1, 31, 6, tzinfo=UTC), datetime(2026, 2, 28, 6, tzinfo=UTC),
            datetime(2026, 3, 31, 6, tzinfo=UTC), datetime(2026, 4, 30, 6, tzinfo=UTC)]
    for run in runs:
        _advance_to(e.target, run - timedelta(seconds=1))
        assert _latest_at(e.api, company_id) != run
        _advance_to(e.target, run)
        assert _latest_at(e.api, company_id) == run
    _advance_to(e.target, datetime(2026, 5, 30, 23, tzinfo=UTC))
    assert _latest_at(e.api, company_id) == runs[-1]


def test_monthly_syncs_without_a_start_date_run_on_the_day_the_company_was_created(
        embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(selectedFrequency="Monthly", syncHour=6, timeZone="Etc/UTC")
    e.target.clock.advance(20 * DAY)
    assert _latest(e.api, merchant.company_id) is None  # 2026-01-05 06:00 had passed already
    _advance_to(e.target, datetime(2026, 2, 5, 6, tzinfo=UTC))
    assert _latest_at(e.api, merchant.company_id) == datetime(2026, 2, 5, 6, tzinfo=UTC)


def test_no_scheduled_sync_before_the_start_date(embedded: Callable[..., Embedded]) -> None:
    e = embedded(start=FIXED_START)
    merchant = e.steps.configured(syncHour=6, timeZone="Etc/UTC", startDate="2026-01-10T00:00:00Z")
    _advance_to(e.target, datetime(2026, 1, 10, 5, tzinfo=UTC))
    assert _latest(e.api, merchant.company_id) is None
    _advance_to(e.target, datetime(2026, 1, 10, 6, tzinfo=UTC))
    assert _latest_at(e.api, merchant.company_id) == datetime(2026, 1, 10, 6, tzinfo=UTC)


# -- webhooks (DEL-1, DEL-4) ------------------------------------------------------------------------


def test_subscribing_answers_201_with_the_subscription(target: EmbeddedTarget, api: SyncFlowApi) -> None:
    response = api.subscribe(target.receiver_url, ["connection.deleted", "connection.deleted"])
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["id"])
    assert body == {"id": body["id"], "url": target.receiver_url, "eventTypes": ["connection.deleted"],
                    "disabled": False}


@pytest.mark.parametrize("body", [
    {"eventTypes": ["connection.deleted"]},
    {"url": "https://example.com/hook"},
    {"url": "ftp://example.com/hook", "eventTypes": ["connection.deleted"]},
    {"url": "mailto:ops@example.com", "eventTypes": ["connection.deleted"]},
    {"url": "/relative/hook", "eventTypes": ["connection.deleted"]},
    {"url": "https://", "eventTypes": ["connection.deleted"]},
    {"url": 5, "eventTypes": ["connection.deleted"]},
    {"url": "https://example.com/" + "a" * 2100, "eventTypes": ["connection.deleted"]},
    {"url": "https://example.com/hook", "eventTypes": []},
    {"url": "https://example.com/hook", "eventTypes": "connection.deleted"},
    {"url": "https://example.com/hook", "eventTypes": [""]},
    {"url": "https://example.com/hook", "eventTypes": [7]},
    [],
])
def test_a_bad_subscription_is_400(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    steps.error(api.client.request("POST", "/webhooks", json_body=body), 400)


def test_deleting_a_connection_delivers_one_signed_connection_webhook(target: EmbeddedTarget, api: SyncFlowApi,
                                                                      steps: SandboxSteps) -> None:
    merchant = steps.configured()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    assert api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    assert len(target.receiver.deliveries) == 1
    delivery = target.receiver.deliveries[0]
    contract = load_contract()
    assert contract.validate_schema(contract.schema_named("ConnectionWebhook"), delivery.body) == []
    body = delivery.body
    uuid.UUID(body["id"])
    assert body["eventType"] == "connection.deleted"
    assert _at(body["generatedDate"]) == target.clock.now()
    assert body["payload"]["referenceCompany"]["id"] == merchant.company_id
    assert body["payload"]["connection"]["id"] == merchant.accounting_id
    assert (delivery.signed, delivery.verified) == (True, True)
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(delivery.headers)
    assert delivery.headers["content-type"] == "application/json"


def test_each_deletion_is_one_event(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    api.delete_connection(merchant.company_id, merchant.commerce_id)
    bodies = [d.body for d in target.receiver.deliveries]
    assert [b["payload"]["connection"]["id"] for b in bodies] == [merchant.accounting_id, merchant.commerce_id]
    assert len({b["id"] for b in bodies}) == 2
    assert len({d.headers["webhook-id"] for d in target.receiver.deliveries}) == 2


def test_every_subscriber_gets_its_own_delivery(target: EmbeddedTarget, api: SyncFlowApi,
                                                steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    api.subscribe(target.receiver_url + "?second", ["connection.deleted", "sync.completed"])
    api.subscribe(target.receiver_url + "?other", ["sync.completed"])
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert len(target.receiver.deliveries) == 2
    assert all(d.verified for d in target.receiver.deliveries)
    assert len({d.body["id"] for d in target.receiver.deliveries}) == 1


def test_no_subscriber_no_delivery(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    assert api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    assert target.receiver.deliveries == []


def test_refused_deletions_deliver_nothing(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    api.delete_connection(merchant.company_id, str(uuid.uuid4()))
    api.client.request("DELETE", f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}",
                       authenticated=False)
    assert target.receiver.deliveries == []


def test_an_unreachable_subscriber_fails_neither_the_deletion_nor_the_others(target: EmbeddedTarget,
                                                                             api: SyncFlowApi,
                                                                             steps: SandboxSteps,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    merchant = steps.linked()
    api.subscribe("https://unreachable.example/hook", ["connection.deleted"])
    api.subscribe(target.receiver_url, ["connection.deleted"])
    assert api.delete_connection(merchant.company_id, merchant.accounting_id).status_code in (200, 204)
    assert len(target.receiver.deliveries) == 1
    assert "unreachable.example" in caplog.text


def _delivered(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> tuple[bytes, dict[str, str]]:
    """One real delivery, as raw body and headers."""
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    delivery = target.receiver.deliveries[0]
    return json.dumps(delivery.body, separators=(",", ":")).encode(), dict(delivery.headers)


def test_a_replayed_genuine_delivery_verifies(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps,
                                              raw_client: ApiClient) -> None:
    raw, headers = _delivered(target, api, steps)
    response = raw_client.http.post(target.receiver_url, content=raw, headers=headers)
    assert response.status_code == 200
    assert [d.verified for d in target.receiver.deliveries] == [True, True]


@pytest.mark.parametrize("forgery", ["tampered body", "wrong signature", "no signature", "other id"])
def test_a_forged_delivery_is_refused_as_signed_by_the_receiver(target: EmbeddedTarget, api: SyncFlowApi,
                                                                steps: SandboxSteps, raw_client: ApiClient,
                                                                forgery: str) -> None:
    raw, headers = _delivered(target, api, steps)
    if forgery == "tampered body":
        raw = raw.replace(b"connection.deleted", b"connection.created")
    elif forgery == "wrong signature":
        headers["webhook-signature"] = "v1,c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="
    elif forgery == "no signature":
        del headers["webhook-signature"]
    else:
        headers["webhook-id"] = "msg_forged"
    response = raw_client.http.post(target.receiver_url, content=raw, headers=headers)
    assert response.status_code == 200  # acknowledged, so a target neither retries nor gives up on the subscription
    genuine, forged = target.receiver.deliveries
    assert genuine.verified is True and forged.verified is False  # kept, so DEL-1 still sees an arrival
    assert forged.signed is (forgery != "no signature")


def test_without_a_secret_every_delivery_is_accepted_unjudged() -> None:
    from sfc_conformance.core.account import WebhookReceiver

    receiver = WebhookReceiver()
    assert receiver.accept(b'{"id": "x"}', {}, "http://127.0.0.1:9/hook?sfcSubscriber=2") == 200
    (delivery,) = receiver.deliveries
    assert (delivery.signed, delivery.verified, delivery.event_id, delivery.subscriber) == (False, None, "x", "2")


def test_deliveries_are_told_apart_by_subscriber_and_run(target: EmbeddedTarget, api: SyncFlowApi,
                                                         steps: SandboxSteps) -> None:
    from sfc_conformance.core.account import RunId, subscriber_url

    run = RunId.new(target.clock.now())
    merchant = steps.linked()
    for name in ("1", "2"):
        api.subscribe(run.tag_url(subscriber_url(target.receiver_url, name)), ["connection.deleted"])
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert sorted(d.subscriber or "" for d in target.receiver.deliveries) == ["1", "2"]
    assert {d.param("sfcRun") for d in target.receiver.deliveries} == {str(run)}
    assert len({d.event_id for d in target.receiver.deliveries}) == 1


def test_waiting_for_a_delivery_moves_a_manual_clock_until_it_falls_due(embedded: Callable[..., Embedded]) -> None:
    e = embedded(faults=["webhook-announced-twice"], checked=False)
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    deadline = e.target.clock.now() + timedelta(seconds=10)
    seen = e.target.receiver.wait_until(lambda deliveries: len(deliveries) >= 2, deadline)
    assert len(seen) == 2 and e.target.clock.now() < deadline  # the second event came 5 s on, not at 10 s


def test_a_delivery_after_the_clock_moved_on_still_verifies(target: EmbeddedTarget, api: SyncFlowApi,
                                                            steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    target.clock.advance(DAY)
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert [d.verified for d in target.receiver.deliveries] == [True]
    assert _at(target.receiver.deliveries[0].body["generatedDate"]) == target.clock.now()
