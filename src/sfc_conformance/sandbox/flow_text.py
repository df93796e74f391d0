"""The flow's text, per locale, as the partner customizes it (CUST-1, CUST-2, CUST-4).

Every piece of text the configure step shows has a key (the flow marks it
``data-textkey="K"``) and a default in each locale, ``en-us`` and ``fr-fr``:
the keys and English defaults are the ones Codat documents for its flow
("Customizing the Sync configuration flow").  The partner reads them with
``GET /sync/commerce/config/ui/text?locale=L`` and changes them with
``PATCH`` on the same path:

    {"K": "X"}    K shows X in locale L, and in L only        (also {"K": {"text": "X"}}, as the OAS writes it)
    {"K": ""}     K shows nothing
    {"K": null}   K shows its default again                   (also {"K": {"text": null}})

A key the flow does not have, or a value that is none of these, refuses the
whole request with 400 and changes nothing.  Texts belong to the partner's
whole client, never to a company: no company's configuration changes with them
(CUST-4).

A default may name the merchant's platforms as ``{commercePlatform}`` and
``{accountingPlatform}``; the flow fills them in (:func:`filled`).  A key's
``required`` says whether the flow always shows what it labels: false for the
descriptions that are empty by default and for the account entries a partner
may hide (:mod:`.visible_accounts`).  The merchant's pages read
:meth:`FlowTexts.texts_for`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.errors import ValidationIssue, bad_request
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.records import MAX_TEXT, Records
from sfc_conformance.sandbox.visible_accounts import ENTRIES
from sfc_conformance.sandbox.webhooks import Delivery

LOCALES = ("en-us", "fr-fr")
COMMERCE, ACCOUNTING = "{commercePlatform}", "{accountingPlatform}"
_ACCOUNTS_EN = f"Configure accounts mapping from {COMMERCE} to {ACCOUNTING}."
_ACCOUNTS_FR = f"Associez les comptes de {COMMERCE} à ceux de {ACCOUNTING}."


@dataclass(frozen=True)
class Text:
    key: str
    defaults: Mapping[str, str]  # locale -> default text
    required: bool


def _texts() -> dict[str, Text]:
    # key: (en-us, fr-fr); the account entries' `required` comes from the entries themselves.
    table: dict[str, tuple[str, str]] = {
        "configure-setupSidebar-title": (f"Set up Sync to {ACCOUNTING}",
                                         f"Configurer la synchronisation vers {ACCOUNTING}"),
        "configure-setupSidebar-checkboxes-connectToCommerce": (f"Connect to {COMMERCE}", f"Se connecter à {COMMERCE}"),
        "configure-setupSidebar-checkboxes-connectToAccounting": (f"Connect to {ACCOUNTING}",
                                                                  f"Se connecter à {ACCOUNTING}"),
        "configure-setupSidebar-checkboxes-sales": ("Set up sales", "Configurer les ventes"),
        "configure-setupSidebar-checkboxes-fees": ("Set up fees", "Configurer les frais"),
        "configure-setupSidebar-checkboxes-payments": ("Set up payments", "Configurer les paiements"),
        "configure-setupSidebar-checkboxes-syncSchedule": ("Set up sync schedule",
                                                           "Configurer le calendrier de synchronisation"),
        "configure-misc-previousButton": ("Previous", "Précédent"),
        "configure-misc-nextButton": ("Next", "Suivant"),
        "configure-required-indicator": ("Indicates a required field", "Indique un champ obligatoire"),
        "configure-content-sales-title": ("Sales", "Ventes"),
        "configure-content-sales-description": ("", ""),
        "configure-content-sales-accounts-title": ("Accounts", "Comptes"),
        "configure-content-sales-accounts-description": (_ACCOUNTS_EN, _ACCOUNTS_FR),
        "configure-content-sales-taxRates-title": ("Tax rates", "Taux de TVA"),
        "configure-content-sales-taxRates-description": (
            f"Configure tax rates mapping from {COMMERCE} to {ACCOUNTING}.",
            f"Associez les taux de TVA de {COMMERCE} à ceux de {ACCOUNTING}."),
        "configure-content-sales-other-title": ("Other", "Autres"),
        "configure-content-sales-other-description": ("", ""),
        "configure-content-sales-accounts-entries-sales": ("Sales", "Ventes"),
        "configure-content-sales-accounts-entries-refund": ("Refunds", "Remboursements"),
        "configure-content-sales-accounts-entries-gratuity": ("Gratuity", "Pourboires"),
        "configure-content-sales-accounts-entries-prepaid": ("Prepaid", "Prépaiements"),
        "configure-content-sales-accounts-entries-sales-other": ("Other sales", "Autres ventes"),
        "configure-content-sales-accounts-taxRates-entries-0": ("0% tax rate", "TVA à 0 %"),
        "configure-content-sales-accounts-taxRates-entries-5": ("5% tax rate", "TVA à 5 %"),
        "configure-content-sales-accounts-taxRates-entries-10": ("10% tax rate", "TVA à 10 %"),
        "configure-content-sales-accounts-taxRates-entries-20": ("20% tax rate", "TVA à 20 %"),
        "configure-content-sales-other-entries-invoiceStatus": ("Invoice status", "Statut des factures"),
        "configure-content-sales-other-entries-groupingPeriod": ("Grouping period", "Période de regroupement"),
        "configure-content-fees-title": ("Fees", "Frais"),
        "configure-content-fees-description": ("", ""),
        "configure-content-fees-accounts-title": ("Accounts", "Comptes"),
        "configure-content-fees-accounts-description": (_ACCOUNTS_EN, _ACCOUNTS_FR),
        "configure-content-fees-accounts-entries-paymentFee": ("Payment fee", "Frais de paiement"),
        "configure-content-fees-accounts-entries-paymentFeeRefund": ("Payment fee refund",
                                                                     "Remboursement des frais de paiement"),
        "configure-content-fees-accounts-entries-loan": ("Loan", "Prêt"),
        "configure-content-fees-accounts-entries-loanPayment": ("Loan payment", "Remboursement de prêt"),
        "configure-content-fees-accounts-entries-loanFee": ("Loan fee", "Frais de prêt"),
        "configure-content-fees-accounts-entries-cashback": ("Cashback", "Cashback"),
        "configure-content-payments-title": ("Payments", "Paiements"),
        "configure-content-payments-description": ("", ""),
        "configure-content-payments-accounts-entries-card": ("Card", "Carte"),
        "configure-content-payments-accounts-entries-cash": ("Cash", "Espèces"),
        "configure-content-payments-accounts-entries-invoice": ("Invoice", "Facture"),
        "configure-content-payments-accounts-entries-onlineCard": ("Online card", "Carte en ligne"),
        "configure-content-payments-accounts-entries-payout": ("Payout", "Versement"),
        "configure-content-payments-accounts-entries-custom": ("Custom", "Personnalisé"),
        "configure-content-payments-accounts-entries-storeCredit": ("Store credit", "Avoir"),
        "configure-content-payments-accounts-entries-paypal": ("Paypal", "PayPal"),
        "configure-content-payments-accounts-entries-paypalQr": ("Paypal qr", "PayPal QR"),
        "configure-content-payments-accounts-entries-mobile": ("Mobile", "Mobile"),
        "configure-content-payments-accounts-entries-vipps": ("Vipps", "Vipps"),
        "configure-content-payments-accounts-entries-swish": ("Swish", "Swish"),
        "configure-content-payments-accounts-entries-prepaidPayment": ("Prepaid payment", "Paiement prépayé"),
        "configure-content-payments-accounts-entries-manual": ("Manual", "Manuel"),
    }
    hideable = {entry.text_key for entry in ENTRIES if not entry.required}
    return {key: Text(key, dict(zip(LOCALES, texts, strict=True)), bool(texts[0]) and key not in hideable)
            for key, texts in table.items()}


TEXTS: Mapping[str, Text] = _texts()


def filled(text: str, *, commerce: str, accounting: str) -> str:
    """``text`` as the merchant reads it: the platforms' names in place of their placeholders."""
    return text.replace(COMMERCE, commerce).replace(ACCOUNTING, accounting)


