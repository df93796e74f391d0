"""What both flow styles share: the flow's locale and words, the configure form, the form read into a
Configuration, where the flow ends.

The server-rendered pages (:mod:`.pages`) and the browser app (:mod:`.flow_app`)
offer the same choices (:func:`configure_form`), send the same form fields
(``account.sales.sales``, ``taxRate.standard``, ``invoiceStatus``,
``syncHour``...) and hand them to :func:`apply_form`, which posts the whole
document to the same :class:`SandboxState` method the API calls: so both styles
leave the state the API steps do (FLOW-1).

The partner's customization, as one merchant's flow shows it (CUST-5), is
:func:`customized`: the flow's locale (``?locale=fr-fr`` on the flow URL,
``en-us`` when none or another is named), the partner's stored texts of that
locale with the platforms' names filled in, and the account entries the
partner left visible for the flow's commerce platform.  Every text with a key
is shown in an element carrying ``data-textkey="K"`` (:class:`ShownText`); a
hidden entry gets no field at all, and a posted form leaves a slot it did not
offer as it was.  The flow's other words (titles, buttons, the schedule's
labels) have no key; :data:`WORDS` holds them in each locale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfc_conformance.sandbox.configuration import ACCOUNT_SLOTS, TAX_COMPONENTS
from sfc_conformance.sandbox.flow_text import LOCALES, TEXTS, filled
from sfc_conformance.sandbox.platforms import COMMERCE
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.state import SandboxState
from sfc_conformance.sandbox.visible_accounts import ENTRY_KEYS, SLOT_ENTRIES, text_key_of

DEFAULT_LOCALE = "en-us"
# Each locale's name in its own language, and its HTML language tag.
LANGUAGES: Mapping[str, tuple[str, str]] = {"en-us": ("English", "en-US"), "fr-fr": ("Français", "fr-FR")}
# The entry each choice of the configure form is, beside the account slots' (SLOT_ENTRIES).
TAX_ENTRIES: Mapping[str, str] = {"standard": "sales-taxRates-20", "reduced": "sales-taxRates-5",
                                  "zero": "sales-taxRates-0"}
OTHER_ENTRIES: Mapping[str, str] = {"invoiceStatus": "sales-other-invoiceStatus",
                                    "groupingPeriod": "sales-other-groupingPeriod"}
SECTIONS = ("sales", "fees", "payments")  # in the order of Codat's flow
SIDEBAR = ("connectToCommerce", "connectToAccounting", "sales", "fees", "payments", "syncSchedule")

# The flow's words that have no text key, in each locale.
WORDS: Mapping[str, Mapping[str, str]] = {
    "en-us": {
        "language": "Language", "authorize_title": "Connect your accounting software", "username": "Username",
        "password": "Password", "authorize": "Authorize", "configure_title": "Configure your sync", "save": "Save",
        "none": "(none)", "required": "(required)", "accounts": "Accounts", "schedule": "Schedule",
        "start_date": "Start date", "frequency": "Frequency", "hour": "Hour", "time_zone": "Time zone",
        "sync_enabled": "Sync enabled", "success_title": "You're all set",
        "success": "Your sync is configured. You can close this window.", "review_settings": "Review settings",
        "settings_title": "Sync settings", "sync": "Sync", "enabled": "Enabled", "disabled": "Disabled",
        "at": "at", "last_sync": "Last sync", "next_sync": "Next sync", "never": "never",
        "not_scheduled": "not scheduled", "accounting_connection": "Accounting connection",
        "review_mapping": "Review accounts and tax rates", "deauthorize": "De-authorize accounting connection",
        "refused_title": "Link expired", "your_accounting": "your accounting software",
    },
    "fr-fr": {
        "language": "Langue", "authorize_title": "Connectez votre logiciel comptable", "username": "Identifiant",
        "password": "Mot de passe", "authorize": "Autoriser", "configure_title": "Configurez votre synchronisation",
        "save": "Enregistrer", "none": "(aucun)", "required": "(obligatoire)", "accounts": "Comptes",
        "schedule": "Calendrier", "start_date": "Date de début", "frequency": "Fréquence", "hour": "Heure",
        "time_zone": "Fuseau horaire", "sync_enabled": "Synchronisation activée", "success_title": "Tout est prêt",
        "success": "Votre synchronisation est configurée. Vous pouvez fermer cette fenêtre.",
        "review_settings": "Voir les réglages", "settings_title": "Réglages de la synchronisation",
        "sync": "Synchronisation", "enabled": "Activée", "disabled": "Désactivée", "at": "à",
        "last_sync": "Dernière synchronisation", "next_sync": "Prochaine synchronisation", "never": "jamais",
        "not_scheduled": "non planifiée", "accounting_connection": "Connexion comptable",
        "review_mapping": "Revoir les comptes et les taux de TVA",
        "deauthorize": "Révoquer la connexion comptable", "refused_title": "Lien expiré",
        "your_accounting": "votre logiciel comptable",
    },
}


def flow_locale(policy: Policy, given: str | None) -> str:
    """The locale a flow shows: the one named (``?locale=``, in any case) if the flow has it, else ``en-us``."""
    chosen = (given or "").strip().lower()
    if chosen not in LOCALES or not policy.follows_flow_locale:  # CUST-5: the flow's locale, as chosen
        return DEFAULT_LOCALE
    return chosen


def languages(locale: str) -> list[tuple[str, str, str, bool]]:
    """The language switch: (locale, its name, its HTML language tag, whether it is the one shown)."""
    return [(each, name, tag, each == locale) for each, (name, tag) in LANGUAGES.items()]


@dataclass(frozen=True)
class ShownText:
    """A text of the flow as the merchant reads it; ``key``: its text key (``data-textkey``), when it has one."""

    text: str
    key: str | None = None


@dataclass(frozen=True)
class Customized:
    """The partner's customization as one merchant's flow shows it (CUST-5)."""

    locale: str
    lang: str  # the HTML language tag
    texts: Mapping[str, str]  # every text key -> what the flow shows for it (platform names filled in)
    entries: frozenset[str]  # the account entries the configure form offers
    words: Mapping[str, str] = field(repr=False)

    def text(self, key: str) -> ShownText:
        return ShownText(self.texts[key], key)

    def offers(self, entry: str | None) -> bool:
        """Whether the configure form offers this entry (a choice that is no entry always is)."""
        return entry is None or entry in self.entries


def _platforms(state: SandboxState, company_id: str) -> tuple[str, str, str | None]:
    """(commerce key, commerce platform name, accounting platform name or None) of the merchant's flow."""
    connections = state.get_company(company_id, "")["dataConnections"]
    commerce = next((c for c in connections if c["sourceType"] == "Commerce"), None)
    accounting = next((c for c in connections if c["sourceType"] == "Accounting"), None)
    platform = COMMERCE.get(commerce["integrationKey"]) if commerce else None
    platform = platform or next(iter(COMMERCE.values()))  # the sandbox's one commerce platform
    return platform.key, platform.name, accounting["platformName"] if accounting else None


