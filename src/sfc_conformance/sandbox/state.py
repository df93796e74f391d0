"""The sandbox's state and every rule it enforces, behind one lock.

Handlers in :mod:`.api` and :mod:`.pages` only translate HTTP to calls here,
so an API step and a flow page that do the same thing change the same state
the same way (FLOW-1).
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from .. import readiness
from ..clock import Clock, isoformat
from ..secrets import Secret
from . import configuration
from .errors import ApiError, ValidationIssue, bad_request, not_found
from .faults import Faults
from .model import (
    CONNECTION_STATUSES,
    LINKED,
    Company,
    Connection,
    FlowSession,
    OtpGrant,
    SyncRecord,
    Webhook,
    new_id,
)
from .platforms import ACCOUNTING, COMMERCE, PLATFORM_KEY
from .schedule import next_sync_after
from .webhooks import Delivery, build_delivery, with_unknown_fields

OTP_LIFETIME = timedelta(seconds=30)
ANNOUNCED_AGAIN_AFTER = timedelta(seconds=5)  # the `webhook-announced-twice` fault
LATE_WEBHOOK = timedelta(seconds=12)  # the `webhook-late` fault
OTHER_SECRET = Secret("whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtcGFydG5lcnM=")  # `webhook-signature-wrong`
FLOW_SESSION_LIFETIME = timedelta(hours=1)
COMPANY_NAME = re.compile(r"^[A-Za-z0-9\s\-',&@.,?!\s]+$")
UUID_FORM = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_PAGE_SIZE = 5000
MAX_TEXT = 2048
REFUSED_REDIRECT_SCHEMES = ("javascript:", "data:", "vbscript:")


class SandboxState:
    def __init__(self, clock: Clock, faults: Faults, dispatch: Callable[[Delivery], None],
                 webhook_secret: Secret | None = None) -> None:
        self.clock = clock
        self._dispatch = dispatch
        self.faults = faults
        self.webhook_secret = webhook_secret
        self.client_id = new_id()
        self._lock = threading.RLock()
        self._companies: dict[str, Company] = {}
        self._grants: dict[str, OtpGrant] = {}
        self._sessions: dict[str, FlowSession] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._later: list[tuple[datetime, Delivery]] = []  # deliveries a fault holds back
        self._otp_counter = itertools.count(100000)

    # -- companies ---------------------------------------------------------

    def create_company(self, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object with a `name`.")
        name, description = body.get("name"), body.get("description")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("`name` is required.")
        if len(name) > 256 or not COMPANY_NAME.match(name):
            raise bad_request("`name` may hold letters, digits, spaces and - ' , & @ . ? ! only, up to 256 characters.")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_TEXT):
            raise bad_request("`description` must be a string of at most 2048 characters.")
        with self._lock:
            company = self._new_company(name, description)
            return self._company_json(company, base)

    def _new_company(self, name: str, description: str | None) -> Company:
        company = Company(new_id(), name, description, self.clock.now())
        self._companies[company.id] = company
        return company

    def get_company(self, company_id: str, base: str) -> dict[str, Any]:
        with self._lock:
            if "unknown-company-found" in self.faults and company_id not in self._companies:
                return self._company_json(Company(company_id, "Unknown", None, self.clock.now()), base)
            return self._company_json(self._company(company_id), base)

    def _company(self, company_id: str) -> Company:
        company = self._companies.get(company_id)
        if company is None:
            raise not_found(f"No company was found with ID {company_id[:64]}")  # READY-2
        return company

    def _company_json(self, company: Company, base: str) -> dict[str, Any]:
        # READY-1 reads the connections here, as the seed page does; they must agree with the list.
        connections = [self._connection_json(c, base) for c in company.connections.values()]
        if "company-without-connections" in self.faults:
            connections = []
        if "company-shows-stale-links" in self.faults:
            for connection in connections:
                if connection["status"] in ("Deauthorized", "Unlinked"):
                    connection["status"] = LINKED
        body = company.to_json(base, connections)
        if "non-iso-dates" in self.faults:
            body["created"] = company.created.strftime("%d/%m/%Y %H:%M:%S")
        return body

    def _connection_json(self, connection: Connection, base: str) -> dict[str, Any]:
        body = connection.to_json(base, with_integration_key="connection-missing-field" not in self.faults)
        if "status-outside-enum" in self.faults and body["status"] == "Deauthorized":
            body["status"] = "Deauthorised"
        if "link-url-dropped" in self.faults and body["status"] == LINKED:
            del body["linkUrl"]
        return body

    # -- start the flow (URL-*, OTP-*, LINK-1, LINK-2, REV-1) ---------------

    def start_flow(self, commerce_key: str, accounting_key: str, params: dict[str, str], base: str) -> dict[str, str]:
        commerce, accounting = self._platforms(commerce_key, accounting_key)
        merchant = params.get("merchantIdentifier")
        if not merchant:
            raise bad_request("`merchantIdentifier` is required: pass the company id.")
        if len(merchant) > 256:
            raise bad_request("`merchantIdentifier` is too long.")
        redirect = params.get("redirectUrl")
        if redirect is not None:
            self._check_redirect(redirect)
        with self._lock:
            company = self._merchant(merchant)
            if "no-commerce-connection" not in self.faults:
                self._ensure_connection(company, commerce)
            self._ensure_connection(company, accounting)
            if "start-resets-configuration" in self.faults:
                company.choices = configuration.Choices()
            # URL-3, OTP-3: every start call a fresh OTP, also after the last one expired.
            grant = self._resent_grant(company.id) or OtpGrant(
                self._fresh_otp(), company.id, merchant, commerce.key, accounting.key, redirect, self.clock.now())
            self._grants[grant.otp] = grant
        query = {"merchantIdentifier": merchant, "otp": grant.otp}  # URL-2
        if "flow-url-without-merchant" in self.faults:
            del query["merchantIdentifier"]
        if redirect is not None and "redirect-dropped" not in self.faults:  # URL-4: R comes back, encoded
            if "redirect-non-ascii-dropped" in self.faults:
                redirect = redirect.encode("ascii", "ignore").decode()
            query["redirectUrl"] = redirect
        if "redirect-not-encoded" in self.faults and "redirectUrl" in query:
            pasted = query.pop("redirectUrl")
            query_text = f"{urlencode(query)}&redirectUrl={pasted}"
        else:
            query_text = urlencode(query)
        url = f"{base}sync-flow/{self.client_id}/{commerce.key}/{accounting.key}/start?{query_text}"  # URL-1
        if "relative-flow-url" in self.faults:
            url = url.removeprefix(base.rstrip("/"))
        return {"url": url}

    def _resent_grant(self, company_id: str) -> OtpGrant | None:
        """The `otp-repeated-while-valid` and `expired-otp-resent` faults: an old OTP handed out again."""
        if "otp-repeated-while-valid" not in self.faults and "expired-otp-resent" not in self.faults:
            return None  # the healthy sandbox never looks back through its grants
        now, lifetime = self.clock.now(), self._otp_lifetime()
        for grant in reversed(self._grants.values()):
            if grant.company_id != company_id or grant.used:
                continue
            expired = now - grant.issued_at >= lifetime
            if (expired and "expired-otp-resent" in self.faults) or (
                    not expired and "otp-repeated-while-valid" in self.faults):
                return grant
        return None

    def _platforms(self, commerce_key: str, accounting_key: str) -> tuple[Any, Any]:  # URL-6
        if "unknown-platform-accepted" in self.faults:
            return COMMERCE["lqai"], ACCOUNTING["gbol"]
        for slot, key in (("commerce", commerce_key), ("accounting", accounting_key)):
            if not PLATFORM_KEY.match(key) and "crash-on-malformed-key" in self.faults:
                raise RuntimeError("fault: crash-on-malformed-key")
            if not PLATFORM_KEY.match(key):
                raise bad_request(f"{slot} platform key {key[:16]!r} is malformed: "
                                  "platform keys are four lower-case letters.")
        if commerce_key not in COMMERCE:
            raise not_found(f"No commerce platform has the key {commerce_key!r}.")
        if accounting_key in COMMERCE:
            raise bad_request(f"{accounting_key!r} is a commerce platform; "
                              "the second key must be an accounting platform.")
        if accounting_key not in ACCOUNTING:
            raise not_found(f"No accounting platform has the key {accounting_key!r}.")
        return COMMERCE[commerce_key], ACCOUNTING[accounting_key]

    def _check_redirect(self, redirect: str) -> None:  # URL-5
        if len(redirect) > MAX_TEXT:
            raise bad_request("`redirectUrl` is too long.")
        # Browsers ignore leading spaces and control characters before a scheme.
        scheme_part = re.sub(r"[\x00-\x20]", "", redirect).lower()
        if scheme_part.startswith(REFUSED_REDIRECT_SCHEMES) and "javascript-redirect-accepted" not in self.faults:
            raise bad_request("`redirectUrl` must be a web address; javascript:, data: and vbscript: are refused.")

    def _merchant(self, merchant: str) -> Company:
        """The company a merchantIdentifier names: its id, or (Codat allows it) its name."""
        if UUID_FORM.match(merchant):
            return self._company(merchant.lower())
        for company in self._companies.values():
            if company.name == merchant:
                return company
        if not COMPANY_NAME.match(merchant):
            raise bad_request("`merchantIdentifier` is neither a company id nor a valid company name.")
        return self._new_company(merchant, None)

    def _ensure_connection(self, company: Company, platform: Any) -> None:
        existing = [c for c in company.connections.values() if c.platform.key == platform.key]
        if existing and "duplicate-connections" not in self.faults:
            return
        connection = Connection(new_id(), company.id, platform, new_id(), self.clock.now())
        company.connections[connection.id] = connection

    def _fresh_otp(self) -> str:
        if "otp-predictable" in self.faults:
            return str(next(self._otp_counter))
        digits = 5 if "otp-five-digits" in self.faults else 6
        while True:  # never hand out the same OTP twice (URL-3); drawn at random (OTP-6)
            otp = f"{secrets.randbelow(10**digits):0{digits}d}"
            if otp not in self._grants:
                return otp

    # -- the merchant opens the flow URL (OTP-1..5) -------------------------

    def _otp_lifetime(self) -> timedelta:
        if "otp-lasts-too-long" in self.faults:
            return OTP_LIFETIME * 2
        if "otp-lasts-31s" in self.faults:
            return OTP_LIFETIME + timedelta(seconds=1)
        if "otp-expires-early" in self.faults:
            return OTP_LIFETIME - timedelta(seconds=1)
        if "otp-dies-after-10s" in self.faults:
            return timedelta(seconds=10)
        return OTP_LIFETIME

    def open_flow(self, commerce_key: str, accounting_key: str, params: dict[str, str]) -> FlowSession:
        refused = ApiError(401, "This sync flow link has expired or is not valid. Ask for a new one.")
        otp, merchant = params.get("otp", ""), params.get("merchantIdentifier", "")
        lifetime = self._otp_lifetime()
        with self._lock:
            grant = self._grants.get(otp)
            now = self.clock.now()
            if grant is None or (grant.commerce_key, grant.accounting_key) != (commerce_key, accounting_key):
                raise refused
            if grant.merchant_identifier != merchant and "otp-not-bound" not in self.faults:  # OTP-4
                raise refused
            if grant.used and "otp-reusable" not in self.faults:  # OTP-5
                raise refused
            if now - grant.issued_at >= lifetime:  # OTP-1, OTP-2: valid for 30 s, refused from then on
                raise refused
            grant.used = True
            session = FlowSession(secrets.token_urlsafe(24), grant.company_id, grant.redirect_url,
                                  now + FLOW_SESSION_LIFETIME)
            self._sessions[session.token] = session
            return session

    def session(self, token: str) -> FlowSession:
        with self._lock:
            session = self._sessions.get(token)
            if session is None or self.clock.now() >= session.expires_at:
                raise ApiError(401, "This sync flow session has ended. Open a new sync flow link.")
            return session

    # -- connections (LINK-3, REV-4, DEL-1) ---------------------------------

    def list_connections(self, company_id: str, page_text: str | None, size_text: str | None,
                         base: str) -> dict[str, Any]:
        page = _integer_param("page", page_text, 1)
        size = _integer_param("pageSize", size_text, 100)
        if page < 1:
            raise bad_request("`page` must be 1 or more.")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise bad_request(f"`pageSize` must be from 1 to {MAX_PAGE_SIZE}.")
        with self._lock:
            company = self._company(company_id)
            every = [self._connection_json(c, base) for c in company.connections.values()]
        total = len(every) + (1 if "wrong-total-results" in self.faults else 0)
        path = f"/companies/{company_id}/connections"
        links = {"self": {"href": path}, "current": {"href": f"{path}?page={page}&pageSize={size}"}}
        if page * size < len(every) or "next-link-on-last-page" in self.faults:
            links["next"] = {"href": f"{path}?page={page + 1}&pageSize={size}"}
        if page > 1:
            links["previous"] = {"href": f"{path}?page={page - 1}&pageSize={size}"}
        first = 0 if "page-ignored" in self.faults else (page - 1) * size  # API-4: page N is the N-th slice
        return {
            "results": every[first: first + size],
            "pageNumber": page,
            "pageSize": size,
            "totalResults": total,
            "_links": links,
        }

    def _connection(self, company: Company, connection_id: str) -> Connection:
        connection = company.connections.get(connection_id)
        if connection is None:
            if "crash-on-unknown-connection" in self.faults and UUID_FORM.match(connection_id):
                raise RuntimeError("fault: crash-on-unknown-connection")
            raise not_found(f"Data connection {connection_id[:64]} not found")
        return connection

    def authorize(self, company_id: str, connection_id: str, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("The authorization must be a JSON object of strings.")
        with self._lock:
            connection = self._connection(self._company(company_id), connection_id)
            connection.status = LINKED
            return self._connection_json(connection, base)

    def update_connection(self, company_id: str, connection_id: str, body: Any, base: str) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"status"}:
            raise bad_request("The update must be a JSON object with only a `status`.")
        status = body.get("status")
        if status is not None and status not in CONNECTION_STATUSES:
            raise bad_request(f"`status` must be one of {', '.join(CONNECTION_STATUSES)}.")
        with self._lock:
            connection = self._connection(self._company(company_id), connection_id)
            if (status == "Unlinked" and "unlink-ignored" in self.faults) or (
                    connection.platform.source_type == "Commerce" and "commerce-deauthorize-ignored" in self.faults):
                return self._connection_json(connection, base)
            if status is not None and status != connection.status:
                if status in ("Linked", "PendingAuth"):
                    raise bad_request("A connection becomes Linked only through its authorization.")
                connection.status = status
            return self._connection_json(connection, base)

    def delete_connection(self, company_id: str, connection_id: str, base: str) -> None:
        with self._lock:
            company = self._company(company_id)
            connection = self._connection(company, connection_id)
            syncing = self._schedulable(company)
            del company.connections[connection_id]
            if connection.platform.source_type == "Accounting":
                company.severed = True
                # DEL-3: the next scheduled sync still runs and fails; none after it.
                company.fail_next_scheduled = syncing and "schedule-stops-silently" not in self.faults
            now = self.clock.now()
            reference = company.reference_json(base)
            if "webhook-wrong-company" in self.faults:
                reference["id"] = new_id()
            event = {
                "id": new_id(),
                "eventType": "connection.deleted",
                "generatedDate": isoformat(now),
                "payload": {"referenceCompany": reference, "connection": self._connection_json(connection, base)},
            }
            if "webhook-without-date" in self.faults:
                del event["generatedDate"]
            if "unknown-fields" in self.faults:
                event = with_unknown_fields(event)
            subscribers = [w for w in self._webhooks.values()
                           if not w.disabled and "connection.deleted" in w.event_types]
            if "no-webhook-on-delete" in self.faults:
                return
            # DEL-1: every subscriber hears of the deletion, as one event (one `id`).
            if "webhook-first-subscriber-only" in self.faults:
                subscribers = subscribers[:1]
            secret = None if "unsigned-webhooks" in self.faults else self.webhook_secret
            if secret is not None and "webhook-signature-wrong" in self.faults:
                secret = OTHER_SECRET
            now_due: list[Delivery] = []
            again = {**event, "id": new_id()}  # the `webhook-announced-twice` fault's second event
            for hook in subscribers:
                sent = {**event, "id": new_id()} if "webhook-id-per-subscriber" in self.faults else event
                delivery = build_delivery(hook.url, sent, secret)
                if "webhook-late" in self.faults:
                    self._later.append((now + LATE_WEBHOOK, delivery))
                else:
                    now_due.append(delivery)
                    if "webhook-retried" in self.faults:
                        now_due.append(delivery)  # the same delivery again: same webhook-id, same event
                if "webhook-announced-twice" in self.faults:
                    self._later.append((now + ANNOUNCED_AGAIN_AFTER, build_delivery(hook.url, again, secret)))
        for delivery in now_due:  # outside the lock: a slow receiver must not stall the API
            self._dispatch(delivery)

    # -- configuration (CONF-*, REV-*) -------------------------------------

    def get_configuration(self, company_id: str) -> dict[str, Any]:
        with self._lock:
            return self._configuration_json(self._company(company_id))

    def _configured(self, company: Company) -> bool:
        if "trust-configured-flag" in self.faults and company.choices.claimed_configured is not None:
            return company.choices.claimed_configured
        if "configured-from-start" in self.faults and company.choices == configuration.Choices():
            return True
        return company.choices.is_complete()

    def _configuration_json(self, company: Company) -> dict[str, Any]:
        doc = configuration.render(company.id, company.name, company.chart(), company.choices,
                                   self._configured(company))
        if "no-tax-rate-options" in self.faults:
            for entry in doc["configuration"]["sales"]["taxRates"].values():
                entry["taxRateOptions"] = []
        if "enabled-instead-of-enable" in self.faults or "enabled-spelling" in self.faults:
            doc["enabled"] = doc.pop("enable")  # READY-3: the seed page's spelling
        return doc

    def set_configuration(self, company_id: str, body: Any) -> dict[str, Any]:
        with self._lock:
            company = self._company(company_id)
            chart = company.chart()
            if chart is None:  # CONF-7
                pending = company.connection_of("Accounting")
                if "configure-before-link-404" in self.faults:
                    raise not_found(f"No company was found with ID {company_id[:64]}")
                if "configure-before-link" not in self.faults or pending is None:
                    raise ApiError(409, "Link the accounting connection before configuring the sync.")
                chart = configuration.Chart(company.id, pending.platform.key)
            if "sync-hour-unchecked" in self.faults:
                _wrap_sync_hour(body)
            if "monthly-refused" in self.faults and _frequency(body) == "Monthly":
                raise bad_request("The configuration is not valid.", [ValidationIssue(
                    "schedule.selectedFrequency", "schedule.selectedFrequency 'Monthly' is not supported")])
            body = _faulty_configuration_body(body, self.faults)
            choices = configuration.apply(body, chart, company.choices, start_date_default=self._midnight(company))
            if "start-date-not-stored" in self.faults:
                choices.start_date = company.choices.start_date or self._midnight(company)
            if "disable-unconfigures" in self.faults and not choices.enable:
                choices.accounts.clear()
            if "grouping-period-not-stored" in self.faults:
                choices.grouping_period = company.choices.grouping_period
            if self._configured(company):  # REV-3's faults: a change on review ignored
                if "tax-rate-change-ignored" in self.faults:
                    choices.tax_rates = company.choices.tax_rates
                if "invoice-status-change-ignored" in self.faults:
                    choices.invoice_status = company.choices.invoice_status
                if "grouping-period-change-ignored" in self.faults:
                    choices.grouping_period = company.choices.grouping_period
            company.choices = choices
            company.next_scheduled = self._next_run(company, self.clock.now())
            return self._configuration_json(company)

    def _midnight(self, company: Company) -> datetime:
        return company.created.replace(hour=0, minute=0, second=0, microsecond=0)

    # -- webhooks ------------------------------------------------------------

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

    # -- syncs (DEL-2, DEL-3) ------------------------------------------------

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
            if company.severed and not company.linked("Accounting"):  # DEL-2
                if "sync-after-delete-500" in self.faults:
                    raise ApiError(500, "The sync could not be started.")
                if "sync-refused-after-delete" in self.faults:
                    raise ApiError(409, "The company has no linked accounting connection to sync to.")
            now = self.clock.now()
            record = self._run_sync(company, now, sync_to or now, scheduled=False)
            return record.summary_json([self._connection_json(c, base) for c in company.connections.values()])

    def _run_sync(self, company: Company, at: datetime, finish: datetime, *, scheduled: bool) -> SyncRecord:
        last_good = next((s for s in reversed(company.syncs) if s.succeeded), None)
        start = last_good.finish if last_good else (company.choices.start_date or self._midnight(company))
        code, status, error = 2000, "Complete", None
        accounting_ok = company.linked("Accounting") or "sync-after-delete" in self.faults
        if not accounting_ok:
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
            status = company.syncs[-1].status_json()
            if "latest-complete-after-delete" in self.faults and company.severed:
                status["syncStatus"] = "Complete"
            return status

    def _schedulable(self, company: Company) -> bool:
        if "scheduler-ignores-delete" in self.faults:
            return company.choices.enable
        return (company.choices.enable and self._configured(company)
                and company.linked("Accounting") and company.linked("Commerce"))

    def _next_run(self, company: Company, after: datetime) -> datetime:
        c = company.choices
        return next_sync_after(after, frequency=c.frequency, sync_hour=c.sync_hour, time_zone=c.time_zone,
                               start_date=c.start_date)

    def tick(self, now: datetime) -> None:
        """Run every scheduled sync that fell due up to ``now``; send the deliveries held back till then."""
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
                    company.next_scheduled = self._next_run(company, due)
            due_now = [delivery for at, delivery in self._later if at <= now]
            self._later = [(at, delivery) for at, delivery in self._later if at > now]
        for delivery in due_now:
            self._dispatch(delivery)

    def schedule_view(self, company_id: str) -> dict[str, Any]:
        """What the settings page shows (FLOW-3)."""
        with self._lock:
            company = self._company(company_id)
            nxt = company.next_scheduled if self._schedulable(company) else None
            if nxt is not None and "next-sync-off-schedule" in self.faults:
                nxt += timedelta(hours=1)
            return {
                "company": company.name,
                "enable": company.choices.enable,
                "configuration": self._configuration_json(company),
                "last": company.syncs[-1].at if company.syncs else None,
                "next": nxt,
                "accounting": company.connection_of("Accounting"),
            }

    def company_flow_state(self, company_id: str) -> tuple[bool, bool]:
        """(accounting linked, configured) — which page the flow opens on."""
        with self._lock:
            company = self._company(company_id)
            return company.linked("Accounting"), self._configured(company)

    def accounting_connection_id(self, company_id: str) -> str | None:
        with self._lock:
            connection = self._company(company_id).connection_of("Accounting")
            return connection.id if connection else None

    # -- the partner's account: listing, housekeeping, the truth for tests -------

    def list_companies(self, page_text: str | None, size_text: str | None, base: str) -> dict[str, Any]:
        """Every company, one page at a time, oldest first (API-4's paging, as for connections)."""
        page, size = _paging(page_text, size_text)
        with self._lock:
            total = len(self._companies)
            chosen = itertools.islice(self._companies.values(), (page - 1) * size, page * size)
            results = [self._company_json(company, base) for company in chosen]
        return _page_of("/companies", results, page, size, total)

    def delete_company(self, company_id: str) -> None:
        """Optional housekeeping: the company goes, and with it its connections, configuration,
        syncs, OTPs and flow sessions; later reads answer 404."""
        with self._lock:
            company = self._company(company_id)
            del self._companies[company.id]
            self._grants = {otp: g for otp, g in self._grants.items() if g.company_id != company.id}
            self._sessions = {t: s for t, s in self._sessions.items() if s.company_id != company.id}

    def list_webhooks(self, page_text: str | None, size_text: str | None) -> dict[str, Any]:
        """Optional housekeeping: the subscriptions, paged as the other lists are."""
        page, size = _paging(page_text, size_text)
        with self._lock:
            total = len(self._webhooks)
            chosen = itertools.islice(self._webhooks.values(), (page - 1) * size, page * size)
            results = [hook.to_json() for hook in chosen]
        return _page_of("/webhooks", results, page, size, total)

    def delete_webhook(self, webhook_id: str) -> None:
        """Optional housekeeping: the subscription goes; no later event is sent to it."""
        with self._lock:
            if self._webhooks.pop(webhook_id, None) is None:
                raise not_found(f"No webhook subscription was found with ID {webhook_id[:64]}")

    def readiness_truth(self) -> dict[str, frozenset[str]]:
        """READY-1 as the sandbox's own records have it (not as its answers say):
        company id -> the conditions it does not meet (empty when ready)."""
        with self._lock:
            return {company.id: frozenset(self._unmet(company)) for company in self._companies.values()}

    def _unmet(self, company: Company) -> list[str]:
        unmet = [condition for source_type, condition in (("Accounting", readiness.ACCOUNTING),
                                                          ("Commerce", readiness.COMMERCE))
                 if not company.linked(source_type)]
        if not company.choices.enable:
            unmet.append(readiness.ENABLED)
        if not self._configured(company):
            unmet.append(readiness.CONFIGURED)
        return unmet


def _wrap_sync_hour(body: Any) -> None:
    """The `sync-hour-unchecked` fault: an out-of-range hour slips through, wrapped into 0-23."""
    schedule = body.get("schedule") if isinstance(body, dict) else None
    if isinstance(schedule, dict) and type(schedule.get("syncHour")) is int:
        schedule["syncHour"] %= 24


def _frequency(body: Any) -> Any:
    schedule = body.get("schedule") if isinstance(body, dict) else None
    return schedule.get("selectedFrequency") if isinstance(schedule, dict) else None


def _web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when out of range
    except ValueError:  # "http://[", "http://a:99999999/"
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _faulty_configuration_body(body: Any, faults: Faults) -> Any:
    """The faults that misread a posted configuration: a wrong default zone, the alias ignored."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    schedule = body.get("schedule")
    if "schedule-defaults-to-london" in faults and isinstance(schedule, dict) and schedule.get("timeZone") is None:
        body["schedule"] = {**schedule, "timeZone": "Europe/London"}
    if "enabled-instead-of-enable" in faults:
        body.pop("enable", None)
    return body


def _integer_param(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    if not re.fullmatch(r"[+-]?\d{1,9}", text.strip()):
        raise bad_request(f"`{name}` must be a whole number.")
    return int(text)


def _paging(page_text: str | None, size_text: str | None) -> tuple[int, int]:
    page = _integer_param("page", page_text, 1)
    size = _integer_param("pageSize", size_text, 100)
    if page < 1:
        raise bad_request("`page` must be 1 or more.")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"`pageSize` must be from 1 to {MAX_PAGE_SIZE}.")
    return page, size


def _page_of(path: str, results: list[dict[str, Any]], page: int, size: int, total: int) -> dict[str, Any]:
    links = {"self": {"href": path}, "current": {"href": f"{path}?page={page}&pageSize={size}"}}
    if page * size < total:
        links["next"] = {"href": f"{path}?page={page + 1}&pageSize={size}"}
    if page > 1:
        links["previous"] = {"href": f"{path}?page={page - 1}&pageSize={size}"}
    return {"results": results, "pageNumber": page, "pageSize": size, "totalResults": total, "_links": links}
