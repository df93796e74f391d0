"""Starting the flow and opening its URL: the start call (URL-*, LINK-1, LINK-2, REV-1) and the OTP (OTP-*).

The start call finds or creates the merchant's company, gives it one
connection per platform, and hands out a flow URL carrying a fresh OTP.  The
merchant's browser opens that URL once, within the OTP's lifetime, and
trades it for a flow session (:mod:`.pages`, :mod:`.flow_app`).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import unquote_plus, urlencode

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.sandbox import configuration
from sfc_conformance.sandbox.companies import COMPANY_NAME
from sfc_conformance.sandbox.errors import ApiError, bad_request, not_found
from sfc_conformance.sandbox.model import LINKED, Company, Connection, FlowSession, OtpGrant, new_id
from sfc_conformance.sandbox.platforms import ACCOUNTING, COMMERCE, Platform
from sfc_conformance.sandbox.records import MAX_TEXT, UUID_FORM, Records

FLOW_SESSION_LIFETIME = timedelta(hours=1)


class Flow(Records):
    # -- the start call ----------------------------------------------------------------------

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
            # LINK-1: one connection per platform; REV-1: a configured company keeps its configuration.
            if self.policy.creates_commerce_connection:
                self._ensure_connection(company, commerce)
            self._ensure_connection(company, accounting)
            if self.policy.start_resets_configuration:
                company.choices = configuration.Choices()
            # URL-3, OTP-3: every start call a fresh OTP, also after the last one expired.
            grant = self._resent_grant(company.id) or OtpGrant(
                self._fresh_otp(), company.id, merchant, commerce.key, accounting.key, redirect, self.clock.now())
            self._grants[grant.otp] = grant
        return {"url": self._flow_url(base, commerce.key, accounting.key, merchant, grant.otp, redirect)}

    def _flow_url(self, base: str, commerce_key: str, accounting_key: str, merchant: str, otp: str,
                  redirect: str | None) -> str:
        query = {"merchantIdentifier": merchant, "otp": otp}  # URL-2: the merchant as sent, and the OTP
        if not self.policy.url_names_merchant:
            del query["merchantIdentifier"]
        if redirect is not None and self.policy.redirect_in_url:  # URL-4: R comes back, encoded
            if not self.policy.redirect_keeps_non_ascii:
                redirect = redirect.encode("ascii", "ignore").decode()
            if self.policy.decodes_redirect_twice:
                redirect = unquote_plus(redirect)  # decoded once already, as a query parameter
            query["redirectUrl"] = redirect
        if not self.policy.redirect_encoded and "redirectUrl" in query:
            pasted = query.pop("redirectUrl")
            query_text = f"{urlencode(query)}&redirectUrl={pasted}"
        else:
            query_text = urlencode(query)
        url = f"{base}sync-flow/{self.client_id}/{commerce_key}/{accounting_key}/start?{query_text}"  # URL-1
        return url if self.policy.absolute_flow_url else url.removeprefix(base.rstrip("/"))

    def _platforms(self, commerce_key: str, accounting_key: str) -> tuple[Platform, Platform]:
        if self.policy.accepts_unknown_platforms:
            return COMMERCE["lqai"], ACCOUNTING["gbol"]
        # URL-6: an unknown or malformed key, or a commerce key as the accounting one, is a 400 or 404.
        for slot, key in (("commerce", commerce_key), ("accounting", accounting_key)):
            if not PLATFORM_KEY.match(key) and self.policy.crashes_on_malformed_key:
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

    def _check_redirect(self, redirect: str) -> None:
        if len(redirect) > MAX_TEXT:
            raise bad_request("`redirectUrl` is too long.")
        # Browsers ignore leading spaces and control characters before a scheme.
        scheme_part = re.sub(r"[\x00-\x20]", "", redirect).lower()
        if scheme_part.startswith(self.policy.refused_redirect_schemes):  # URL-5
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

    def _ensure_connection(self, company: Company, platform: Platform) -> None:
        existing = [c for c in company.connections.values() if c.platform.key == platform.key]
        if existing and not self.policy.duplicates_connections:
            if self.policy.relinks_on_start:  # the start "resumes" the connection it finds
                for connection in existing:
                    if connection.status in ("Deauthorized", "Unlinked"):
                        connection.status = LINKED
            return  # LINK-2: a repeated start call creates no further connection
        connection = Connection(new_id(), company.id, platform, new_id(), self.clock.now())
        company.connections[connection.id] = connection

    # -- the OTP -----------------------------------------------------------------------------

    def _fresh_otp(self) -> str:
        if self.policy.otp_from_counter:
            return str(next(self._fault_memory.otp_counter))
        digits = self.policy.otp_digits  # URL-2: six digits
        while True:  # never hand out the same OTP twice (URL-3); drawn at random (OTP-6)
            otp = f"{secrets.randbelow(10**digits):0{digits}d}"
            if otp not in self._grants:
                return otp

    def _resent_grant(self, company_id: str) -> OtpGrant | None:
        """The faults that hand out an old OTP again, still valid or expired; never the healthy sandbox."""
        if not (self.policy.resends_valid_otp or self.policy.resends_expired_otp):
            return None  # the healthy sandbox never looks back through its grants
        now = self.clock.now()
        for grant in reversed(self._grants.values()):
            if grant.company_id != company_id or grant.used:
                continue
            expired = now - grant.issued_at >= self.policy.otp_lifetime
            if (expired and self.policy.resends_expired_otp) or (not expired and self.policy.resends_valid_otp):
                return grant
        return None

    # -- the merchant opens the flow URL ------------------------------------------------------

    def open_flow(self, commerce_key: str, accounting_key: str, params: dict[str, str]) -> FlowSession:
        refused = ApiError(401, "This sync flow link has expired or is not valid. Ask for a new one.")
        otp, merchant = params.get("otp", ""), params.get("merchantIdentifier", "")
        with self._lock:
            grant = self._grants.get(otp)
            now = self.clock.now()
            if grant is None or (grant.commerce_key, grant.accounting_key) != (commerce_key, accounting_key):
                raise refused  # OTP-4: a changed digit is an unknown OTP
            if grant.merchant_identifier != merchant and self.policy.otp_bound_to_merchant:  # OTP-4
                raise refused
            if grant.used and self.policy.otp_single_use:  # OTP-5
                raise refused
            if now - grant.issued_at >= self.policy.otp_lifetime:  # OTP-1, OTP-2: valid for 30 s, refused from then on
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

    def company_flow_state(self, company_id: str) -> tuple[bool, bool]:
        """(accounting linked, configured) — which page the flow opens on (FLOW-3: settings once configured)."""
        with self._lock:
            company = self._company(company_id)
            return company.linked("Accounting"), self._configured(company)

    def accounting_connection_id(self, company_id: str) -> str | None:
        """The connection the flow's authorize page links (FLOW-1: the one the API would authorize)."""
        with self._lock:
            connection = self._company(company_id).connection_of("Accounting")
            return connection.id if connection else None