def entries_offered(state: SandboxState, commerce_key: str) -> frozenset[str]:
    """The account entries the configure form offers for the flow's commerce platform."""
    if state.policy.offers_hidden_entries:
        return frozenset(ENTRY_KEYS)
    return frozenset(state.visible_accounts(commerce_key))  # CUST-3, CUST-5: the required and the visible only


def customized(state: SandboxState, company_id: str, locale_param: str | None) -> Customized:
    """What the merchant's flow shows of the partner's customization, in the locale asked for (CUST-5)."""
    locale = flow_locale(state.policy, locale_param)
    words = WORDS[locale]
    commerce_key, commerce, accounting = _platforms(state, company_id)
    if state.policy.shows_stored_texts:
        stored = state.texts_for(locale)  # CUST-5: the partner's stored text of the flow's locale
    else:
        stored = {key: text.defaults[locale] for key, text in TEXTS.items()}
    texts = {key: filled(text, commerce=commerce, accounting=accounting or words["your_accounting"])
             for key, text in stored.items()}
    return Customized(locale, LANGUAGES[locale][1], texts, entries_offered(state, commerce_key), words)


# -- the configure form ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One ``<select>`` of the configure form: its field name, label, (value, label) options and the value chosen.

    ``label`` is the whole label as text; when it begins with a keyed text, ``textkey`` names it and ``text``
    is that beginning (the rest is the required marker), so the label shows as
    ``<span data-textkey=K>text</span>`` and the rest.
    """

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str | None
    blank: bool = True  # a "(none)" option comes first
    textkey: str | None = None
    text: str = ""


@dataclass(frozen=True)
class FieldSet:
    """A ``<fieldset>`` of the configure form; ``section``: the heading of the part of the flow it opens."""

    legend: ShownText
    choices: list[Choice]
    description: ShownText | None = None
    section: ShownText | None = None
    section_description: ShownText | None = None


@dataclass(frozen=True)
class ConfigureForm:
    """Everything the configure screen shows but the schedule, the same in both styles."""

    steps_title: ShownText  # the set-up steps beside the form, as Codat's flow lists them
    steps: list[ShownText]
    required_note: ShownText  # what the required marker means
    fieldsets: list[FieldSet]


def _account_choices(conf: dict[str, Any], section: str, custom: Customized) -> list[Choice]:
    choices = []
    for slot in ACCOUNT_SLOTS[section]:
        entry = conf[section]["accounts"][slot]
        entry_key = SLOT_ENTRIES.get((section, slot))
        if not custom.offers(entry_key):
            continue  # CUST-3, CUST-5: a hidden entry is not offered at all
        text_key = text_key_of(entry_key) if entry_key else None
        text = custom.texts[text_key] if text_key else entry["labelText"]
        label = text + (f" {custom.words['required']}" if entry["required"] else "")
        options = [(o["id"], f'{o["nominalCode"]} {o["name"]}') for o in entry["accountOptions"] or []]
        choices.append(Choice(f"account.{section}.{slot}", label, options, entry["selectedAccountId"],
                              textkey=text_key, text=text))
    return choices


def _keyed_choice(name: str, entry_key: str, options: list[tuple[str, str]], value: str | None,
                  custom: Customized) -> Choice:
    text_key = text_key_of(entry_key)
    return Choice(name, custom.texts[text_key], options, value, textkey=text_key, text=custom.texts[text_key])


def configure_form(doc: dict[str, Any], custom: Customized) -> ConfigureForm:
    """The configure form's accounts, tax rates and invoice choices, from the Configuration, as customized."""
    conf = doc["configuration"]
    taxes = [_keyed_choice(f"taxRate.{component}", TAX_ENTRIES[component],
                           [(o["id"], o["name"]) for o in conf["sales"]["taxRates"][component]["taxRateOptions"] or []],
                           conf["sales"]["taxRates"][component]["selectedTaxRateId"], custom)
             for component in TAX_COMPONENTS if custom.offers(TAX_ENTRIES[component])]
    status = conf["sales"]["invoiceStatus"]
    period = conf["sales"]["grouping"]["groupingPeriod"]
    other = [choice for name, choice in (
        ("invoiceStatus", _keyed_choice("invoiceStatus", OTHER_ENTRIES["invoiceStatus"],
                                        [(s, s) for s in status["invoiceStatusOptions"] or []],
                                        status["selectedInvoiceStatus"], custom)),
        ("groupingPeriod", _keyed_choice("groupingPeriod", OTHER_ENTRIES["groupingPeriod"],
                                         [(s, s) for s in period["groupingPeriodOptions"] or []],
                                         period["selectedGroupingPeriod"], custom)),
    ) if custom.offers(OTHER_ENTRIES[name])]
    t = custom.text
    fieldsets = [
        FieldSet(t("configure-content-sales-accounts-title"), _account_choices(conf, "sales", custom),
                 t("configure-content-sales-accounts-description"), t("configure-content-sales-title"),
                 t("configure-content-sales-description")),
        FieldSet(t("configure-content-sales-taxRates-title"), taxes, t("configure-content-sales-taxRates-description")),
        FieldSet(t("configure-content-sales-other-title"), other, t("configure-content-sales-other-description")),
        FieldSet(t("configure-content-fees-accounts-title"), _account_choices(conf, "fees", custom),
                 t("configure-content-fees-accounts-description"), t("configure-content-fees-title"),
                 t("configure-content-fees-description")),
        FieldSet(ShownText(custom.words["accounts"]), _account_choices(conf, "payments", custom), None,
                 t("configure-content-payments-title"), t("configure-content-payments-description")),
    ]
    return ConfigureForm(t("configure-setupSidebar-title"),
                         [t(f"configure-setupSidebar-checkboxes-{step}") for step in SIDEBAR],
                         t("configure-required-indicator"), [f for f in fieldsets if f.choices or f.section])


