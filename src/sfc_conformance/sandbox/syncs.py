"""Syncs, their history, the schedule, and what deleting the accounting connection sets off
(SYNC-1..3, DEL-1..4, FLOW-3).

A sync runs when the partner asks for one (up to now or a given moment, or
for a date range) or when the merchant's schedule falls due on the sandbox's
clock (:meth:`Syncs.tick`).  Every sync stays in the company's history, oldest
first: listed, read by id, the newest as the latest, the newest success as the
last successful one (SYNC-1, SYNC-2), and the settings page's last sync
(FLOW-3).  Its code is Codat's:

    2000  Complete: data written              4000  configuration error (a connection never linked,
    2040  Complete: nothing to write                the configuration incomplete, a range before the last sync)
                                              4040  a connection was deleted
                                              4220  a connection was de-authorized

Deleting the accounting connection announces ``connection.deleted`` to every
subscriber (DEL-1, signed: DEL-4); after it a requested sync fails (DEL-2),
and so does the next scheduled one, the last (DEL-3).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sfc_conformance.core.clock import isoformat
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import configuration
from sfc_conformance.sandbox.configuring import configuration_json, midnight
from sfc_conformance.sandbox.errors import ApiError, ValidationIssue, bad_request, not_found
from sfc_conformance.sandbox.model import Company, Connection, SyncRecord, Webhook, new_id
from sfc_conformance.sandbox.records import MAX_TEXT, Records
from sfc_conformance.sandbox.schedule import next_run
from sfc_conformance.sandbox.webhooks import build_delivery

ANNOUNCED_AGAIN_AFTER = timedelta(seconds=5)  # the `announces_twice` fault's second event
OTHER_SECRET = Secret("whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtcGFydG5lcnM=")  # the `wrong-secret` signature
SUCCESS_CODES = (2000, 2040)  # SYNC-2: what counts as a success
# Codat's codes, and the status the sandbox says beside each (Codat documents the codes, not these words).
WRITTEN = (2000, "Complete")
NOTHING_TO_WRITE = (2040, "Complete")
CONFIGURATION_ERROR = (4000, "ValidateError")
DELETED = (4040, "ConnectionDeleted")
DEAUTHORIZED = (4220, "ConnectionDeauthorized")


def status_json(record: SyncRecord) -> dict[str, Any]:
    """One sync as the history shows it (``CompanySyncStatus``); data was pushed only by a 2000."""
    return {**record.status_json(), "dataPushed": record.code == WRITTEN[0]}


class Syncs(Records):
    # -- syncs ---------------------------------------------------------------------------------

    def request_sync(self, company_id: str, body: Any, base: str) -> dict[str, Any]:
        if body is None:
            body = {}
        if not isinstance(body, dict) or set(body) - {"syncTo"}:
            raise bad_request("The request body must be a JSON object with an optional `syncTo`.")
        sync_to = None
        if body.get("syncTo") is not None:
            sync_to = configuration.parse_datetime(body["syncTo"])
            if sync_to is None:
                raise bad_request("`syncTo` must be an ISO 8601 date-time from 1900 to 2999.")
        with self._lock:
            company = self._company(company_id)
            self._refuse_after_deletion(company)
            now = self.clock.now()
            record = self._run_sync(company, now, sync_to or now, scheduled=False)
            return self._summary(company, record, base)

    def request_sync_for_range(self, company_id: str, body: Any, base: str) -> dict[str, Any]:
        """SYNC-3: a sync of exactly the range asked for; an invalid range is 400 and starts nothing."""
        with self._lock:
            company = self._company(company_id)
            start, finish = _date_range(body, ordered=self.policy.checks_range_order)
            self._refuse_after_deletion(company)
            record = self._run_sync(company, self.clock.now(), finish, scheduled=False, start=start)
            if not self.policy.lists_range_syncs:  # SYNC-1: every sync a request starts is listed
                company.syncs.remove(record)
            return self._summary(company, record, base)  # SYNC-3: its syncDateRangeUtc is that range

    def _refuse_after_deletion(self, company: Company) -> None:
        refusal = self.policy.sync_after_delete_status
        if refusal is not None and company.severed and not company.linked("Accounting"):  # DEL-2
            raise ApiError(refusal, "The company has no linked accounting connection to sync to."
                           if refusal < 500 else "The sync could not be started.")

    def _summary(self, company: Company, record: SyncRecord, base: str) -> dict[str, Any]:
        summary = record.summary_json([c.to_json(base) for c in company.connections.values()])
        summary["dataPushed"] = record.code == WRITTEN[0]
        return summary

    def _run_sync(self, company: Company, at: datetime, finish: datetime, *, scheduled: bool,
                  start: datetime | None = None) -> SyncRecord:
        """Run one sync and keep it in the company's history (SYNC-1): from ``start``, or else from where the
        last successful one finished (the schedule's start before any), up to ``finish``."""
        if start is None:
            last_good = next((s for s in reversed(company.syncs) if s.code in SUCCESS_CODES), None)
            start = last_good.finish if last_good else (company.choices.start_date or midnight(company))
        (code, status), error = self._outcome(company), None
        if code == CONFIGURATION_ERROR[0]:
            error = self._configuration_problem(company)
        elif code in (DELETED[0], DEAUTHORIZED[0]):
            error = self._connection_problem(company)
        elif finish < start:
            (code, status), error = CONFIGURATION_ERROR, "`syncTo` is before the last successful sync."
        elif finish == start:
            code, status = NOTHING_TO_WRITE
        record = SyncRecord(new_id(), company.id, at, start, max(finish, start), code, status, error, scheduled)
        company.syncs.append(record)  # SYNC-1: every sync is kept, newest last
        if record.code in SUCCESS_CODES:
            for connection in company.connections.values():
                connection.last_sync = at
        return record

    def _outcome(self, company: Company) -> tuple[int, str]:
        """The code a sync of ``company`` ends with now, before its range is looked at."""
        if not (company.linked("Accounting") or self.policy.syncs_after_delete):
            # DEL-2, DEL-3: without its accounting connection no sync succeeds.
            return self._unlinked("Accounting", deleted=company.severed, company=company)
        if not company.linked("Commerce"):
            return self._unlinked("Commerce", deleted=False, company=company)
        if not self._configured(company):
            return CONFIGURATION_ERROR
        return WRITTEN

    @staticmethod
    def _unlinked(source_type: str, *, deleted: bool, company: Company) -> tuple[int, str]:
        connection = company.connection_of(source_type)
        if connection is None:
            return DELETED if deleted else CONFIGURATION_ERROR
        return DEAUTHORIZED if connection.status in ("Deauthorized", "Unlinked") else CONFIGURATION_ERROR

    def _connection_problem(self, company: Company) -> str:
        for source_type in ("Accounting", "Commerce"):
            connection = company.connection_of(source_type)
            if connection is None:
                return f"The company's {source_type.lower()} connection was deleted."
            if connection.status in ("Deauthorized", "Unlinked"):
                return f"The company's {source_type.lower()} connection was de-authorized."
        return "The company's connections are not linked."

    def _configuration_problem(self, company: Company) -> str:
        if not company.linked("Accounting"):
            return "The company has no linked accounting connection."
        if not company.linked("Commerce"):
            return "The company has no linked commerce connection."
        return "The sync configuration is not complete."

    # -- the history (SYNC-1, SYNC-2) ------------------------------------------------------------

    def latest_sync(self, company_id: str) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)
            if not company.syncs:
                raise not_found(f"No sync has run for company {company_id}.")
            # SYNC-1: the newest listed; DEL-2: a failed one says so
            status = status_json(company.syncs[0 if self.policy.latest_sync_is_first else -1])
            if self.policy.latest_complete_after_delete and company.severed:
                status["syncStatus"] = "Complete"
            return status

    def list_syncs(self, company_id: str) -> list[dict[str, Any]]:
        """SYNC-1: every sync the company ran, oldest first."""
        with self._lock:
            return [status_json(record) for record in self._company(company_id).syncs]

    def sync_by_id(self, company_id: str, sync_id: str) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)
            record = next((r for r in company.syncs if r.id == sync_id.lower()), None)
            if record is None:
                raise not_found(f"No sync was found with ID {sync_id[:64]} for company {company_id}.")  # SYNC-1
            return status_json(record)

    def last_successful_sync(self, company_id: str) -> dict[str, Any]:
        """SYNC-2: the newest sync that succeeded (2000 or 2040); 404 while none has."""
        with self._lock:
            company = self._company(company_id)
            record = next((r for r in reversed(company.syncs)
                           if r.code in SUCCESS_CODES or self.policy.last_successful_any_code), None)
            if record is None:
                raise not_found(f"No sync has succeeded for company {company_id}.")
            return status_json(record)

    def sync_status(self, company_id: str, base: str) -> dict[str, Any]:
        """The status of the company's newest sync, with its connections as they are now (``SyncStatus``)."""
        with self._lock:
            company = self._company(company_id)
            if not company.syncs:
                raise not_found(f"No sync has run for company {company_id}.")
            record = company.syncs[-1]
            return {**status_json(record), "commerceSyncId": record.id,
                    "dataConnections": [c.to_json(base) for c in company.connections.values()]}

    # -- the schedule --------------------------------------------------------------------------

    def _schedulable(self, company: Company) -> bool:
        if self.policy.scheduler_ignores_delete:
            return company.choices.enable
        # DEL-3: a scheduled sync runs only for an enabled, configured company with both connections Linked.
        return (company.choices.enable and self._configured(company)
                and company.linked("Accounting") and company.linked("Commerce"))

    def tick(self, now: datetime) -> None:
        """Run every scheduled sync that fell due up to ``now``; send the deliveries due by then."""
        with self._lock:
            for company in self._companies.values():
                while company.next_scheduled is not None and company.next_scheduled <= now:
                    due = company.next_scheduled
                    if self._schedulable(company):
                        self._run_sync(company, due, due, scheduled=True)
                    elif company.fail_next_scheduled:
                        # DEL-3: after the deletion the next scheduled sync runs and fails; none after it.
                        self._run_sync(company, due, due, scheduled=True)
                        company.fail_next_scheduled = False
                        company.next_scheduled = None
                        break
                    company.next_scheduled = next_run(company.choices, due)
        self._send_due(now)

    def schedule_view(self, company_id: str) -> dict[str, Any]:
        """What the settings page shows (FLOW-3): the last sync, and the next one the schedule runs."""
        with self._lock:
            company = self._company(company_id)
            nxt = company.next_scheduled if self._schedulable(company) else None
            return {
                "company": company.name,
                "enable": company.choices.enable,
                "configuration": configuration_json(company, self.policy, self._configured(company)),
                "last": company.syncs[-1].at if company.syncs else None,  # FLOW-3: the newest of the history
                "next": nxt + self.policy.next_sync_shown_late_by if nxt is not None else None,  # FLOW-3
                "accounting": company.connection_of("Accounting"),
            }

    # -- subscriptions and the deletion --------------------------------------------------------

    def add_webhook(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object with `url` and `eventTypes`.")
        url, types = body.get("url"), body.get("eventTypes")
        if not isinstance(url, str) or len(url) > MAX_TEXT or not _web_address(url):
            raise bad_request("`url` must be an absolute http(s) URL.")
        if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
            raise bad_request("`eventTypes` must be a non-empty list of event type names.")
        hook = Webhook(new_id(), url, list(dict.fromkeys(types)))
        with self._lock:
            self._webhooks[hook.id] = hook
        return hook.to_json()

    def delete_connection(self, company_id: str, connection_id: str, base: str) -> None:
        with self._lock:
            company = self._company(company_id)
            connection = self._connection(company, connection_id)
            syncing = self._schedulable(company)
            del company.connections[connection_id]
            if connection.platform.source_type == "Accounting":
                company.severed = True
                # DEL-3: the next scheduled sync still runs and fails; none after it.
                company.fail_next_scheduled = syncing and self.policy.next_scheduled_sync_fails
            now = self.clock.now()
            if self.policy.announces_deletion:
                self._announce_deletion(company, connection, base, now)
        self._send_due(now)

    def _announce_deletion(self, company: Company, connection: Connection, base: str, now: datetime) -> None:
        """DEL-1: every subscriber to `connection.deleted` hears of the deletion, as one event (one `id`)."""
        reference = company.reference_json(base)
        if self.policy.event_names_other_company:
            reference["id"] = new_id()
        event: dict[str, Any] = {
            "id": new_id(),  # DEL-1: one deletion, one event, whoever hears of it
            "eventType": "connection.deleted",
            "generatedDate": isoformat(now),
            "payload": {"referenceCompany": reference, "connection": connection.to_json(base)},
        }
        if not self.policy.event_dated:
            del event["generatedDate"]
        # DEL-1: every subscriber to the event, within 10 s (at once, unless the policy holds deliveries back).
        subscribers = [w for w in self._webhooks.values() if not w.disabled and "connection.deleted" in w.event_types]
        if self.policy.first_subscriber_only:
            subscribers = subscribers[:1]
        secret = self._signing_secret()
        again = {**event, "id": new_id()}  # the `announces_twice` fault's second event
        for hook in subscribers:
            sent = {**event, "id": new_id()} if self.policy.event_id_per_subscriber else event
            delivery = build_delivery(hook.url, sent, secret)  # DEL-4: signed with the partner's secret
            # A retry is the same delivery again (same webhook-id, same event): allowed, once too often or not.
            self._outbox += [(now + self.policy.webhook_delay, delivery)] * self.policy.deliveries_per_event
            if self.policy.announces_twice:
                self._outbox.append((now + ANNOUNCED_AGAIN_AFTER, build_delivery(hook.url, again, secret)))

    def _signing_secret(self) -> Secret | None:
        if self.policy.signature == "unsigned" or self.webhook_secret is None:
            return None
        return OTHER_SECRET if self.policy.signature == "wrong-secret" else self.webhook_secret  # DEL-4


def _web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when out of range
    except ValueError:  # "http://[", "http://a:99999999/"
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _date_range(body: Any, *, ordered: bool = True) -> tuple[datetime, datetime]:
    """SYNC-3: ``dateRange.start`` before ``dateRange.finish``, both date-times; else 400 with what is wrong."""
    date_range = body.get("dateRange") if isinstance(body, dict) else None
    if not isinstance(date_range, dict):
        raise bad_request("The request body must be a JSON object with a `dateRange` of `start` and `finish`.",
                          [ValidationIssue("dateRange", "dateRange is required", "SyncRangeValidator")])
    moments: list[datetime] = []
    issues = []
    for end in ("start", "finish"):
        moment = configuration.parse_datetime(date_range.get(end))
        if moment is None:
            issues.append(ValidationIssue(f"dateRange.{end}", f"dateRange.{end} must be an ISO 8601 date-time "
                                                               "from 1900 to 2999", "SyncRangeValidator"))
        else:
            moments.append(moment)
    if not issues and ordered and moments[0] >= moments[1]:
        issues.append(ValidationIssue("dateRange", "dateRange.start must be before dateRange.finish",
                                      "SyncRangeValidator"))
    if issues:
        raise bad_request("The date range is not valid; no sync was started.", issues)
    return moments[0], moments[1]
