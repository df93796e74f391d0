"""Every deliberate fault of the catalog really breaks the behaviour it names, and every conforming
variant does what it says: a probe each, run against the healthy sandbox and against the fault.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.clock import isoformat
from sfc_conformance.core.profile import client_id_of
from sfc_conformance.merchant.view import otp_of
from sfc_conformance.sandbox.app import DEFAULT_API_KEY
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.faults import FAULTS, VARIANTS
from sfc_conformance.suite import configurations
from tests.helpers import query as _query

if TYPE_CHECKING:
    from tests.conftest import Embedded, SandboxMerchant

NOBODY = str(uuid.UUID(int=0x1234, version=4))


def _connections(api: SyncFlowApi, company_id: str) -> list[dict[str, Any]]:
    return api.all_connections(company_id)


def _send(api: SyncFlowApi, method: str, path: str, body: Any, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return api.client.request(method, path, json_body=body, headers=headers, authenticated=False)


# -- every deliberate fault really breaks its rule -------------------------------------------


def _open(e: Embedded, url: str) -> int:
    return e.api.client.http.get(url).status_code


def _walk_flow(e: Embedded, merchant: SandboxMerchant | None = None, *, choose: tuple[str, ...] = ()) -> httpx.Response:
    """Open, authorize and configure through the pages (first option of each field in ``choose`` too)."""
    merchant = merchant or e.steps.started()
    browser = e.browser
    page = browser.follow(browser.submit(browser.open(merchant.flow.url), "authorize", {"username": "u"}))
    fields = {f"account.{section}.{slot}": browser.options(page, f"account.{section}.{slot}")[0]
              for section, slot in [("sales", "sales"), ("payments", "cash"), ("payments", "card"), ("fees", "fees")]}
    fields.update({name: browser.options(page, name)[0] for name in choose})
    return browser.submit(page, "configure", {**fields, "syncHour": "0", "enable": "on"})


def _probe_otp_lasts_too_long(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30)
    return _open(e, url) != 401


def _probe_otp_reusable(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    _open(e, url)
    return _open(e, url) != 401


def _probe_otp_not_bound(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company("Mine"))
    other = url.replace(_query(url)["merchantIdentifier"], e.steps.company("Theirs"))
    return _open(e, other) != 401


def _probe_otp_predictable(e: Embedded) -> bool:
    company_id = e.steps.company()
    otps = [int(otp_of(e.steps.flow_url(company_id))) for _ in range(5)]
    return {b - a for a, b in zip(otps, otps[1:], strict=False)} == {1}


def _probe_redirect_dropped(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://app.example.com/done")
    return "redirectUrl" not in _query(url)


def _probe_javascript_redirect_accepted(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "gbol", e.steps.company(), "javascript:alert(1)").status_code == 200


def _probe_unknown_platform_accepted(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "zzzz", e.steps.company()).status_code == 200


def _probe_api_key_optional(e: Embedded) -> bool:
    return e.api.get_company(e.steps.company(), authenticated=False).status_code == 200


def _probe_api_key_echoed(e: Embedded) -> bool:
    response = e.api.create_company("Acme")
    return any(DEFAULT_API_KEY in value for value in response.headers.values())


def _probe_no_commerce_connection(e: Embedded) -> bool:
    merchant_id = e.steps.company()
    e.steps.flow_url(merchant_id)
    return "Commerce" not in {c["sourceType"] for c in _connections(e.api, merchant_id)}


def _probe_duplicate_connections(e: Embedded) -> bool:
    merchant_id = e.steps.company()
    e.steps.flow_url(merchant_id)
    e.steps.flow_url(merchant_id)
    return len(_connections(e.api, merchant_id)) > 2


def _probe_trust_configured_flag(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id))
    document["configuration"]["payments"]["accounts"]["cash"]["selectedAccountId"] = None
    document["configured"] = True
    return e.steps.configure(merchant.company_id, document)["configured"] is True


def _probe_sync_hour_unchecked(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), syncHour=24)
    return e.api.set_configuration(merchant.company_id, document).status_code == 200


def _probe_configure_before_link(e: Embedded) -> bool:
    merchant = e.steps.started()
    document = e.steps.configuration(merchant.company_id)
    return e.api.set_configuration(merchant.company_id, document).status_code == 200


def _probe_start_resets_configuration(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.steps.flow_url(merchant.company_id)
    return e.steps.configuration(merchant.company_id)["configured"] is not True


def _probe_disable_unconfigures(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    document["enable"] = False
    return e.steps.configure(merchant.company_id, document)["configured"] is not True


def _probe_no_webhook_on_delete(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return not e.target.receiver.deliveries


def _probe_sync_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return bool(e.api.request_sync(merchant.company_id).json()["syncStatusCode"] < 4000)


def _probe_scheduler_ignores_delete(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(86_400)
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(2 * 86_400)  # the next scheduled sync has run (and failed) by now
    after = e.api.latest_sync(merchant.company_id).json()["syncId"]
    e.target.clock.advance(86_400)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncId"] != after)


def _probe_unsigned_webhooks(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    (sent,) = [d.headers for d in e.target.receiver.deliveries]
    return "webhook-signature" not in sent


def _probe_unknown_company_found(e: Embedded) -> bool:
    return e.api.get_company(NOBODY).status_code == 200


def _probe_connection_missing_field(e: Embedded) -> bool:
    merchant = e.steps.started()
    return any("integrationKey" not in c for c in _connections(e.api, merchant.company_id))


def _probe_plain_text_errors(e: Embedded) -> bool:
    return not e.api.get_company(NOBODY).headers["content-type"].startswith("application/json")


def _probe_wrong_total_results(e: Embedded) -> bool:
    body = e.api.list_connections(e.steps.started().company_id).json()
    return bool(body["totalResults"] != len(body["results"]))


def _probe_crash_on_bad_json(e: Embedded) -> bool:
    return e.api.client.request("POST", "/companies", content=b"{", retry=False).status_code >= 500


def _probe_no_success_page(e: Embedded) -> bool:
    last = _walk_flow(e)
    return last.status_code == 204 and not last.content


def _probe_next_sync_off_schedule(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=0, timeZone="Etc/UTC")
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    now = e.target.clock.now()
    next_midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return e.browser.time(page, "next-sync") != next_midnight


def _probe_relative_flow_url(e: Embedded) -> bool:
    return not e.steps.flow_url(e.steps.company()).startswith("http")


def _probe_otp_five_digits(e: Embedded) -> bool:
    return len(otp_of(e.steps.flow_url(e.steps.company()))) < 6


def _probe_otp_repeated_while_valid(e: Embedded) -> bool:
    company_id = e.steps.company()
    return otp_of(e.steps.flow_url(company_id)) == otp_of(e.steps.flow_url(company_id))


def _probe_otp_expires_early(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(29.5)
    return _open(e, url) == 401


def _probe_expired_otp_resent(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.steps.flow_url(company_id)
    e.target.clock.advance(31)
    return _open(e, e.steps.flow_url(company_id)) == 401


def _probe_link_url_dropped(e: Embedded) -> bool:
    merchant = e.steps.linked()
    return any("linkUrl" not in c for c in _connections(e.api, merchant.company_id))


def _probe_configured_from_start(e: Embedded) -> bool:
    return e.steps.configuration(e.steps.started().company_id)["configured"] is True


def _probe_no_tax_rate_options(e: Embedded) -> bool:
    rates = e.steps.configuration(e.steps.linked().company_id)["configuration"]["sales"]["taxRates"]
    return not any(entry["taxRateOptions"] for entry in rates.values())


def _probe_grouping_period_not_stored(e: Embedded) -> bool:
    merchant = e.steps.configured()
    period = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["grouping"]["groupingPeriod"]
    return bool(period["selectedGroupingPeriod"] != period["groupingPeriodOptions"][-1])


def _probe_schedule_defaults_to_london(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=None, timeZone=None)
    return bool(e.steps.configuration(merchant.company_id)["schedule"]["timeZone"] != "Etc/UTC")


def _probe_enabled_instead_of_enable(e: Embedded) -> bool:
    document = e.steps.configuration(e.steps.configured().company_id)
    return "enable" not in document and document.get("enabled") is not True


def _probe_tax_rate_change_ignored(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    entry = next(iter(document["configuration"]["sales"]["taxRates"].values()))
    other = next(o["id"] for o in entry["taxRateOptions"] if o["id"] != entry["selectedTaxRateId"])
    entry["selectedTaxRateId"] = other
    stored = e.steps.configure(merchant.company_id, document)["configuration"]["sales"]["taxRates"]
    return bool(next(iter(stored.values()))["selectedTaxRateId"] != other)


def _probe_unlink_ignored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.accounting_id, "Unlinked")
    return answer.status_code == 200 and answer.json()["status"] == "Linked"


def _probe_commerce_deauthorize_ignored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.commerce_id, "Deauthorized")
    return answer.status_code == 200 and answer.json()["status"] == "Linked"


def _probe_webhook_wrong_company(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    (delivery,) = e.target.receiver.deliveries
    return bool(delivery.body["payload"]["referenceCompany"]["id"] != merchant.company_id)


def _probe_non_iso_dates(e: Embedded) -> bool:
    created = e.api.get_company(e.steps.company()).json()["created"]
    try:
        datetime.fromisoformat(created)
    except ValueError:
        return True
    return False


def _probe_json_as_text_plain(e: Embedded) -> bool:
    answer = e.api.list_connections(e.steps.started().company_id)
    return not answer.headers["content-type"].startswith("application/json")


def _probe_next_link_on_last_page(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.steps.flow_url(company_id)
    return "next" in e.api.list_connections(company_id).json()["_links"]


def _probe_no_retry_after(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.target.sandbox.rate_limit.per_second = 1
    e.target.clock.advance(1)
    statuses = [e.api.client.request("GET", f"/companies/{company_id}", retry=False) for _ in range(3)]
    limited = [a for a in statuses if a.status_code == 429]
    assert limited
    return "retry-after" not in limited[0].headers


def _probe_pages_drop_invoice_status(e: Embedded) -> bool:
    merchant = e.steps.started()
    assert _walk_flow(e, merchant, choose=("invoiceStatus",)).status_code == 200
    status = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["invoiceStatus"]
    return status["selectedInvoiceStatus"] is None


def _probe_api_key_in_link_url(e: Embedded) -> bool:
    merchant = e.steps.started()
    return any(DEFAULT_API_KEY in c["linkUrl"] for c in _connections(e.api, merchant.company_id))


def _probe_otp_lasts_31s(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30.5)
    return _open(e, url) != 401


def _probe_error_status_mismatch(e: Embedded) -> bool:
    return bool(e.api.get_company(NOBODY).json()["statusCode"] != 404)


def _probe_status_outside_enum(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    return bool(answer.json()["status"] not in ("PendingAuth", "Linked", "Unlinked", "Deauthorized"))


def _deleted_with_subscribers(e: Embedded, count: int = 2) -> tuple[SandboxMerchant, list[Any]]:
    """A linked merchant whose accounting connection was deleted with ``count`` subscribers; what they got."""
    merchant = e.steps.configured()
    for number in range(count):
        e.api.subscribe(f"{e.target.receiver_url}?subscriber={number}", ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return merchant, e.target.receiver.deliveries


def _probe_otp_dies_after_10s(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(20)
    return _open(e, url) == 401


def _otp_dies_before(seconds: float) -> Callable[[Embedded], bool]:
    def probe(e: Embedded) -> bool:
        url = e.steps.flow_url(e.steps.company())
        e.target.clock.advance(seconds)
        return _open(e, url) == 401
    return probe


def _otp_lasts_past(seconds: float) -> Callable[[Embedded], bool]:
    def probe(e: Embedded) -> bool:
        url = e.steps.flow_url(e.steps.company())
        e.target.clock.advance(seconds)
        return _open(e, url) != 401
    return probe


def _probe_redirect_not_encoded(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://partner.example/done?a=1&b=2")
    return _query(url).get("redirectUrl") != "https://partner.example/done?a=1&b=2"


def _probe_redirect_non_ascii_dropped(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://partner.example/café")
    return _query(url).get("redirectUrl") != "https://partner.example/café"


def _probe_start_date_not_stored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), startDate="2026-02-01T00:00:00Z")
    stored = e.steps.configure(merchant.company_id, document)["schedule"]["startDate"]
    return datetime.fromisoformat(stored) != datetime(2026, 2, 1, tzinfo=UTC)


def _probe_monthly_refused(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), selectedFrequency="Monthly")
    return e.api.set_configuration(merchant.company_id, document).status_code == 400


def _probe_configure_before_link_404(e: Embedded) -> bool:
    merchant = e.steps.started()
    return e.api.set_configuration(merchant.company_id, e.steps.configuration(merchant.company_id)).status_code == 404


def _changed_on_review(e: Embedded, part: str, selected: str, options: str) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    entry = document["configuration"]["sales"][part]
    entry = entry["groupingPeriod"] if part == "grouping" else entry
    other = next(o for o in entry[options] if o != entry[selected])
    entry[selected] = other
    stored = e.steps.configure(merchant.company_id, document)["configuration"]["sales"][part]
    return bool((stored["groupingPeriod"] if part == "grouping" else stored)[selected] != other)


def _probe_invoice_status_change_ignored(e: Embedded) -> bool:
    return _changed_on_review(e, "invoiceStatus", "selectedInvoiceStatus", "invoiceStatusOptions")


def _probe_grouping_period_change_ignored(e: Embedded) -> bool:
    return _changed_on_review(e, "grouping", "selectedGroupingPeriod", "groupingPeriodOptions")


def _probe_webhook_first_subscriber_only(e: Embedded) -> bool:
    return len(_deleted_with_subscribers(e)[1]) < 2


def _probe_webhook_announced_twice(e: Embedded) -> bool:
    _, deliveries = _deleted_with_subscribers(e, 1)
    e.target.clock.advance(10)
    return len({d.event_id for d in deliveries}) > 1


def _probe_webhook_id_per_subscriber(e: Embedded) -> bool:
    return len({d.event_id for d in _deleted_with_subscribers(e)[1]}) > 1


def _probe_webhook_late(e: Embedded) -> bool:
    _, deliveries = _deleted_with_subscribers(e, 1)
    e.target.clock.advance(10)
    return not deliveries


def _probe_webhook_signature_wrong(e: Embedded) -> bool:
    (delivery,) = _deleted_with_subscribers(e, 1)[1]
    return delivery.signed and delivery.verified is False


def _probe_sync_after_delete_500(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return e.api.client.request("POST", f"/companies/{merchant.company_id}/sync/commerce/latest",
                                json_body={"syncTo": None}, retry=False).status_code >= 500


def _probe_schedule_stops_silently(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(86_400)
    before = e.api.latest_sync(merchant.company_id).json()["syncId"]
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(3 * 86_400)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncId"] == before)


def _probe_company_without_connections(e: Embedded) -> bool:
    return bool(e.api.get_company(e.steps.linked().company_id).json()["dataConnections"] == [])


def _probe_company_shows_stale_links(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    reported = e.api.get_company(merchant.company_id).json()["dataConnections"]
    return any(c["id"] == merchant.accounting_id and c["status"] == "Linked" for c in reported)


def _probe_page_ignored(e: Embedded) -> bool:
    company_id = e.steps.started().company_id
    first, second = (e.api.list_connections(company_id, page=n, page_size=1).json()["results"] for n in (1, 2))
    return bool(first == second)


def _probe_crash_on_unknown_connection(e: Embedded) -> bool:
    merchant = e.steps.linked()
    return e.api.client.request("DELETE", f"/companies/{merchant.company_id}/connections/{NOBODY}",
                                retry=False).status_code >= 500


def _probe_flow_url_without_merchant(e: Embedded) -> bool:
    return "merchantIdentifier" not in _query(e.steps.flow_url(e.steps.company()))


def _probe_crash_on_malformed_key(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "GB", e.steps.company(), retry=False).status_code >= 500


def _probe_bearer_accepted(e: Embedded) -> bool:
    return _send(e.api, "GET", f"/companies/{e.steps.company()}", None, "Bearer " + DEFAULT_API_KEY).status_code == 200


def _probe_refused_delete_still_deletes(e: Embedded) -> bool:
    merchant = e.steps.linked()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}"
    assert _send(e.api, "DELETE", path, None, "Basic " + base64.b64encode(b"wrong").decode()).status_code == 401
    return merchant.accounting_id not in {c["id"] for c in _connections(e.api, merchant.company_id)}


def _probe_webhook_without_date(e: Embedded) -> bool:
    (delivery,) = _deleted_with_subscribers(e, 1)[1]
    return "generatedDate" not in delivery.body


def _probe_latest_complete_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.api.request_sync(merchant.company_id)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncStatus"] == "Complete")


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(key.encode()).decode()


def _probe_key_with_a_trailing_character(e: Embedded) -> bool:
    path = f"/companies/{e.steps.company()}"
    return _send(e.api, "GET", path, None, _basic(DEFAULT_API_KEY + "x")).status_code == 200


def _probe_key_in_any_case(e: Embedded) -> bool:
    path = f"/companies/{e.steps.company()}"
    return _send(e.api, "GET", path, None, _basic(DEFAULT_API_KEY.upper())).status_code == 200


def _probe_stale_read_after_link(e: Embedded) -> bool:
    merchant = e.steps.started()
    e.steps.authorize(merchant.company_id, merchant.accounting_id)
    listed = {c["id"]: c["status"] for c in _connections(e.api, merchant.company_id)}
    return bool(listed[merchant.accounting_id] != "Linked")


def _probe_sync_hour_23_refused(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), syncHour=23)
    return e.api.set_configuration(merchant.company_id, document).status_code == 400


def _probe_offered_invoice_status_refused(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id))
    for status in configurations.invoice_status(document)["invoiceStatusOptions"]:
        configurations.invoice_status(document)["selectedInvoiceStatus"] = status
        if e.api.set_configuration(merchant.company_id, document).status_code != 200:
            return True
    return False


def _probe_refused_configuration_partly_stored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), syncHour=24)
    assert e.api.set_configuration(merchant.company_id, document).status_code == 400
    return e.steps.configuration(merchant.company_id)["configured"] is True


def _probe_foreign_account_accepted(e: Embedded) -> bool:
    theirs = e.steps.configuration(e.steps.linked("Theirs").company_id)
    foreign = next(entry for _, _, entry in configurations.account_slots(theirs))["accountOptions"][0]["id"]
    mine = e.steps.linked("Mine")
    document = e.steps.choose(e.steps.configuration(mine.company_id))
    next(entry for _, _, entry in configurations.account_slots(document))["selectedAccountId"] = foreign
    return e.api.set_configuration(mine.company_id, document).status_code == 200


def _probe_absent_sync_hour_kept(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=7)
    document = e.steps.configuration(merchant.company_id)
    del document["schedule"]["syncHour"]
    return bool(e.steps.configure(merchant.company_id, document)["schedule"]["syncHour"] != 0)


def _probe_start_relinks_deauthorized(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    e.steps.flow_url(merchant.company_id)
    listed = {c["id"]: c["status"] for c in _connections(e.api, merchant.company_id)}
    return bool(listed[merchant.accounting_id] == "Linked")


def _probe_unknown_company_configuration_readable(e: Embedded) -> bool:
    return e.api.get_configuration(NOBODY).status_code == 200


def _probe_connection_count_stale_after_delete(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.delete_connection(merchant.company_id, merchant.commerce_id)
    body = e.api.list_connections(merchant.company_id).json()
    return bool(body["totalResults"] != len(body["results"]))


def _probe_company_count_keeps_deleted(e: Embedded) -> bool:
    e.api.delete_company(e.steps.company())
    body = e.api.list_companies().json()
    return bool(body["totalResults"] != len(body["results"]))


def _probe_sync_hour_kept_in_utc(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=7, timeZone="Asia/Kolkata")
    return bool(e.steps.configuration(merchant.company_id)["schedule"]["syncHour"] != 7)


def _probe_deleted_company_still_readable(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.api.delete_company(company_id)
    return bool(e.api.get_company(company_id).status_code == 200)


def _probe_webhook_page_size_ignored(e: Embedded) -> bool:
    for _ in range(2):
        e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    return len(e.api.list_webhooks(page_size=1).json()["results"]) != 1


def _probe_deleted_subscription_listed(e: Embedded) -> bool:
    made = e.api.subscribe(e.target.receiver_url, ["connection.deleted"]).json()["id"]
    e.api.delete_webhook(made)
    return made in {hook["id"] for hook in e.api.list_webhooks().json()["results"]}


def _probe_page_past_the_end_500(e: Embedded) -> bool:
    company_id = e.steps.started().company_id
    return e.api.list_connections(company_id, page=5, page_size=1, retry=False).status_code >= 500


def _probe_redirect_plus_read_as_space(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://partner.example/done?q=a+b")
    return _query(url).get("redirectUrl") != "https://partner.example/done?q=a+b"


def _configure_page(e: Embedded, locale: str = "") -> str:
    """The configure page a linked merchant's flow URL opens on, with ``&locale=`` when given."""
    merchant = e.steps.linked()
    url = e.steps.flow_url(merchant.company_id) + (f"&locale={locale}" if locale else "")
    return e.api.client.http.get(url).text


