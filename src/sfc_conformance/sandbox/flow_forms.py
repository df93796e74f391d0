"""What both flow styles share: the configure form's choices, the form read into a Configuration, where the flow ends.

The server-rendered pages (:mod:`.pages`) and the browser app (:mod:`.flow_app`)
offer the same choices (:func:`choice_fieldsets`), send the same form fields
(``account.sales.sales``, ``taxRate.standard``, ``invoiceStatus``,
``syncHour``...) and hand them to :func:`apply_form`, which posts the whole
document to the same :class:`SandboxState` method the API calls: so both styles
leave the state the API steps do (FLOW-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sfc_conformance.sandbox.configuration import ACCOUNT_SLOTS, TAX_COMPONENTS
from sfc_conformance.sandbox.state import SandboxState


@dataclass(frozen=True)
class Choice:
    """One ``<select>`` of the configure form: its field name, label, (value, label) options and the value chosen."""

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str | None
    blank: bool = True  # a "(none)" option comes first


def choice_fieldsets(doc: dict[str, Any]) -> list[tuple[str, list[Choice]]]:
    """The configure form's accounts, tax rates and invoice choices, by fieldset legend, from the Configuration."""
    conf = doc["configuration"]
    fieldsets = []
    for section, slots in ACCOUNT_SLOTS.items():
        accounts = []
        for slot in slots:
            entry = conf[section]["accounts"][slot]
            options = [(o["id"], f'{o["nominalCode"]} {o["name"]}') for o in entry["accountOptions"] or []]
            label = entry["labelText"] + (" (required)" if entry["required"] else "")
            accounts.append(Choice(f"account.{section}.{slot}", label, options, entry["selectedAccountId"]))
        fieldsets.append((f"{section.title()} accounts", accounts))
    taxes = []
    for component in TAX_COMPONENTS:
        entry = conf["sales"]["taxRates"][component]
        options = [(o["id"], o["name"]) for o in entry["taxRateOptions"] or []]
        taxes.append(Choice(f"taxRate.{component}", component, options, entry["selectedTaxRateId"]))
    fieldsets.append(("Tax rates", taxes))
    status = conf["sales"]["invoiceStatus"]
    period = conf["sales"]["grouping"]["groupingPeriod"]
    fieldsets.append(("Invoices", [
        Choice("invoiceStatus", "Invoice status", [(s, s) for s in status["invoiceStatusOptions"] or []],
               status["selectedInvoiceStatus"]),
        Choice("groupingPeriod", "Group sales", [(s, s) for s in period["groupingPeriodOptions"] or []],
               period["selectedGroupingPeriod"]),
    ]))
    return fieldsets


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
        for section, slots in ACCOUNT_SLOTS.items():
            for slot in slots:
                conf[section]["accounts"][slot]["selectedAccountId"] = form.get(f"account.{section}.{slot}") or None
        for component in TAX_COMPONENTS:
            conf["sales"]["taxRates"][component]["selectedTaxRateId"] = form.get(f"taxRate.{component}") or None
        if state.policy.pages_keep_invoice_status:
            conf["sales"]["invoiceStatus"]["selectedInvoiceStatus"] = form.get("invoiceStatus") or None
        conf["sales"]["grouping"]["groupingPeriod"]["selectedGroupingPeriod"] = form.get("groupingPeriod") or None
    return state.set_configuration(company_id, doc)  # FLOW-1: the API's own call


def redirect_location(redirect_url: str) -> str:
    """Where the end of the flow sends the merchant (FLOW-2)."""
    if "://" not in redirect_url:  # the seed's own example is a bare host
        return "https://" + redirect_url
    return redirect_url


INCOMPLETE = "Choose an account for every required account."