def locale_of(given: str | None) -> str:
    """The locale a request names (in any case); 400 without one or with another (CUST-1)."""
    locale = (given or "").strip().lower()
    if not given:
        raise bad_request(f"`locale` is required: one of {', '.join(LOCALES)}.")
    if locale not in LOCALES:
        raise bad_request(f"`locale` {given[:32]!r} is not supported: use one of {', '.join(LOCALES)}.")
    return locale


class FlowTexts(Records):
    def __init__(self, clock: Clock, policy: Policy, dispatch: Callable[[Delivery], None],
                 webhook_secret: Secret | None = None) -> None:
        super().__init__(clock, policy, dispatch, webhook_secret)
        self._texts_set: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}  # the partner's, by locale

    def texts_for(self, locale: str) -> dict[str, str]:
        """Every text key and what the flow shows for it in ``locale`` (placeholders left in: see :func:`filled`)."""
        with self._lock:
            changed = dict(self._texts_set[locale])
        return {key: changed.get(key, text.defaults[locale]) for key, text in TEXTS.items()}

    def _locale(self, locale_param: str | None) -> str:
        """CUST-1: the locale a request names; without one, refused (unless a fault reads a default in)."""
        return locale_of(locale_param or self.policy.text_default_locale)

    def get_texts(self, locale_param: str | None) -> dict[str, Any]:
        locale = self._locale(locale_param)  # CUST-1
        return {key: {"text": shown, "required": TEXTS[key].required} for key, shown in self.texts_for(locale).items()}

    def change_texts(self, locale_param: str | None, body: Any) -> dict[str, Any]:
        locale = self._locale(locale_param)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object of text keys and their texts.")
        changes: dict[str, str | None] = {}
        issues = []
        for key, value in body.items():
            as_oas = isinstance(value, dict) and set(value) <= {"text", "required"}
            if as_oas and "text" not in value and key in TEXTS:
                continue  # `required` alone: the flow decides that, nothing to change
            text = value.get("text") if as_oas and isinstance(value, dict) else value
            if key not in TEXTS:
                issues.append(ValidationIssue(key[:128], f"{key[:128]!r} is not a text key of the flow",
                                              "LocalizationValidator"))
            elif text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
                issues.append(ValidationIssue(key, f"{key} must be a text of at most {MAX_TEXT} characters, or null "
                                                   "for its default", "LocalizationValidator"))
            else:
                changes[key] = text
        if issues:
            raise bad_request("The text changes are not valid; nothing was changed.", issues[:50])
        with self._lock:
            # CUST-2: this locale only
            for stored in [self._texts_set[locale]] if self.policy.texts_per_locale else self._texts_set.values():
                for key, text in changes.items():
                    if text is None:
                        if self.policy.null_text_restores_default:
                            stored.pop(key, None)  # CUST-2: null restores the default
                    else:
                        stored[key] = text  # CUST-2: "" too, shown as nothing
        return self.get_texts(locale)