def _probe_flow_shows_default_texts(e: Embedded) -> bool:
    e.api.client.request("PATCH", "/sync/commerce/config/ui/text?locale=en-us",
                         json_body={"configure-content-sales-title": "Your takings"})
    return 'data-textkey="configure-content-sales-title">Your takings<' not in _configure_page(e)


def _probe_hidden_entry_offered(e: Embedded) -> bool:
    e.api.client.request("POST", "/sync/commerce/config/ui/accounts/platform/lqai", json_body={"visibleAccounts": []})
    return 'name="account.sales.gratuity"' in _configure_page(e)


def _probe_flow_locale_ignored(e: Embedded) -> bool:
    return 'data-textkey="configure-content-sales-title">Ventes<' not in _configure_page(e, "fr-fr")


# -- profile version 3: creating connections, sync history, integrations, customization ----------------------


def _probe_created_connection_not_listed(e: Embedded) -> bool:
    company_id = e.steps.company()
    made = e.api.create_connection(company_id, "gbol").json()["id"]
    return made not in {c["id"] for c in _connections(e.api, company_id)}


def _two_syncs(e: Embedded) -> tuple[SandboxMerchant, str, str]:
    """A configured merchant, a sync of the day before yesterday, then a sync up to now: (merchant, first, second)."""
    merchant = e.steps.configured()
    now = e.target.clock.now()
    days = [isoformat((now - timedelta(days=n)).replace(hour=0, minute=0, second=0, microsecond=0)) for n in (2, 1)]
    first = e.api.request_sync_for_range(merchant.company_id, {"dateRange": {"start": days[0], "finish": days[1]}})
    e.target.clock.advance(1)
    second = e.api.request_sync(merchant.company_id)
    return merchant, first.json()["commerceSyncId"], second.json()["commerceSyncId"]


