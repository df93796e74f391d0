"""A ``Configuration`` document as the model reads and writes it (CONF-*, REV-*, READY-3).

The target owns the options (accounts, tax rates, invoice statuses, grouping
periods, frequencies) and says which accounts are ``required``; the merchant
owns the choices.  The model never assumes a chart: it walks whatever the
document offers.  :func:`selections` is what CONF-3 compares, keyed
``accounts.sales.sales``, ``taxRates.standard``, ``invoiceStatus``,
``groupingPeriod``, ``schedule.syncHour``...; a schedule without ``syncHour``
reads as 0 and without ``timeZone`` as ``Etc/UTC`` (CONF-6), a ``startDate``
as the instant it names.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

SECTIONS: Final = ("sales", "payments", "fees")  # where the profile's merchant chooses accounts
DEFAULT_TIME_ZONE: Final = "Etc/UTC"  # CONF-6
DEFAULT_SYNC_HOUR: Final = 0  # CONF-6
FLAG_NAMES: Final = ("enable", "enabled")  # READY-3: the OAS's name, then the seed page's

INVOICE_STATUS: Final = "invoiceStatus"
GROUPING_PERIOD: Final = "groupingPeriod"
FREQUENCY: Final = "schedule.selectedFrequency"
SYNC_HOUR: Final = "schedule.syncHour"
TIME_ZONE: Final = "schedule.timeZone"
START_DATE: Final = "schedule.startDate"


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def account_slots(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``accounts.SECTION.SLOT``, its account configuration) for every account the document asks for."""
    conf = _object(doc.get("configuration"))
    for section in SECTIONS:
        for slot, entry in _object(_object(conf.get(section)).get("accounts")).items():
            if isinstance(entry, dict):
                yield f"accounts.{section}.{slot}", entry


