"""A partner's long-lived account, in the sandbox: many merchants in the states real ones are in,
and subscriptions that nobody listens to any more.

:func:`populate` walks each merchant to its state through the sandbox's own
calls, the way a merchant gets there (create, start the flow, authorize,
configure, disable, de-authorize, sever), so every state is one the protocol
can reach.  The mix and the names are the same for the same seed (the ids are
the sandbox's own, fresh each time).

:func:`truth` is READY-1 as the sandbox's records have it, not as its answers
say: what an audit of the account must find, merchant by merchant.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from sfc_conformance.sandbox.state import SandboxState

# Where a merchant can stand, in the order of the flow, and how often real accounts hold each.
MIX: Final[dict[str, int]] = {
    "new": 4,            # the company exists; the flow was never started
    "started": 10,       # the flow started: both connections PendingAuth
    "linked": 8,         # both connections authorized; nothing configured
    "configured": 6,     # configured, but the sync never switched on
    "disabled": 5,       # was ready; the merchant switched the sync off (REV-2)
    "deauthorized": 5,   # was ready; the accounting connection de-authorized (REV-4)
    "severed": 4,        # was ready; the accounting connection deleted (DEL-*)
    "ready": 58,         # both connections Linked, configured and enabled (READY-1)
}
STATES: Final = tuple(MIX)
DEAD_URL: Final = "http://127.0.0.1:1/gone/{index}"  # port 1: nothing listens; refused at once
COMMERCE_KEY: Final = "lqai"
ACCOUNTING_KEYS: Final = ("gbol", "qhyg", "fbrh", "mqjo")
_BASE = "http://sandbox.population/"  # the answers' links are not kept: any base does
_CREDENTIALS = {"username": "merchant", "password": "population"}
_FIRST = ("Harbour", "Copper", "Meadow", "North", "Old Town", "Blue Door", "Riverside", "Corner", "Maple", "Station")
_SECOND = ("Coffee", "Books", "Bakery", "Cycles", "Florist", "Deli", "Hardware", "Pets", "Records", "Tailors")
_KIND = ("Ltd", "& Co", "Trading", "Store")


@dataclass(frozen=True)
class Expected:
    """What READY-1 must say of one merchant."""

    ready: bool
    conditions: frozenset[str]  # the unmet ones, as `readiness.CONDITIONS` name them


@dataclass(frozen=True)
class Population:
    states: dict[str, str]  # company id -> the state it was walked to, in order of creation
    dead_subscriptions: tuple[str, ...]  # webhook ids

    def counts(self) -> Counter[str]:
        return Counter(self.states.values())


def populate(state: SandboxState, merchants: int, *, dead_subscriptions: int = 0, seed: int = 0) -> Population:
    if merchants < 0 or dead_subscriptions < 0:
        raise ValueError("the numbers of merchants and of dead subscriptions cannot be negative")
    rng = random.Random(seed)
    walked: dict[str, str] = {}
    for index in range(merchants):
        target = rng.choices(STATES, weights=list(MIX.values()))[0]
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_KIND)} {index + 1}"
        walked[_walk(state, name, target, rng.choice(ACCOUNTING_KEYS))] = target
    # After the merchants: severing one must not post to them while the account is being built.
    hooks = tuple(state.add_webhook({"url": DEAD_URL.format(index=index), "eventTypes": ["connection.deleted"]})["id"]
                  for index in range(dead_subscriptions))
    return Population(walked, hooks)


def truth(state: SandboxState) -> dict[str, Expected]:
    """Company id -> what READY-1 must say of it, from the sandbox's records."""
    return {company_id: Expected(not unmet, unmet) for company_id, unmet in state.readiness_truth().items()}


def _walk(state: SandboxState, name: str, target: str, accounting_key: str) -> str:
    company_id = str(state.create_company({"name": name}, _BASE)["id"])
    if target == "new":
        return company_id
    state.start_flow(COMMERCE_KEY, accounting_key, {"merchantIdentifier": company_id}, _BASE)
    if target == "started":
        return company_id
    by_type = {c["sourceType"]: c["id"] for c in state.get_company(company_id, _BASE)["dataConnections"]}
    for connection_id in by_type.values():
        state.authorize(company_id, connection_id, _CREDENTIALS, _BASE)
    if target == "linked":
        return company_id
    document = state.get_configuration(company_id)
    state.set_configuration(company_id, _chosen(document, enable=target != "configured"))
    if target == "disabled":
        state.set_configuration(company_id, {**state.get_configuration(company_id), "enable": False})
    elif target == "deauthorized":
        state.update_connection(company_id, by_type["Accounting"], {"status": "Deauthorized"}, _BASE)
    elif target == "severed":
        state.delete_connection(company_id, by_type["Accounting"], _BASE)
    return company_id


def _chosen(document: dict[str, Any], *, enable: bool) -> dict[str, Any]:
    """The configuration with a choice made in every slot that offers one: the first option."""
    chosen = copy.deepcopy(document)
    chosen["enable"] = enable
    settings = chosen["configuration"]
    sales = settings["sales"]
    picks = [(slot, "selectedAccountId", slot["accountOptions"])
             for section in ("sales", "payments", "fees") for slot in settings[section]["accounts"].values()]
    picks += [(rate, "selectedTaxRateId", rate["taxRateOptions"]) for rate in sales["taxRates"].values()]
    for slot, field, options in picks:
        if options:
            slot[field] = options[0]["id"]
    for holder, field, options_field in ((sales["invoiceStatus"], "selectedInvoiceStatus", "invoiceStatusOptions"),
                                         (sales["grouping"]["groupingPeriod"], "selectedGroupingPeriod",
                                          "groupingPeriodOptions")):
        if holder[options_field]:
            holder[field] = holder[options_field][0]
    return chosen