def _probe_latest_sync_is_the_first(e: Embedded) -> bool:
    merchant, first, _ = _two_syncs(e)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncId"] == first)


def _probe_range_sync_not_listed(e: Embedded) -> bool:
    merchant, first, _ = _two_syncs(e)
    return first not in {entry["syncId"] for entry in e.api.list_syncs(merchant.company_id).json()}


def _probe_last_successful_is_latest(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.request_sync(merchant.company_id)
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.api.request_sync(merchant.company_id)
    return bool(e.api.last_successful_sync(merchant.company_id).json()["syncStatusCode"] not in (2000, 2040))


def _probe_reversed_date_range_accepted(e: Embedded) -> bool:
    merchant = e.steps.configured()
    backwards = {"dateRange": {"start": "2026-01-02T00:00:00Z", "finish": "2026-01-01T00:00:00Z"}}
    return e.api.request_sync_for_range(merchant.company_id, backwards).status_code == 200


def _probe_text_locale_defaults_to_english(e: Embedded) -> bool:
    return e.api.flow_texts(None).status_code == 200


def _a_text_key(e: Embedded) -> str:
    return str(next(iter(e.api.flow_texts("en-us").json())))


def _probe_text_change_in_every_locale(e: Embedded) -> bool:
    key = _a_text_key(e)
    e.api.change_flow_texts("en-us", {key: "Ours"})
    return bool(e.api.flow_texts("fr-fr").json()[key]["text"] == "Ours")


def _probe_text_null_ignored(e: Embedded) -> bool:
    key = _a_text_key(e)
    e.api.change_flow_texts("en-us", {key: "Ours"})
    e.api.change_flow_texts("en-us", {key: None})
    return bool(e.api.flow_texts("en-us").json()[key]["text"] == "Ours")


def _client_id(e: Embedded) -> str:
    found = client_id_of(e.steps.flow_url(e.steps.company()), "lqai", "gbol")
    assert found
    return found


def _probe_empty_visible_accounts_shows_all(e: Embedded) -> bool:
    client_id = _client_id(e)
    every = e.api.visible_accounts(client_id, "lqai").json()["visibleAccounts"]
    e.api.set_visible_accounts("lqai", {"visibleAccounts": []})
    return bool(e.api.visible_accounts(client_id, "lqai").json()["visibleAccounts"] == every)


def _probe_visible_accounts_for_every_platform(e: Embedded) -> bool:
    client_id = _client_id(e)
    every = e.api.visible_accounts(client_id, "abcd").json()["visibleAccounts"]
    e.api.set_visible_accounts("lqai", {"visibleAccounts": []})
    return bool(e.api.visible_accounts(client_id, "abcd").json()["visibleAccounts"] != every)


def _probe_hiding_clears_chosen_accounts(e: Embedded) -> bool:
    merchant = e.steps.configured()
    before = configurations.selections(e.steps.configuration(merchant.company_id))
    e.api.set_visible_accounts("lqai", {"visibleAccounts": []})
    return bool(configurations.selections(e.steps.configuration(merchant.company_id)) != before)


def _probe_integrations_page_size_ignored(e: Embedded) -> bool:
    return len(e.api.list_integrations(page=1, page_size=1).json()["results"]) != 1


def _probe_branding_for_unknown_key(e: Embedded) -> bool:
    return e.api.integration_branding("zzzz").status_code == 200


FAULT_PROBES: dict[str, Callable[[Embedded], bool]] = {
    "created-connection-not-listed": _probe_created_connection_not_listed,
    "latest-sync-is-the-first": _probe_latest_sync_is_the_first,
    "range-sync-not-listed": _probe_range_sync_not_listed,
    "last-successful-is-latest": _probe_last_successful_is_latest,
    "reversed-date-range-accepted": _probe_reversed_date_range_accepted,
    "text-locale-defaults-to-english": _probe_text_locale_defaults_to_english,
    "text-change-in-every-locale": _probe_text_change_in_every_locale,
    "text-null-ignored": _probe_text_null_ignored,
    "empty-visible-accounts-shows-all": _probe_empty_visible_accounts_shows_all,
    "visible-accounts-for-every-platform": _probe_visible_accounts_for_every_platform,
    "hiding-clears-chosen-accounts": _probe_hiding_clears_chosen_accounts,
    "integrations-page-size-ignored": _probe_integrations_page_size_ignored,
    "branding-for-unknown-key": _probe_branding_for_unknown_key,
    "flow-shows-default-texts": _probe_flow_shows_default_texts,
    "hidden-entry-offered": _probe_hidden_entry_offered,
    "flow-locale-ignored": _probe_flow_locale_ignored,
    "key-with-a-trailing-character": _probe_key_with_a_trailing_character,
    "key-in-any-case": _probe_key_in_any_case,
    "stale-read-after-link": _probe_stale_read_after_link,
    "sync-hour-23-refused": _probe_sync_hour_23_refused,
    "offered-invoice-status-refused": _probe_offered_invoice_status_refused,
    "refused-configuration-partly-stored": _probe_refused_configuration_partly_stored,
    "foreign-account-accepted": _probe_foreign_account_accepted,
    "absent-sync-hour-kept": _probe_absent_sync_hour_kept,
    "start-relinks-deauthorized": _probe_start_relinks_deauthorized,
    "unknown-company-configuration-readable": _probe_unknown_company_configuration_readable,
    "connection-count-stale-after-delete": _probe_connection_count_stale_after_delete,
    "company-count-keeps-deleted": _probe_company_count_keeps_deleted,
    "sync-hour-kept-in-utc": _probe_sync_hour_kept_in_utc,
    "deleted-company-still-readable": _probe_deleted_company_still_readable,
    "webhook-page-size-ignored": _probe_webhook_page_size_ignored,
    "deleted-subscription-listed": _probe_deleted_subscription_listed,
    "page-past-the-end-500": _probe_page_past_the_end_500,
    "redirect-plus-read-as-space": _probe_redirect_plus_read_as_space,
    "flow-url-without-merchant": _probe_flow_url_without_merchant,
    "crash-on-malformed-key": _probe_crash_on_malformed_key,
    "bearer-accepted": _probe_bearer_accepted,
    "refused-delete-still-deletes": _probe_refused_delete_still_deletes,
    "webhook-without-date": _probe_webhook_without_date,
    "latest-complete-after-delete": _probe_latest_complete_after_delete,
    "otp-dies-after-10s": _probe_otp_dies_after_10s,
    "otp-dies-after-20s": _otp_dies_before(20.5),
    "otp-dies-after-24s": _otp_dies_before(24.5),
    "otp-dies-after-27s": _otp_dies_before(27.5),
    "otp-lasts-33s": _otp_lasts_past(32.5),
    "otp-lasts-40s": _otp_lasts_past(39.5),
    "redirect-not-encoded": _probe_redirect_not_encoded,
    "redirect-non-ascii-dropped": _probe_redirect_non_ascii_dropped,
    "start-date-not-stored": _probe_start_date_not_stored,
    "monthly-refused": _probe_monthly_refused,
    "configure-before-link-404": _probe_configure_before_link_404,
    "invoice-status-change-ignored": _probe_invoice_status_change_ignored,
    "grouping-period-change-ignored": _probe_grouping_period_change_ignored,
    "webhook-first-subscriber-only": _probe_webhook_first_subscriber_only,
    "webhook-announced-twice": _probe_webhook_announced_twice,
    "webhook-id-per-subscriber": _probe_webhook_id_per_subscriber,
    "webhook-late": _probe_webhook_late,
    "webhook-signature-wrong": _probe_webhook_signature_wrong,
    "sync-after-delete-500": _probe_sync_after_delete_500,
    "schedule-stops-silently": _probe_schedule_stops_silently,
    "company-without-connections": _probe_company_without_connections,
    "company-shows-stale-links": _probe_company_shows_stale_links,
    "page-ignored": _probe_page_ignored,
    "crash-on-unknown-connection": _probe_crash_on_unknown_connection,
    "otp-lasts-too-long": _probe_otp_lasts_too_long,
    "otp-reusable": _probe_otp_reusable,
    "otp-not-bound": _probe_otp_not_bound,
    "otp-predictable": _probe_otp_predictable,
    "redirect-dropped": _probe_redirect_dropped,
    "javascript-redirect-accepted": _probe_javascript_redirect_accepted,
    "unknown-platform-accepted": _probe_unknown_platform_accepted,
    "api-key-optional": _probe_api_key_optional,
    "api-key-echoed": _probe_api_key_echoed,
    "no-commerce-connection": _probe_no_commerce_connection,
    "duplicate-connections": _probe_duplicate_connections,
    "trust-configured-flag": _probe_trust_configured_flag,
    "sync-hour-unchecked": _probe_sync_hour_unchecked,
    "configure-before-link": _probe_configure_before_link,
    "start-resets-configuration": _probe_start_resets_configuration,
    "disable-unconfigures": _probe_disable_unconfigures,
    "no-webhook-on-delete": _probe_no_webhook_on_delete,
    "sync-after-delete": _probe_sync_after_delete,
    "scheduler-ignores-delete": _probe_scheduler_ignores_delete,
    "unsigned-webhooks": _probe_unsigned_webhooks,
    "unknown-company-found": _probe_unknown_company_found,
    "connection-missing-field": _probe_connection_missing_field,
    "plain-text-errors": _probe_plain_text_errors,
    "wrong-total-results": _probe_wrong_total_results,
    "crash-on-bad-json": _probe_crash_on_bad_json,
    "no-success-page": _probe_no_success_page,
    "next-sync-off-schedule": _probe_next_sync_off_schedule,
    "relative-flow-url": _probe_relative_flow_url,
    "otp-five-digits": _probe_otp_five_digits,
    "otp-repeated-while-valid": _probe_otp_repeated_while_valid,
    "otp-expires-early": _probe_otp_expires_early,
    "expired-otp-resent": _probe_expired_otp_resent,
    "link-url-dropped": _probe_link_url_dropped,
    "configured-from-start": _probe_configured_from_start,
    "no-tax-rate-options": _probe_no_tax_rate_options,
    "grouping-period-not-stored": _probe_grouping_period_not_stored,
    "schedule-defaults-to-london": _probe_schedule_defaults_to_london,
    "enabled-instead-of-enable": _probe_enabled_instead_of_enable,
    "tax-rate-change-ignored": _probe_tax_rate_change_ignored,
    "unlink-ignored": _probe_unlink_ignored,
    "commerce-deauthorize-ignored": _probe_commerce_deauthorize_ignored,
    "webhook-wrong-company": _probe_webhook_wrong_company,
    "non-iso-dates": _probe_non_iso_dates,
    "json-as-text-plain": _probe_json_as_text_plain,
    "next-link-on-last-page": _probe_next_link_on_last_page,
    "no-retry-after": _probe_no_retry_after,
    "pages-drop-invoice-status": _probe_pages_drop_invoice_status,
    "api-key-in-link-url": _probe_api_key_in_link_url,
    "otp-lasts-31s": _probe_otp_lasts_31s,
    "error-status-mismatch": _probe_error_status_mismatch,
    "status-outside-enum": _probe_status_outside_enum,
}


def test_every_fault_has_a_probe() -> None:
    assert set(FAULT_PROBES) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULT_PROBES))