def tax_components(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    rates = _object(_object(_object(doc.get("configuration")).get("sales")).get("taxRates"))
    for component, entry in rates.items():
        if isinstance(entry, dict):
            yield f"taxRates.{component}", entry


def _sales(doc: dict[str, Any]) -> dict[str, Any]:
    return _object(_object(doc.get("configuration")).get("sales"))


def invoice_status(doc: dict[str, Any]) -> dict[str, Any]:
    return _object(_sales(doc).get("invoiceStatus"))


def grouping_period(doc: dict[str, Any]) -> dict[str, Any]:
    return _object(_object(_sales(doc).get("grouping")).get("groupingPeriod"))


def schedule(doc: dict[str, Any]) -> dict[str, Any]:
    return _object(doc.get("schedule"))


def account_option_ids(entry: dict[str, Any]) -> list[str]:
    return [o["id"] for o in _list(entry.get("accountOptions")) if isinstance(o, dict) and isinstance(o.get("id"), str)]


def tax_option_ids(entry: dict[str, Any]) -> list[str]:
    return [o["id"] for o in _list(entry.get("taxRateOptions")) if isinstance(o, dict) and isinstance(o.get("id"), str)]


def invoice_status_options(doc: dict[str, Any]) -> list[str]:
    return [o for o in _list(invoice_status(doc).get("invoiceStatusOptions")) if isinstance(o, str)]


def grouping_period_options(doc: dict[str, Any]) -> list[str]:
    return [o for o in _list(grouping_period(doc).get("groupingPeriodOptions")) if isinstance(o, str)]


def frequency_options(doc: dict[str, Any]) -> list[str]:
    return [o for o in _list(schedule(doc).get("frequencyOptions")) if isinstance(o, str)]


def flag(doc: dict[str, Any]) -> tuple[str | None, Any]:
    """READY-3: (the name the target spells the enable flag with, its value); (None, None) when it sends neither."""
    for name in FLAG_NAMES:
        if name in doc:
            return name, doc[name]
    return None, None


def offers(doc: dict[str, Any]) -> dict[str, bool]:
    """CONF-2: which kinds of option the document offers."""
    return {
        "account": any(account_option_ids(entry) for _, entry in account_slots(doc)),
        "tax rate": any(tax_option_ids(entry) for _, entry in tax_components(doc)),
        "invoice status": bool(invoice_status_options(doc)),
        "grouping period": bool(grouping_period_options(doc)),
    }


def required_unselected(doc: dict[str, Any]) -> list[str]:
    """CONF-4: the required accounts without a ``selectedAccountId``."""
    return [key for key, entry in account_slots(doc)
            if entry.get("required") is True and not entry.get("selectedAccountId")]


def instant(value: Any) -> Any:
    """A date-time as one instant (``Z`` or ``+00:00``, any offset); anything else as it was, to be shown."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed.isoformat() if parsed.tzinfo is None else parsed.astimezone(UTC).isoformat()


def selections(doc: dict[str, Any]) -> dict[str, Any]:
    """The merchant's choices in ``doc``, comparable across reads (CONF-3's list, CONF-6's defaults)."""
    chosen: dict[str, Any] = {key: entry.get("selectedAccountId") for key, entry in account_slots(doc)}
    chosen.update({key: entry.get("selectedTaxRateId") for key, entry in tax_components(doc)})
    chosen[INVOICE_STATUS] = invoice_status(doc).get("selectedInvoiceStatus")
    chosen[GROUPING_PERIOD] = grouping_period(doc).get("selectedGroupingPeriod")
    plan = schedule(doc)
    chosen[FREQUENCY] = plan.get("selectedFrequency")
    hour = plan.get("syncHour")
    chosen[SYNC_HOUR] = DEFAULT_SYNC_HOUR if hour is None else hour  # CONF-6
    zone = plan.get("timeZone")
    chosen[TIME_ZONE] = DEFAULT_TIME_ZONE if zone is None else zone  # CONF-6
    chosen[START_DATE] = instant(plan.get("startDate"))
    return chosen


def posted(doc: dict[str, Any], choices: dict[str, Any], *, enable: bool, absent: frozenset[str] = frozenset(),
           claims: dict[str, Any] | None = None) -> dict[str, Any]:
    """``doc`` (the whole document, as the profile has the suite post it) with ``choices`` made, ``enable`` set
    (spelled as the OAS does: the seed page's ``enabled`` is a read-only alias) and the members named in
    ``absent`` left out; ``claims`` are top-level fields the body claims (``configured``), which the target ignores."""
    new = copy.deepcopy(doc)
    new.pop("enabled", None)
    new["enable"] = enable
    slots = dict(account_slots(new))
    components = dict(tax_components(new))
    plan = new.setdefault("schedule", {})
    for key, value in choices.items():
        if key in slots:
            slots[key]["selectedAccountId"] = value
        elif key in components:
            components[key]["selectedTaxRateId"] = value
        elif key == INVOICE_STATUS:
            _ensure(new, ("configuration", "sales", "invoiceStatus"))["selectedInvoiceStatus"] = value
        elif key == GROUPING_PERIOD:
            _ensure(new, ("configuration", "sales", "grouping", "groupingPeriod"))["selectedGroupingPeriod"] = value
        elif key.startswith("schedule."):
            plan[key.removeprefix("schedule.")] = value
    for key in absent:
        if key.startswith("schedule."):
            plan.pop(key.removeprefix("schedule."), None)
        elif key == INVOICE_STATUS:
            invoice_status(new).pop("selectedInvoiceStatus", None)
        elif key == GROUPING_PERIOD:
            grouping_period(new).pop("selectedGroupingPeriod", None)
        elif key in slots:
            slots[key].pop("selectedAccountId", None)
    new.update(claims or {})
    return new


def _ensure(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = doc
    for part in path:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    return node


def choice_keys(doc: dict[str, Any]) -> list[str]:
    """Every choice the document lets the merchant make, as :func:`selections` keys them."""
    return [*(k for k, _ in account_slots(doc)), *(k for k, _ in tax_components(doc)), INVOICE_STATUS,
            GROUPING_PERIOD, FREQUENCY, SYNC_HOUR, TIME_ZONE, START_DATE]
