"""KEY-1: every call, made with anything but the key, answers 401 and changes nothing.

The credential is drawn from every one that is not the key, however close to
it (:func:`~sfc_conformance.model.values.near_misses`); the call from every
call of the protocol, on a company in whatever state it is.  A refused write
is read back at once with the key: what it would have changed is unchanged.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.core.account import TEXTS_PATH, VISIBLE_ACCOUNTS_PATH
from sfc_conformance.model import allowed, documents, values
from sfc_conformance.model.calls import CREDENTIALS, choose, new_id, pick
from sfc_conformance.model.customizing import CustomizationCalls
from sfc_conformance.model.holdings import (
    COMPANIES,
    COMPANY,
    CONFIGURATION,
    CONNECTIONS,
    SUBSCRIPTIONS,
    SYNCS,
    TEXTS,
    VISIBLE,
    ModelCompany,
)
from sfc_conformance.model.integrations import IntegrationCalls
from sfc_conformance.model.judging import short
from sfc_conformance.model.subscriptions import WRONG_KEY_URL_MARK, SubscriptionCalls
from sfc_conformance.model.syncs import SyncCalls

# What each call would change, were it made with the key: what a refusal must leave as it was.
TOUCHES: Final[dict[str, tuple[str, ...]]] = {
    "create a company": (COMPANIES,), "start the flow": (CONNECTIONS,), "authorize a connection": (CONNECTIONS,),
    "change a connection": (CONNECTIONS,), "delete a connection": (CONNECTIONS,),
    "create a connection": (CONNECTIONS,), "set the configuration": (CONFIGURATION,), "request a sync": (SYNCS,),
    "subscribe": (SUBSCRIPTIONS,), "delete a subscription": (SUBSCRIPTIONS,),
    "delete the company": (COMPANY, COMPANIES), "change the flow's text": (TEXTS,),
    "set the visible accounts": (VISIBLE,),
    **{read: () for read in ("read the company", "list the connections", "read the configuration",
                             "read the latest sync", "list the companies", "list the subscriptions",
                             "read the flow's text", "read the visible accounts", "list the integrations",
                             "read a branding")},
}
CALLS: Final = ["read the company", "create a company", "start the flow", "list the connections",
                "authorize a connection", "change a connection", "delete a connection", "create a connection",
                "read the configuration", "set the configuration", "request a sync", "read the latest sync",
                "list the companies", "subscribe", "list the subscriptions", "delete a subscription",
                "delete the company", "read the flow's text", "change the flow's text", "read the visible accounts",
                "set the visible accounts", "list the integrations", "read a branding"]
NEEDS_CLIENT_ID: Final = frozenset({"read the visible accounts", "set the visible accounts"})


class KeyCalls(SyncCalls, SubscriptionCalls, CustomizationCalls, IntegrationCalls):
    def keyless_calls(self) -> list[str]:
        """The calls a credential that is not the key is tried on: the visible accounts once the client id is
        known (a flow URL names it)."""
        return [call for call in CALLS if self.model.client_id or call not in NEEDS_CLIENT_ID]

    def every_credential(self, data: st.DataObject) -> None:
        """One call made with every credential that is not the key, in turn; the step shows the one it ends on."""
        call = choose(data, self.keyless_calls())
        company, ident = self.target(data, deleted=False)
        fixed, drawn = self.run.every_near_miss
        credentials = [*fixed, *(data.draw(strategy) for strategy in drawn)]
        for number, credential in enumerate(credentials, 1):
            self.transcript.current.answers.clear()
            self.call_without_the_key(data, credential, call, (company, ident),
                                      f" ({number} of {len(credentials)} near misses; each one before it refused)")

    def call_without_the_key(self, data: st.DataObject, credential: values.NearMiss | None = None,
                             call: str | None = None, on: tuple[ModelCompany | None, str] | None = None,
                             note: str = "") -> None:
        credential = credential or data.draw(self.run.near_misses)
        call = call or choose(data, self.keyless_calls())
        company, ident = on or self.target(data, deleted=False)
        connections = list(company.connections.values()) if company else []
        connection_id = pick(data, connections).id if connections else new_id(data)
        who = company.label if company else short(ident)
        self.say(f"{call} (company {who}) with {credential.kind}{note}")
        self.reached(company, f"without the key: {call}")
        self.run.reach.value("credentials", credential.kind.split(" of ")[0])
        if call == "change the flow's text":  # what it would change, as found with the key first
            self.know_texts("en-us")
            self.model.locale("en-us").changed = True
            self.model.locale("en-us").read_last = False
        elif call == "set the visible accounts":
            self.know_platforms(self.run.commerce_key)
            self.model.platform(self.run.commerce_key).changed = True
            self.model.platform(self.run.commerce_key).read_last = False
        method, path, body, params = self.request_for(call, company, ident, connection_id, data)
        keep = None
        if call in ("create a company", "subscribe"):
            keep = self.made(self.made_companies if call == "create a company" else self.made_subscriptions,
                             str(body.get("name") or body.get("url")))
        answer = self.send(method, path, json_body=body, params=params, credential=credential, keep=keep)
        self.expect(answer, allowed.NOT_THE_KEY, f"{call} with {credential.kind}")
        what = f"a call made with {credential.kind} changed nothing"
        for aspect in TOUCHES[call]:
            if aspect in (COMPANIES, SUBSCRIPTIONS):
                self.blame_account(aspect, "KEY-1", what)
            elif aspect == TEXTS:
                self.blame_account(f"{TEXTS} en-us", "KEY-1", what)
            elif aspect == VISIBLE:
                self.blame_account(f"{VISIBLE} {self.run.commerce_key}", "KEY-1", what)
            elif company is not None:
                self.blame(company, aspect, "KEY-1", what)
        self.read_back(call, company)

    def request_for(self, call: str, company: ModelCompany | None, ident: str, connection_id: str,
                    data: st.DataObject) -> tuple[str, str, Any, dict[str, Any] | None]:
        """(method, path, body, query) of ``call``, as the key would have made it."""
        base = f"/companies/{ident}"
        config = f"/config/companies/{ident}/sync/commerce"
        accounting = company.accounting_key if company else self.run.accounting_keys[0]
        if call == "create a company":
            return "POST", "/companies", {"name": self.run.run_id.company_name("model without key")}, None
        if call == "start the flow":
            return ("GET", f"/config/sync/commerce/{self.run.commerce_key}/{accounting}/start", None,
                    {"merchantIdentifier": ident})
        if call == "set the configuration":
            doc = company.configuration.document if company else None
            return "POST", config, documents.posted(doc or {}, {documents.SYNC_HOUR: 13}, enable=False), None
        if call == "subscribe":
            url = f"{self.run.subscription_url(0)}&{WRONG_KEY_URL_MARK}"
            return "POST", "/webhooks", {"url": url, "eventTypes": ["connection.deleted"]}, None
        if call == "change the flow's text":
            key = next(iter(self.model.locale("en-us").shown or {}), "sfc-model-text-key")
            return ("PATCH", TEXTS_PATH, {key: self.run.run_id.company_name("model text without the key")},
                    {"locale": "en-us"})
        if call == "read the visible accounts":
            return "GET", self.visible_path(self.run.commerce_key), None, None
        if call == "read a branding":
            return "GET", f"/config/integrations/{self.run.commerce_key}/branding", None, None
        if call == "delete a subscription":
            ours = [s.id for s in self.model.subscriptions]
            return "DELETE", f"/webhooks/{pick(data, ours) if ours else new_id(data)}", None, None
        return {
            "read the company": ("GET", base, None, None),
            "list the connections": ("GET", f"{base}/connections", None, None),
            "authorize a connection": ("PUT", f"{base}/connections/{connection_id}/authorization", CREDENTIALS, None),
            "change a connection": ("PATCH", f"{base}/connections/{connection_id}", {"status": "Deauthorized"}, None),
            "delete a connection": ("DELETE", f"{base}/connections/{connection_id}", None, None),
            "read the configuration": ("GET", config, None, None),
            "request a sync": ("POST", f"{base}/sync/commerce/latest", {"syncTo": None}, None),
            "read the latest sync": ("GET", f"{base}/sync/commerce/syncs/latest/status", None, None),
            "list the companies": ("GET", "/companies", None, {"page": 1, "pageSize": 1}),
            "list the subscriptions": ("GET", "/webhooks", None, None),
            "delete the company": ("DELETE", base, None, None),
            "create a connection": ("POST", f"{base}/connections", {"platformKey": accounting}, None),
            "read the flow's text": ("GET", TEXTS_PATH, None, {"locale": "en-us"}),
            "set the visible accounts": ("POST", VISIBLE_ACCOUNTS_PATH + self.run.commerce_key,
                                         {"visibleAccounts": []}, None),
            "list the integrations": ("GET", "/config/integrations", None, {"page": 1, "pageSize": 100}),
        }[call]

    def read_back(self, call: str, company: ModelCompany | None) -> None:
        """After a refused write, what it would have changed, read with the key: unchanged (KEY-1)."""
        if call == "create a company":
            total = self.model.others + len(self.model.listed_companies())
            answer = self.send("GET", "/companies", params={"page": 1, "pageSize": 1})
            self.expect(answer, allowed.LIST, "counting the companies")
            said = answer.json.get("totalResults")
            if said != total:
                self.broke("KEY-1", f"after a company was asked for without the key, GET /companies counts {said}, "
                                    f"not {total}")
        elif call in ("subscribe", "delete a subscription"):
            if self.model.webhook_list_offered is not False:
                self.read_subscriptions(100)
        elif call == "change the flow's text":
            self.read_locale("en-us", "reading the flow's text back")
        elif call == "set the visible accounts":
            self.read_platform(self.run.commerce_key, "reading the visible accounts back")
        elif company is None:
            return
        elif call in ("start the flow", "authorize a connection", "change a connection", "delete a connection",
                      "create a connection"):
            self.read_connections(company)
        elif call == "set the configuration" and company.started:
            self.read_configuration_of(company, "reading the configuration back", allowed.READ_CONFIGURATION)
        elif call == "delete the company":
            self.expect(self.send("GET", f"/companies/{company.id}"), allowed.STILL_THERE,
                        f"reading company {company.label}, which a call without the key tried to delete")
        elif call == "request a sync":
            self.check_latest(company, f"company {company.label}")