def apply_form(state: SandboxState, company_id: str, form: dict[str, str], *, schedule_only: bool) -> dict[str, Any]:
    """Turn the form into the full Configuration document and post it like the API does."""
    doc = state.get_configuration(company_id)
    del doc["configured"]  # the merchant's form claims nothing; the target derives it (CONF-4)
    doc.pop("enabled", None)  # the seed page's spelling, when the target sends it (READY-3): one flag posted
    doc["enable"] = form.get("enable") == "on"
    sched = doc["schedule"]
    sched["selectedFrequency"] = form.get("selectedFrequency", sched["selectedFrequency"])
    hour = form.get("syncHour", "")
    # Only a plain whole number becomes an int ("²" and "--5" pass str.isdigit but not int());
    # an empty hour or zone is none chosen, so the default (CONF-6), as in the API.
    sched["syncHour"] = int(hour) if re.fullmatch(r"\s*-?[0-9]{1,4}\s*", hour) else hour.strip() or None
    sched["timeZone"] = form.get("timeZone") or None
    start = form.get("startDate", "").strip()
    if start and start != str(sched.get("startDate") or "")[:10]:  # a new day from the date picker (CONF-3)
        sched["startDate"] = f"{start}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", start) else start
    if not schedule_only:
        conf = doc["configuration"]
        # CUST-3: a choice the form did not offer (an entry the partner hid) stays as it was.
        offered = entries_offered(state, _platforms(state, company_id)[0])
        for section, slots in ACCOUNT_SLOTS.items():
            for slot in slots:
                entry = SLOT_ENTRIES.get((section, slot))
                if entry is None or entry in offered:
                    conf[section]["accounts"][slot]["selectedAccountId"] = form.get(f"account.{section}.{slot}") or None
        for component in TAX_COMPONENTS:
            if TAX_ENTRIES[component] in offered:
                conf["sales"]["taxRates"][component]["selectedTaxRateId"] = form.get(f"taxRate.{component}") or None
        if state.policy.pages_keep_invoice_status and OTHER_ENTRIES["invoiceStatus"] in offered:
            conf["sales"]["invoiceStatus"]["selectedInvoiceStatus"] = form.get("invoiceStatus") or None
        if OTHER_ENTRIES["groupingPeriod"] in offered:
            conf["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"] = form.get("groupingPeriod") or None
    return state.set_configuration(company_id, doc)  # FLOW-1: the API's own call


def redirect_location(redirect_url: str) -> str:
    """Where the end of the flow sends the merchant (FLOW-2)."""
    if "://" not in redirect_url:  # the seed's own example is a bare host
        return "https://" + redirect_url
    return redirect_url


INCOMPLETE = "Choose an account for every required account."
