"""Which account entries the flow offers, per commerce platform (CUST-3, CUST-4).

The partner chooses, for each commerce platform key, which entries ("feature
categories" in Codat's words) of the configure step the merchant is offered;
the required ones are always offered.  The choice belongs to the partner's
whole client, never to a company: no company's configuration changes with it
(CUST-4).

    POST /sync/commerce/config/ui/accounts/platform/{P}  {"visibleAccounts": [...]}   those, and the required
                                                          {"visibleAccounts": []}      the required only
                                                          {} or {"visibleAccounts": null}   all of them again
    GET  /clients/{clientId}/config/ui/accounts/platform/{P}   what P offers now

A key that is not four lower-case letters is refused with 400; any well-formed
key has a setting of its own (every commerce platform's flow has the same
entries), so a change for one platform leaves the others as they were.

The entries are Codat's documented account keys.  Where an entry is one of
the configuration's account slots (:data:`SLOT_ENTRIES`), it is required when
Codat marks it so or when the configuration requires that slot: an entry the
merchant must fill in can never be hidden.  The merchant's pages read
:meth:`VisibleAccounts.visible_accounts` (and :data:`SLOT_ENTRIES` to find a
slot's entry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.core.clock import Clock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.configuration import ACCOUNT_SLOTS
from sfc_conformance.sandbox.errors import ValidationIssue, bad_request, not_found
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.records import Records
from sfc_conformance.sandbox.webhooks import Delivery


@dataclass(frozen=True)
class Entry:
    key: str  # the account key the partner names it by
    text_key: str  # the flow text that labels it (:mod:`.flow_text`)
    required: bool  # always offered: it cannot be hidden


# The configuration's account slots (section, slot) and the entry each one is.
SLOT_ENTRIES: Mapping[tuple[str, str], str] = {
    ("sales", "sales"): "sales-accounts-sales",
    ("sales", "gratuity"): "sales-accounts-gratuity",
    ("sales", "prepayments"): "sales-accounts-prepaid",
    ("payments", "cash"): "payments-accounts-cash",
    ("payments", "card"): "payments-accounts-card",
    ("fees", "fees"): "fees-accounts-paymentFee",
}
_REQUIRED_SLOTS = {SLOT_ENTRIES[(section, slot)] for section, slots in ACCOUNT_SLOTS.items()
                   for slot, (_, required) in slots.items() if required and (section, slot) in SLOT_ENTRIES}


def _entries() -> tuple[Entry, ...]:
    # (account key, marked required by Codat), in the order the flow shows them.
    codat = [
        ("sales-accounts-sales", True), ("sales-accounts-refund", True), ("sales-accounts-gratuity", False),
        ("sales-accounts-prepaid", False),
        ("sales-taxRates-0", True), ("sales-taxRates-5", True), ("sales-taxRates-10", True),
        ("sales-taxRates-20", True),
        ("sales-other-invoiceStatus", True), ("sales-other-groupingPeriod", True),
        ("fees-accounts-paymentFee", False), ("fees-accounts-paymentFeeRefund", False), ("fees-accounts-loan", False),
        ("fees-accounts-loanPayment", False), ("fees-accounts-loanFee", False), ("fees-accounts-cashback", False),
        ("payments-accounts-card", True), ("payments-accounts-cash", False), ("payments-accounts-invoice", False),
        ("payments-accounts-onlineCard", False), ("payments-accounts-payout", False),
        ("payments-accounts-custom", False), ("payments-accounts-storeCredit", False),
        ("payments-accounts-paypal", False), ("payments-accounts-paypalQr", False),
        ("payments-accounts-mobile", False), ("payments-accounts-vipps", False), ("payments-accounts-swish", False),
        ("payments-accounts-prepaidPayment", False), ("payments-accounts-manual", False),
    ]
    return tuple(Entry(key, text_key_of(key), marked or key in _REQUIRED_SLOTS) for key, marked in codat)


def text_key_of(entry: str) -> str:
    """The flow text that labels an entry: ``sales-taxRates-5`` is ``configure-content-sales-accounts-taxRates-
    entries-5``, ``sales-other-invoiceStatus`` ``configure-content-sales-other-entries-invoiceStatus``..."""
    section, group, name = entry.split("-", 2)
    if group == "taxRates":
        return f"configure-content-{section}-accounts-taxRates-entries-{name}"
    return f"configure-content-{section}-{group}-entries-{name}"


ENTRIES: tuple[Entry, ...] = _entries()
ENTRY_KEYS: tuple[str, ...] = tuple(entry.key for entry in ENTRIES)
REQUIRED: frozenset[str] = frozenset(entry.key for entry in ENTRIES if entry.required)


class VisibleAccounts(Records):
    def __init__(self, clock: Clock, policy: Policy, dispatch: Callable[[Delivery], None],
                 webhook_secret: Secret | None = None) -> None:
        super().__init__(clock, policy, dispatch, webhook_secret)
        # Platform key -> the entries the partner chose to show (the required ones aside); absent: all of them.
        self._shown: dict[str, frozenset[str]] = {}

    def visible_accounts(self, platform_key: str) -> list[str]:
        """The entries the flow offers for the commerce platform ``platform_key``, in the flow's order (CUST-3)."""
        with self._lock:
            chosen = self._shown.get(self._setting_of(platform_key))
        # CUST-3: required entries are always offered; with no choice made, every entry is.
        return [entry.key for entry in ENTRIES if chosen is None or entry.required or entry.key in chosen]

    def set_visible_accounts(self, platform_key: str, body: Any) -> dict[str, Any]:
        _check_key(platform_key)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object with `visibleAccounts`.")
        chosen = body.get("visibleAccounts")
        if chosen is not None:
            if not isinstance(chosen, list) or not all(isinstance(key, str) for key in chosen):
                raise bad_request("`visibleAccounts` must be a list of account keys, or null for all of them.")
            unknown = [key for key in chosen if key not in ENTRY_KEYS]
            if unknown:
                raise bad_request("`visibleAccounts` names entries the flow does not have.", [
                    ValidationIssue(f"visibleAccounts[{chosen.index(key)}]", f"{key[:64]!r} is not an account key",
                                    "VisibleAccountsValidator") for key in unknown[:20]])
        with self._lock:
            if chosen is None or (not chosen and self.policy.empty_visible_list_shows_all):
                self._shown.pop(self._setting_of(platform_key), None)  # CUST-3: absent or null shows them all
            else:
                self._shown[self._setting_of(platform_key)] = frozenset(chosen)  # CUST-3: for this platform only
            if self.policy.hiding_clears_accounts:  # CUST-4: no company's configuration changes with it
                self._clear_hidden_accounts(platform_key)
        return {"visibleAccounts": self.visible_accounts(platform_key)}

    def _setting_of(self, platform_key: str) -> str:
        """CUST-3: each platform's entries are a setting of its own."""
        return platform_key if self.policy.visible_accounts_per_platform else "*"

    def _clear_hidden_accounts(self, platform_key: str) -> None:
        """The `hiding_clears_accounts` fault: an account whose entry is hidden loses its choice in every company
        whose commerce platform is ``platform_key``."""
        shown = set(self.visible_accounts(platform_key))
        for company in self._companies.values():
            commerce = company.connection_of("Commerce")
            if commerce is None or commerce.platform.key != platform_key:
                continue
            for slot, entry in SLOT_ENTRIES.items():
                if entry not in shown and company.choices.accounts.get(slot):
                    company.choices.accounts[slot] = None

    def get_visible_accounts(self, client_id: str, platform_key: str) -> dict[str, Any]:
        if client_id.lower() != self.client_id:
            raise not_found(f"No client was found with ID {client_id[:64]}")
        _check_key(platform_key)
        return {"visibleAccounts": self.visible_accounts(platform_key)}


def _check_key(platform_key: str) -> None:
    if not PLATFORM_KEY.fullmatch(platform_key):  # CUST-3
        raise bad_request(f"Platform key {platform_key[:16]!r} is malformed: platform keys are four lower-case "
                          "letters.")