def test_fault_breaks_the_behaviour_it_names(embedded: Callable[..., Embedded], fault: str) -> None:
    probe = FAULT_PROBES[fault]
    assert probe(embedded(checked=False)) is False, f"the healthy sandbox already shows {fault}"
    assert probe(embedded(faults=[fault], checked=False)) is True, f"{fault} changes nothing: {FAULTS[fault][1]}"


def _probe_enabled_spelling(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    spelled = "enabled" in document and "enable" not in document
    document.pop("enabled", None)
    document["enable"] = False  # the OAS name is still read
    return spelled and e.steps.configure(merchant.company_id, document)["enabled"] is False


def _probe_unknown_fields(e: Embedded) -> bool:
    merchant, (delivery,) = _deleted_with_subscribers(e, 1)
    company = e.api.get_company(merchant.company_id).json()
    return "sfcAddedLater" in company and "sfcAddedLater" in delivery.body


def _probe_webhook_retried(e: Embedded) -> bool:
    deliveries = _deleted_with_subscribers(e, 1)[1]
    return len(deliveries) == 2 and len({d.headers["webhook-id"] for d in deliveries}) == 1


def _probe_sync_refused_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return e.api.request_sync(merchant.company_id).status_code == 409


VARIANT_PROBES: dict[str, Callable[[Embedded], bool]] = {
    "enabled-spelling": _probe_enabled_spelling,
    "unknown-fields": _probe_unknown_fields,
    "webhook-retried": _probe_webhook_retried,
    "sync-refused-after-delete": _probe_sync_refused_after_delete,
}


def test_every_variant_has_a_probe() -> None:
    assert set(VARIANT_PROBES) == set(VARIANTS)


@pytest.mark.parametrize("variant", sorted(VARIANT_PROBES))
def test_variant_does_what_it_names(embedded: Callable[..., Embedded], variant: str) -> None:
    """Variants stay within the profile; the suite's runs prove that, here only that each does something."""
    probe = VARIANT_PROBES[variant]
    assert probe(embedded(checked=False)) is False, f"the plain sandbox already shows {variant}"
    assert probe(embedded(faults=[variant], checked=False)) is True, f"{variant} changes nothing: {VARIANTS[variant]}"


def test_an_unknown_fault_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sandbox fault 'otp-forever'"):
        EmbeddedTarget(faults=("otp-forever",))
