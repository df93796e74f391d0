"""Building configurations to post, from the document the target returned.

Nothing here assumes the sandbox's chart: the builders walk whatever
accounts, tax components and options the target offers.  The suite always
posts the whole document with the merchant's choices changed (see the profile).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sfc_conformance.core.profile import enable_flag

SECTIONS = ("sales", "payments", "newPayments", "fees")


def account_slots(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(section, slot, account configuration) for every account the document asks for."""
    conf = doc.get("configuration") or {}
    for section in SECTIONS:
        for slot, entry in ((conf.get(section) or {}).get("accounts") or {}).items():
            if isinstance(entry, dict):
                yield section, slot, entry


def tax_components(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    rates = ((doc.get("configuration") or {}).get("sales") or {}).get("taxRates") or {}
    yield from ((k, v) for k, v in rates.items() if isinstance(v, dict))


def _sales(doc: dict[str, Any]) -> dict[str, Any]:
    return (doc.get("configuration") or {}).get("sales") or {}


def invoice_status(doc: dict[str, Any]) -> dict[str, Any]:
    return _sales(doc).get("invoiceStatus") or {}


def grouping_period(doc: dict[str, Any]) -> dict[str, Any]:
    return (_sales(doc).get("grouping") or {}).get("groupingPeriod") or {}


def offered(doc: dict[str, Any]) -> dict[str, bool]:
    """Which kinds of option the document offers (CONF-2)."""
    return {
        "account": any(entry.get("accountOptions") for _, _, entry in account_slots(doc)),
        "tax rate": any(entry.get("taxRateOptions") for _, entry in tax_components(doc)),
        "invoice status": bool(invoice_status(doc).get("invoiceStatusOptions")),
        "grouping period": bool(grouping_period(doc).get("groupingPeriodOptions")),
    }


def complete(doc: dict[str, Any], *, pick: int = 0, hour: int = 6, zone: str = "Europe/London",
             start: str | None = None) -> dict[str, Any]:
    """Every account, tax rate, status and period chosen (option number ``pick``), sync enabled;
    the schedule daily at ``hour`` in ``zone``, from ``start`` when given."""
    new = copy.deepcopy(doc)
    for _, _, entry in account_slots(new):
        options = entry.get("accountOptions") or []
        if options:
            entry["selectedAccountId"] = options[min(pick, len(options) - 1)]["id"]
    for _, entry in tax_components(new):
        options = entry.get("taxRateOptions") or []
        if options:
            entry["selectedTaxRateId"] = options[min(pick, len(options) - 1)]["id"]
    for part, key, options_key in ((invoice_status(new), "selectedInvoiceStatus", "invoiceStatusOptions"),
                                   (grouping_period(new), "selectedGroupingPeriod", "groupingPeriodOptions")):
        options = part.get(options_key) or []
        if options:
            part[key] = options[min(pick, len(options) - 1)]
    schedule = new.setdefault("schedule", {})
    schedule.update({"selectedFrequency": "Daily", "syncHour": hour, "timeZone": zone})
    if start is not None:
        schedule["startDate"] = start
    new["enable"] = True
    new.pop("enabled", None)
    return new


def selections(doc: dict[str, Any], *, by_name: bool = False) -> dict[str, Any]:
    """The merchant's choices in a document, comparable across reads (and companies, ``by_name``)."""

    def name_of(options: list[dict[str, Any]] | None, chosen: str | None) -> str | None:
        if not by_name or chosen is None:
            return chosen
        return next((o.get("name") for o in options or [] if o.get("id") == chosen), f"<unknown {chosen}>")

    schedule = doc.get("schedule") or {}
    chosen = {k: schedule.get(k) for k in ("selectedFrequency", "syncHour", "timeZone")}
    if schedule.get("startDate") is not None:
        chosen["startDate"] = moment(schedule["startDate"])
    return {
        "accounts": {f"{s}.{k}": name_of(e.get("accountOptions"), e.get("selectedAccountId"))
                     for s, k, e in account_slots(doc)},
        "taxRates": {k: name_of(e.get("taxRateOptions"), e.get("selectedTaxRateId")) for k, e in tax_components(doc)},
        "invoiceStatus": invoice_status(doc).get("selectedInvoiceStatus"),
        "groupingPeriod": grouping_period(doc).get("selectedGroupingPeriod"),
        "schedule": chosen,
        "enable": enable_flag(doc)[1],
    }


def moment(value: Any) -> Any:
    """A date-time as one instant, however the target writes it (``Z`` or ``+00:00``, milliseconds or
    none); anything that is not an ISO 8601 date-time stays as it was, to be shown."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return value
    if parsed is None:
        return value
    return parsed.isoformat() if parsed.tzinfo is None else parsed.astimezone(UTC).isoformat()


def differences(wanted: dict[str, Any], stored: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Where two :func:`selections` differ, as {choice: (wanted, stored)}.

    A start date the merchant left unset may be any the target chose (its default).
    """
    found = {k: (wanted[k], stored.get(k)) for k in wanted if k != "schedule" and wanted[k] != stored.get(k)}
    schedule, kept = wanted.get("schedule") or {}, stored.get("schedule") or {}
    for key, value in schedule.items():
        if value != kept.get(key):
            found[f"schedule.{key}"] = (value, kept.get(key))
    return found


def tomorrow(now: datetime) -> str:
    """Midnight UTC after ``now``, as a schedule's ``startDate``."""
    day = (now + timedelta(days=1)).date()
    return f"{day.isoformat()}T00:00:00Z"


def with_frequency(doc: dict[str, Any], frequency: str) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    new.setdefault("schedule", {})["selectedFrequency"] = frequency
    return new


def first_required_slot(doc: dict[str, Any]) -> dict[str, Any] | None:
    return next((entry for _, _, entry in account_slots(doc) if entry.get("required")), None)


NOT_OFFERED = "sfc-not-offered-7d1f"


def invalid(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """A complete configuration with one invalid choice (CONF-5)."""
    new = complete(doc)
    schedule = new["schedule"]
    if kind.startswith("syncHour "):
        schedule["syncHour"] = int(kind.split()[1])
    elif kind == "a frequency that is not offered":
        offered_ = schedule.get("frequencyOptions") or ["Daily", "Monthly"]
        schedule["selectedFrequency"] = next(f for f in ("Hourly", "Weekly", "Yearly") if f not in offered_)
    elif kind.startswith("time zone "):
        schedule["timeZone"] = kind.split('"')[1]
    elif kind == "an account that is not offered":
        slot = first_required_slot(new) or next(e for _, _, e in account_slots(new))
        slot["selectedAccountId"] = NOT_OFFERED
    elif kind == "an invoice status that is not offered":
        invoice_status(new)["selectedInvoiceStatus"] = NOT_OFFERED
    elif kind == "a grouping period that is not offered":
        grouping_period(new)["selectedGroupingPeriod"] = NOT_OFFERED
    else:
        raise ValueError(f"no invalid choice called {kind!r}")
    return new


def changed(doc: dict[str, Any], choice: str, now: datetime) -> dict[str, Any]:
    """The configuration with one choice changed to another offered value (REV-3)."""
    new = copy.deepcopy(doc)
    if choice == "schedule":  # seed §4: its start date, start time and frequency
        schedule = new["schedule"]
        schedule["syncHour"] = (int(schedule.get("syncHour") or 0) + 7) % 24
        schedule["timeZone"] = "America/New_York" if schedule.get("timeZone") != "America/New_York" else "Asia/Tokyo"
        others = [f for f in schedule.get("frequencyOptions") or [] if f != schedule.get("selectedFrequency")]
        if others:
            schedule["selectedFrequency"] = others[0]
        start = schedule.get("startDate")
        moved = datetime.fromisoformat(start) if isinstance(start, str) else None
        schedule["startDate"] = tomorrow(moved if moved and moved.tzinfo else now)
    elif choice == "sales account":
        entry = first_required_slot(new) or next(e for _, _, e in account_slots(new))
        _pick_other(entry, "accountOptions", "selectedAccountId", lambda o: o["id"])
    elif choice == "tax rate mapping":
        _, entry = next(tax_components(new))
        _pick_other(entry, "taxRateOptions", "selectedTaxRateId", lambda o: o["id"])
    elif choice == "invoice status":
        _pick_other(invoice_status(new), "invoiceStatusOptions", "selectedInvoiceStatus", lambda o: o)
    elif choice == "grouping period":
        _pick_other(grouping_period(new), "groupingPeriodOptions", "selectedGroupingPeriod", lambda o: o)
    else:
        raise ValueError(f"no choice called {choice!r}")
    return new


def _pick_other(entry: dict[str, Any], options_key: str, key: str, value: Any) -> None:
    others = [value(o) for o in entry.get(options_key) or [] if value(o) != entry.get(key)]
    if not others:
        raise AssertionError(f"the target offers no second option for {key}; cannot change it")
    entry[key] = others[-1]
