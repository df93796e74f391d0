"""Calls on a company's connections: create (LINK-4), list (API-4), authorize (LINK-3), change status (REV-4),
delete (DEL-*).

The partner creates a connection only of a kind the company lacks (before its first start call, or once the
merchant deleted that kind), with the key its start calls name: "the accounting connection" stays one, as the
rules that speak of it (CONF-2, CONF-7, DEL-2, READY-1) take it.  Every other creation is one the profile
refuses: a key no integration has, a malformed one, a company that does not exist.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed, values
from sfc_conformance.model.calls import CREDENTIALS, Calls, choose, pick
from sfc_conformance.model.companies import LIST_MODES
from sfc_conformance.model.holdings import (
    ACCOUNTING,
    COMMERCE,
    CONNECTIONS,
    LINKED,
    PENDING,
    ModelCompany,
    ModelConnection,
)
from sfc_conformance.model.judging import Answer, short

BODIES: Final = {"credentials": CREDENTIALS, "an empty object": {}, "values that are not strings": {"code": 123456},
                 "not an object": ["sfc"], "a body that is not JSON": b'{"username": "sfc-model'}
NEW_STATUSES: Final = ["Deauthorized", "Unlinked", "Linked", "PendingAuth", "Deauthorised", "linked", 42]
UNKNOWN: Final = allowed.unsaid("API-4", "the profile fixes no answer for a connection the company does not have")
# LINK-4: how a creation names its platform; the first is valid where the company lacks that kind of connection.
CREATIONS: Final = ["a key it lacks", "a key no integration has", "a malformed key", "the key in upper case"]


class ConnectionCalls(Calls):
    def list_connections(self, data: st.DataObject) -> None:
        company, ident = self.target(data)
        mode = choose(data, LIST_MODES)
        path = f"/companies/{ident}/connections"
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.reached(company, f"list connections ({mode})")
        if company is None or company.deleted:
            self.say(f"list the connections of {who}" + (", deleted" if company else ""))
            self.under_no_company(self.send("GET", path, params={"page": 1, "pageSize": 10}),
                                  f"listing the connections of {who}")
            return
        total = len(company.connections)
        if mode == "walk":
            size = int(data.draw(st.sampled_from([1, 2, 3, 100])))
            self.say(f"list every connection of {who}, {size} a page")
            self.read_connections(company, size)
        elif mode == "one page":
            page, size = int(data.draw(st.integers(1, 3))), int(data.draw(st.integers(1, 3)))
            self.say(f"list the connections of {who}, page {page} of {size}")
            answer = self.send("GET", path, params={"page": page, "pageSize": size})
            self.expect(answer, allowed.page(page, size, total), f"listing the connections of {who}")
            if answer.ok:
                self.match_connections(company, answer.json.get("results") or [], complete=False,
                                       where=f"page {page}")
                self.check_page(answer, page, size, total)
        elif mode in ("page 0 or less", "pageSize over 5000"):
            params = ({"page": data.draw(values.BAD_PAGES), "pageSize": 10} if mode == "page 0 or less"
                      else {"page": 1, "pageSize": data.draw(values.BAD_PAGE_SIZES)})
            self.say(f"list the connections of {who} with page {params['page']}, pageSize {params['pageSize']}")
            self.expect(self.send("GET", path, params=params), allowed.BAD_PAGING, f"listing the connections of {who}")
        elif mode == "pageSize 5000":
            self.say(f"list the connections of {who}, 5000 a page (the bound)")
            answer = self.send("GET", path, params={"page": 1, "pageSize": 5000})
            self.expect(answer, allowed.LIST, f"listing the connections of {who}")
            self.match_connections(company, answer.json.get("results") or [], complete=True, where="page 1 of 5000")
            self.check_page(answer, 1, 5000, total)
        elif mode == "past the last page":
            size = int(data.draw(st.integers(1, 2)))
            page = -(-total // size) + 1 + int(data.draw(st.integers(0, 1)))
            self.say(f"list the connections of {who}, page {page} of {size}: past the last")
            answer = self.send("GET", path, params={"page": page, "pageSize": size})
            self.expect(answer, allowed.PAST_THE_END, f"listing the connections of {who} past the last page")
            if answer.ok:
                self.check_page(answer, page, size, total)
        elif mode == "pageSize 0":
            self.say(f"list the connections of {who}, pageSize 0")
            self.expect(self.send("GET", path, params={"page": 1, "pageSize": 0}), allowed.PAGE_SIZE_ZERO,
                        f"listing the connections of {who}, pageSize 0")
        else:
            self.say(f"list the connections of {who} without page or pageSize")
            answer = self.send("GET", path)
            self.expect(answer, allowed.LIST, f"listing the connections of {who}")
            self.match_connections(company, answer.json.get("results") or [], complete=False, where="the first page")
            self.check_page(answer, None, None, total)

    def lacking(self, company: ModelCompany) -> list[tuple[str, str]]:
        """(kind, key) of each connection the company lacks, with the key its start calls name."""
        keys = {COMMERCE: self.run.commerce_key, ACCOUNTING: company.accounting_key}
        return [(kind, key) for kind, key in keys.items() if not company.of_kind(kind)]

    def create_connection(self, data: st.DataObject, company: ModelCompany | None = None,
                          kind: str | None = None) -> None:
        """LINK-4: a known key creates one PendingAuth connection with it, listed from then on (read back at once,
        one a page or all on one); an unknown or malformed key is refused and creates nothing; an unknown company
        is a 404."""
        ident = company.id if company else ""
        lacking_some = [c for c in self.model.alive() if self.lacking(c)]
        if company is None and lacking_some and choose(data, ["any", "one that lacks a connection"]) != "any":
            company = pick(data, lacking_some)
            ident = company.id
        elif company is None:
            company, ident = self.target(data)
        gone = company is None or company.deleted
        lacking = self.lacking(company) if company is not None and not gone else []
        kind = kind or choose(data, (["a key it lacks"] * 3 if lacking or gone else []) + CREATIONS[1:])
        if kind == "a key it lacks" and not lacking and not gone:
            return  # a second connection of a kind would leave "the accounting connection" ambiguous
        key = self.run.commerce_key
        if kind == "a key it lacks" and lacking:
            key = pick(data, lacking)[1]
        elif kind == "a key no integration has":
            key = values.UNKNOWN_KEY
        elif kind == "a malformed key":
            key = choose(data, [k for k in values.MALFORMED_KEYS if k != key.upper()])
        elif kind == "the key in upper case":
            key = (company.accounting_key if company else key).upper()
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"create a connection for {who}{' (deleted)' if company and company.deleted else ''} with platform "
                 f"key {key!r} ({kind})")
        valid = kind == "a key it lacks" and not gone
        self.reached(company, f"create connection ({'valid' if valid else 'refused'})")
        self.run.reach.value("created connections", kind if not gone else "for a company that does not exist")

        def link_4(answer: Answer) -> None:
            if valid:
                self.judged("LINK-4")
                body = answer.json
                if body.get("status") != PENDING or body.get("integrationKey") != key or \
                        not isinstance(body.get("id"), str):
                    self.broke("LINK-4", f"{answer.line()} with platformKey {key!r} answered connection "
                                         f"{body.get('id')!r} {body.get('integrationKey')!r} {body.get('status')!r}, "
                                         f"not a PendingAuth connection with integrationKey {key!r}")

        answer = self.send("POST", f"/companies/{ident}/connections", json_body={"platformKey": key}, first=link_4)
        if company is None or gone:  # 404 for an unknown company; with an unknown key too, any refusal
            self.expect(answer, allowed.CREATE_NO_COMPANY if kind == "a key it lacks" else allowed.CREATE_BAD_KEY,
                        f"creating a connection for {who}")
            return
        if not valid:
            self.expect(answer, allowed.CREATE_BAD_KEY, f"creating a connection with {kind} {key!r}")
            self.blame(company, CONNECTIONS, "LINK-4", f"a creation with {kind} {key!r} was refused: it created "
                                                       "nothing")
            self.read_connections(company)
            return
        self.expect(answer, allowed.CREATE_CONNECTION, f"creating a connection for {who} with {key!r}")
        made = answer.json
        connection = ModelConnection(str(made["id"]), str(made.get("sourceType")), key, frozenset({PENDING}))
        company.connections[connection.id] = connection
        self.blame(company, CONNECTIONS, "LINK-4", f"{connection.kind} connection {short(connection.id)} was created "
                                                   f"with {key!r}: listed from then on")
        self.read_connections(company, int(data.draw(st.sampled_from([100, 1]))))

    def which(self, company: ModelCompany, connection: ModelConnection | None, ident: str) -> str:
        if connection is None:
            return f"connection {short(ident)}, which it does not have"
        return f"{connection.kind} connection {short(ident)} ({'/'.join(sorted(connection.statuses))})"

    def authorize(self, data: st.DataObject, company: ModelCompany | None = None,
                  connection: ModelConnection | None = None, body_kind: str | None = None) -> None:
        company = company or pick(data, self.companies_with_connections())
        ident = connection.id if connection else ""
        if connection is None:
            connection, ident = self.connection_of(data, company)
        body_kind = body_kind or choose(data, list(BODIES))
        which = self.which(company, connection, ident)
        self.say(f"authorize company {company.label}'s {which} with {body_kind}")
        self.reached(company, "authorize" + ("" if connection else " (no such connection)"))
        valid = body_kind in ("credentials", "an empty object")  # a JSON object of strings

        def link_3(answer: Answer) -> None:
            if valid and connection is not None:
                self.judged("LINK-3")
                missing = [f for f in ("linkUrl", "created") if not answer.json.get(f)]
                if answer.json.get("status") != LINKED or missing:
                    self.broke("LINK-3", f"{answer.line()} answered the authorized connection as "
                                         f"{answer.json.get('status')!r}"
                                         + (f" without {', '.join(missing)}" if missing else ""))

        body = BODIES[body_kind]
        refused = self.run.links_refused.get(connection.kind) if connection is not None and valid else None
        if refused:  # a live target that links only in the merchant's browser: nothing to authorize here
            self.say(f"authorize company {company.label}'s {which}: not through the API on this target ({refused})")
            return
        answer = self.send("PUT", f"/companies/{company.id}/connections/{ident}/authorization", first=link_3,
                           **({"content": body} if isinstance(body, bytes) else {"json_body": body}))
        if connection is None:
            self.expect(answer, UNKNOWN, "authorizing a connection the company does not have")
            self.blame(company, CONNECTIONS, "API-4", f"the list holds only the company's connections ({which})")
            return
        if not valid:
            self.expect(answer, allowed.unsaid("LINK-3", "the authorization is a JSON object of strings"),
                        f"authorizing with {body_kind}")
        elif connection.statuses == {PENDING}:
            if self.run.live and 400 <= answer.status < 500:
                # As the scenarios take it (suite/drivers.py): a live target may link only in the merchant's browser
                # (real OAuth); the rules that need a link are then not the model's to judge on this target.
                self.run.links_refused[connection.kind] = f"PUT …/authorization answered {answer.status}"
                return
            self.expect(answer, allowed.AUTHORIZE, f"authorizing a PendingAuth {connection.kind} connection")
        else:
            self.expect(answer, allowed.AUTHORIZE_AGAIN, f"authorizing a {'/'.join(sorted(connection.statuses))} "
                                                         f"{connection.kind} connection")
        if answer.ok:
            if answer.json.get("id") != connection.id:
                self.broke("LINK-3", f"{answer.line()} answered connection {answer.json.get('id')!r}, not "
                                     f"{connection.id}")
            self.now_shows(company, connection, str(answer.json.get("status")))
            self.blame(company, CONNECTIONS, "LINK-3", f"{company.label}'s {connection.kind} connection was authorized")
        else:
            connection.statuses = connection.statuses | ({LINKED} if valid else frozenset())
            self.blame(company, CONNECTIONS, "LINK-3", f"an authorization of {company.label}'s {connection.kind} "
                                                       "connection was refused")

    def now_shows(self, company: ModelCompany, connection: ModelConnection, status: str) -> None:
        """An answer says the connection is ``status`` now; linking the accounting connection brings the
        configuration's options (CONF-2), and a company that lost its accounting connection syncs again."""
        was_linked = connection.linked
        connection.learn(status)
        if status == LINKED:
            connection.deauthorized = False
            if connection.kind == ACCOUNTING:
                company.severed = False
                if not was_linked:
                    company.configuration.unsettle()

    def change_status(self, data: st.DataObject, company: ModelCompany | None = None,
                      connection: ModelConnection | None = None, status: Any = None) -> None:
        company = company or pick(data, self.companies_with_connections())
        ident = connection.id if connection else ""
        if connection is None:
            connection, ident = self.connection_of(data, company)
        status = status if status is not None else data.draw(st.sampled_from(NEW_STATUSES))
        which = self.which(company, connection, ident)
        self.say(f"change company {company.label}'s {which} to status {status!r}")
        deauthorizing = status in ("Deauthorized", "Unlinked")
        self.reached(company, f"PATCH status {status}" if deauthorizing else "PATCH status (other)")
        answer = self.send("PATCH", f"/companies/{company.id}/connections/{ident}", json_body={"status": status})
        if connection is None:
            self.expect(answer, UNKNOWN, "changing a connection the company does not have")
            self.blame(company, CONNECTIONS, "API-4", f"the list holds only the company's connections ({which})")
            return
        rule = "REV-4" if connection.kind == ACCOUNTING else "READY-1"
        if deauthorizing and not connection.linked:  # REV-4 speaks of a Linked connection; of others, nothing
            self.expect(answer, allowed.unsaid(rule, "de-authorizing a connection that is not Linked"),
                        f"de-authorizing {company.label}'s {'/'.join(sorted(connection.statuses))} connection")
            if not answer.ok:
                return
        if deauthorizing:
            self.expect(answer, allowed.DEAUTHORIZE, f"de-authorizing {company.label}'s {connection.kind} connection")
            shown = answer.json.get("status")
            if shown == LINKED or answer.json.get("id") != connection.id:
                self.broke(rule, f"{answer.line()} to {status} answered {connection.kind} connection "
                                 f"{answer.json.get('id')!r} as {shown!r}: still Linked")
            connection.learn(str(shown))
            connection.deauthorized = True
            if connection.kind == ACCOUNTING:
                company.configuration.unsettle()
            self.blame(company, CONNECTIONS, rule, f"{company.label}'s {connection.kind} connection was de-authorized")
            return
        self.expect(answer, allowed.unsaid(rule, "the profile says only what de-authorizing does"),
                    f"changing {company.label}'s {connection.kind} connection to {status!r}")
        if answer.ok:
            self.now_shows(company, connection, str(answer.json.get("status")))
        elif status in ("Linked", "PendingAuth"):
            connection.statuses = connection.statuses | {str(status)}
        self.blame(company, CONNECTIONS, rule, f"{company.label}'s {connection.kind} connection was changed to "
                                               f"{status!r}")

    def sever(self, data: st.DataObject, company: ModelCompany | None = None,
              connection: ModelConnection | None = None) -> ModelCompany | None:
        """Delete a connection (one the company has, had, or never had); the company, when its accounting
        connection went (DEL-2 then holds)."""
        company = company or pick(data, self.companies_with_connections())
        ident = connection.id if connection else ""
        if connection is None:
            connection, ident = self.connection_of(data, company)
        which = self.which(company, connection, ident)
        self.say(f"delete company {company.label}'s {which}")
        self.reached(company, "delete connection" + ("" if connection else " (no such connection)"))
        answer = self.send("DELETE", f"/companies/{company.id}/connections/{ident}")
        if connection is None:
            self.expect(answer, UNKNOWN, "deleting a connection the company does not have")
            self.blame(company, CONNECTIONS, "API-4", f"the list holds only the company's connections ({which})")
            return None
        self.expect(answer, allowed.SEVER, f"deleting {company.label}'s {connection.kind} connection")
        del company.connections[connection.id]
        company.gone_connections.append(connection.id)
        if connection.kind == ACCOUNTING:
            company.severed = True
            company.configuration.unsettle()
        self.blame(company, CONNECTIONS, "API-4", f"{company.label}'s {connection.kind} connection "
                                                  f"{short(connection.id)} was deleted: no list holds it")
        return company if connection.kind == ACCOUNTING else None
