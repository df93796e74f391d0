"""Syncs, the schedule, and what deleting the accounting connection sets off (DEL-1..4, FLOW-3).

A sync runs when the partner asks for one or when the merchant's schedule
falls due on the sandbox's clock (:meth:`Syncs.tick`).  Deleting the
accounting connection announces ``connection.deleted`` to every subscriber
(DEL-1, signed: DEL-4); after it a requested sync fails (DEL-2), and so does
the next scheduled one, the last (DEL-3).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sfc_conformance.core.clock import isoformat
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import configuration
from sfc_conformance.sandbox.configuring import configuration_json, midnight
from sfc_conformance.sandbox.errors import ApiError, bad_request, not_found
from sfc_conformance.sandbox.model import Company, Connection, SyncRecord, Webhook, new_id
from sfc_conformance.sandbox.records import MAX_TEXT, Records
from sfc_conformance.sandbox.schedule import next_run
from sfc_conformance.sandbox.webhooks import build_delivery

ANNOUNCED_AGAIN_AFTER = timedelta(seconds=5)  # the `announces_twice` fault's second event
OTHER_SECRET = Secret("whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtcGFydG5lcnM=")  # the `wrong-secret` signature


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
            refusal = self.policy.sync_after_delete_status
            if refusal is not None and company.severed and not company.linked("Accounting"):  # DEL-2
                raise ApiError(refusal, "The company has no linked accounting connection to sync to."
                               if refusal < 500 else "The sync could not be started.")
            now = self.clock.now()
            record = self._run_sync(company, now, sync_to or now, scheduled=False)
            return record.summary_json([c.to_json(base) for c in company.connections.values()])

    def _run_sync(self, company: Company, at: datetime, finish: datetime, *, scheduled: bool) -> SyncRecord:
        last_good = next((s for s in reversed(company.syncs) if s.succeeded), None)
        start = last_good.finish if last_good else (company.choices.start_date or midnight(company))
        code, status, error = 2000, "Complete", None
        if not (company.linked("Accounting") or self.policy.syncs_after_delete):
            # DEL-2, DEL-3: without its accounting connection no sync succeeds.
            code, status, error = 4000, "ValidateError", "The company has no linked accounting connection."
        elif not company.linked("Commerce"):
            code, status, error = 4000, "ValidateError", "The company has no linked commerce connection."
        elif not self._configured(company):
            code, status, error = 4000, "ValidateError", "The sync configuration is not complete."
        elif finish < start:
            code, status, error = 4000, "ValidateError", "`syncTo` is before the last successful sync."
        record = SyncRecord(new_id(), company.id, at, start, max(finish, start), code, status, error, scheduled)
        company.syncs.append(record)
        if record.succeeded:
            for connection in company.connections.values():
                connection.last_sync = at
        return record

    def latest_sync(self, company_id: str) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)
            if not company.syncs:
                raise not_found(f"No sync has run for company {company_id}.")
            status = company.syncs[-1].status_json()  # DEL-2: a failed sync after the deletion says so
            if self.policy.latest_complete_after_delete and company.severed:
                status["syncStatus"] = "Complete"
            return status

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
                "last": company.syncs[-1].at if company.syncs else None,
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
