"""The start call (URL-1..6, LINK-1, LINK-2, REV-1): the flow URL, and the connections it gives the company; the
flow URL names the partner's client id (the visible accounts' reads need it, CUST-3)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from hypothesis import strategies as st

from sfc_conformance.core.profile import client_id_of
from sfc_conformance.model import allowed, values
from sfc_conformance.model.calls import Calls, choose, pick
from sfc_conformance.model.holdings import (
    ACCOUNTING,
    COMMERCE,
    CONFIGURATION,
    CONNECTIONS,
    LINKED,
    PENDING,
    ModelCompany,
    ModelConnection,
)
from sfc_conformance.model.judging import Answer, short, shown_connections

REFUSED_STARTS: Final = ["unknown commerce key", "unknown accounting key", "malformed key",
                          "commerce key as the accounting key", "unsafe redirect"]


class FlowCalls(Calls):
    def start_flow(self, data: st.DataObject, company: ModelCompany | None = None, kind: str = "valid", *,
                   plain: bool = False) -> None:
        """The start call: ``kind`` valid (with a redirect URL, unless ``plain``) or one of :data:`REFUSED_STARTS`."""
        company = company or pick(data, self.model.alive())
        commerce, accounting = self.run.commerce_key, company.accounting_key
        redirect: str | None = None
        if kind == "unknown commerce key":
            commerce = values.UNKNOWN_KEY
        elif kind == "unknown accounting key":
            accounting = values.UNKNOWN_KEY
        elif kind == "malformed key":
            malformed = choose(data, list(values.MALFORMED_KEYS))
            commerce, accounting = (malformed, accounting) if data.draw(st.booleans()) else (commerce, malformed)
        elif kind == "commerce key as the accounting key":
            accounting = self.run.commerce_key
        elif kind == "unsafe redirect":
            redirect = data.draw(values.UNSAFE_REDIRECTS)
        elif not plain:
            redirect = data.draw(values.REDIRECT_URLS)
        self.say(f"start the flow for company {company.label} ({commerce}, {accounting}"
                 + (f", redirectUrl {redirect!r}" if redirect is not None else "") + ")")
        self.reached(company, f"start flow ({'valid' if kind == 'valid' else 'refused'})")
        params = {"merchantIdentifier": company.id, **({"redirectUrl": redirect} if redirect is not None else {})}
        bad_key = kind not in ("valid", "unsafe redirect")
        answer = self.send("GET", f"/config/sync/commerce/{commerce}/{accounting}/start", params=params,
                           server_error="URL-6" if bad_key else "API-5")  # URL-6: "never 5xx"
        if kind != "valid":
            self.expect(answer, allowed.START_UNSAFE_REDIRECT if kind == "unsafe redirect" else allowed.START_BAD_KEY,
                        f"starting the flow with {kind}")
            self.blame(company, CONNECTIONS, "URL-5" if kind == "unsafe redirect" else "URL-6",
                       f"a refused start call ({kind}) created nothing")
            return
        self.expect(answer, allowed.START, "starting the flow")
        self.judge_flow_url(company, answer, redirect)
        first = not company.started
        before = {c.id: (c.statuses, c.deauthorized) for c in company.connections.values()}
        items = self.walk(f"/companies/{company.id}/connections", 100,
                          f"listing company {company.label}'s connections after the start call")
        if first and not before:
            self.judge_first_start(company, items)
        else:  # a company the partner gave a connection before its first start call (LINK-4) has it still
            self.judge_repeated_start(company, items, before, "LINK-1" if first else "LINK-2")
            if first:
                self.judge_kinds_after_first_start(company)
        company.started = True
        self.blame(company, CONNECTIONS, "LINK-2", "a start call created no further connections")
        if company.configuration.ever_configured:
            self.blame(company, CONFIGURATION, "REV-1", "a start call for a configured company kept its configuration")
            self.read_configuration_of(company, f"reading company {company.label}'s configuration after the start "
                                                "call", allowed.READ_CONFIGURATION)

    def judge_flow_url(self, company: ModelCompany, answer: Answer, redirect: str | None) -> None:
        """URL-1 absolute, URL-2 its OTP and merchant, URL-3 a fresh OTP, URL-4 the redirect as sent."""
        self.judged("URL-1", "URL-2", "URL-3", "URL-4")
        url = answer.json.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            self.broke("URL-1", f"{answer.line()} answered url {url!r}, not an absolute http(s) URL")
        query = parse_qs(parts.query, keep_blank_values=True)
        otp = (query.get("otp") or [""])[-1]
        if not (otp.isdigit() and len(otp) >= 6):
            self.broke("URL-2", f"the flow URL's otp is {otp!r}, not six or more digits")
        if query.get("merchantIdentifier") != [company.id]:
            self.broke("URL-2", f"the flow URL's merchantIdentifier is {query.get('merchantIdentifier')!r}, not "
                                f"[{company.id!r}]")
        self.model.client_id = self.model.client_id or client_id_of(str(url), self.run.commerce_key,
                                                                    company.accounting_key)
        if otp == company.last_otp:
            self.broke("URL-3", f"the start call handed out OTP {otp} again: company {company.label}'s last start "
                                "call had it too")
        company.last_otp = otp
        if redirect is None and "redirectUrl" in query:
            self.broke("URL-4", f"the flow URL carries redirectUrl {query['redirectUrl']!r}, though none was sent")
        if redirect is not None and query.get("redirectUrl") != [redirect]:
            self.broke("URL-4", f"the flow URL carries redirectUrl {query.get('redirectUrl')!r}, not [{redirect!r}]")

    def judge_first_start(self, company: ModelCompany, items: list[dict[str, Any]]) -> None:
        """LINK-1: one Commerce connection with the commerce key, one Accounting with the accounting key,
        both PendingAuth."""
        self.judged("LINK-1")
        wanted = [(COMMERCE, self.run.commerce_key), (ACCOUNTING, company.accounting_key)]
        shown = sorted((str(i.get("sourceType")), str(i.get("integrationKey")), str(i.get("status"))) for i in items)
        if shown != sorted((kind, key, PENDING) for kind, key in wanted):
            self.broke("LINK-1", f"after the first start call company {company.label} has "
                                 f"{'; '.join(' '.join(s) for s in shown) or 'no connection'}, not one Commerce "
                                 f"{wanted[0][1]} and one Accounting {wanted[1][1]}, both PendingAuth")
        for item in items:
            ident = str(item["id"])
            company.connections[ident] = ModelConnection(ident, str(item["sourceType"]), str(item["integrationKey"]),
                                                         frozenset({PENDING}))

    def judge_repeated_start(self, company: ModelCompany, items: list[dict[str, Any]],
                             before: dict[str, tuple[frozenset[str], bool]], rule: str = "LINK-2") -> None:
        """LINK-2: no further connections (a kind the merchant deleted may come back, PendingAuth); REV-4: a
        start call links nothing (only an authorization does).  ``rule``: LINK-1 for a first start call after the
        partner created a connection (LINK-4): the company has one connection of each kind after it."""
        self.judged(rule, *(["REV-4"] if any(deauthorized for _, deauthorized in before.values()) else []))
        call = "the first start call" if rule == "LINK-1" else "a repeated start call"
        shown = {str(i.get("id")): i for i in items}
        for ident, (statuses, deauthorized) in before.items():
            connection = company.connections[ident]
            item = shown.get(ident)
            if item is None:
                self.broke(rule, f"{call} removed company {company.label}'s {connection.kind} connection "
                                 f"{short(ident)}")
            status = str(item.get("status"))
            if status == LINKED and LINKED not in statuses:
                self.broke("REV-4" if deauthorized else "LINK-3",
                           f"{call} made company {company.label}'s {connection.kind} connection "
                           f"{short(ident)} Linked (it was {'/'.join(sorted(statuses))}); only an authorization links")
            if status not in statuses | {PENDING}:
                self.broke(rule, f"{call} made {connection.kind} connection {short(ident)} {status!r} (it was "
                                 f"{'/'.join(sorted(statuses))})")
            connection.learn(status)
        wanted = {COMMERCE: self.run.commerce_key, ACCOUNTING: company.accounting_key}
        for ident, item in shown.items():
            if ident in before:
                continue
            kind = str(item.get("sourceType"))
            if kind not in wanted or company.of_kind(kind) or item.get("status") != PENDING or \
                    item.get("integrationKey") != wanted[kind]:
                self.broke(rule, f"{call} for company {company.label} created a further connection {short(ident)} "
                                 f"({kind} {item.get('integrationKey')} {item.get('status')}); it had "
                                 f"{shown_connections(company)}")
            company.connections[ident] = ModelConnection(ident, kind, wanted[kind], frozenset({PENDING}))

    def judge_kinds_after_first_start(self, company: ModelCompany) -> None:
        """LINK-1, after a first start call for a company that had a connection already (LINK-4): one Commerce
        connection with the commerce key and one Accounting connection with the accounting key."""
        wanted = {COMMERCE: self.run.commerce_key, ACCOUNTING: company.accounting_key}
        shown = sorted(f"{c.kind} {c.key}" for c in company.connections.values())
        if shown != sorted(f"{kind} {key}" for kind, key in wanted.items()):
            self.broke("LINK-1", f"after the first start call company {company.label} has "
                                 f"{'; '.join(shown) or 'no connection'}, not one Commerce {wanted[COMMERCE]} and one "
                                 f"Accounting {wanted[ACCOUNTING]}")
