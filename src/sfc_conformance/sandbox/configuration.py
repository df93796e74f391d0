"""A merchant's commerce sync configuration (seed §3 and §4; rules CONF-*, REV-*).

The sandbox owns the *options* (the chart of accounts, tax rates, invoice
statuses, grouping periods) and the merchant owns the *choices*.  A posted
``Configuration`` is read for choices only; options, labels, ``required`` and
``configured`` in the body are ignored, because ``configured`` is derived
here (CONF-4), never trusted.
"""

from __future__ import annotations

import copy
import uuid
import zoneinfo
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal

from sfc_conformance.core.clock import isoformat
from sfc_conformance.sandbox.errors import ValidationIssue, bad_request

FREQUENCIES = ["Daily", "Monthly"]
INVOICE_STATUSES = ["Draft", "Submitted", "Paid"]
GROUPING_PERIODS = ["Daily", "Weekly", "Monthly"]
INVOICE_GROUP_BY = ["Location", "Currency"]
LINE_GROUP_BY = ["Product", "TaxRate"]
DEFAULT_TIME_ZONE = "Etc/UTC"
FlagName = Literal["enable", "enabled"]  # the sync's switch: as the OAS spells it, or as the seed page does
# Dates outside these bounds overflow the schedule arithmetic (a 5xx); none is a real plan.
EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(3000, 1, 1, tzinfo=UTC)

# (code, name, classification) of the chart every sandbox ledger has.
_ACCOUNTS = [
    ("4000", "Sales", "Income"),
    ("4010", "Gratuity income", "Income"),
    ("2100", "Customer prepayments", "Liability"),
    ("1200", "Bank current account", "Bank"),
    ("1210", "Card clearing", "Bank"),
    ("7500", "Payment processing fees", "Expense"),
]
_TAX_RATES = ["20% VAT", "5% VAT", "Zero rated", "Exempt"]
_SUPPLIERS = ["Payment Provider Ltd"]

# section -> slot -> (label, required)
ACCOUNT_SLOTS: dict[str, dict[str, tuple[str, bool]]] = {
    "sales": {
        "sales": ("Sales", True),
        "gratuity": ("Gratuity", False),
        "prepayments": ("Prepayments", False),
    },
    "payments": {"cash": ("Cash payments", True), "card": ("Card payments", True)},
    "fees": {"fees": ("Processing fees", True)},
}
# Commerce-side tax components that map onto accounting tax rates.
TAX_COMPONENTS = ["standard", "reduced", "zero"]


@cache
def iana_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Chart:
    """The options a linked accounting platform offers, ids unique per company."""

    company_id: str
    platform_key: str

    def account_options(self) -> list[dict[str, Any]]:
        return _copies(_options(self.company_id, self.platform_key)[0])

    def tax_rate_options(self) -> list[dict[str, Any]]:
        return _copies(_options(self.company_id, self.platform_key)[1])

    def supplier_options(self) -> list[dict[str, Any]]:
        return _copies(_options(self.company_id, self.platform_key)[2])


Options = tuple[dict[str, str], ...]


@lru_cache(maxsize=4096)
def _options(company_id: str, platform_key: str) -> tuple[Options, Options, Options]:
    """(accounts, tax rates, suppliers) of one company's chart: the same ids every time, worked out once."""
    def option_id(kind: str, name: str) -> str:
        return str(uuid.uuid5(uuid.UUID(company_id), f"{platform_key}:{kind}:{name}"))

    return (tuple({"id": option_id("account", code), "name": name, "nominalCode": code, "classification": cls}
                  for code, name, cls in _ACCOUNTS),
            tuple({"id": option_id("tax", name), "name": name} for name in _TAX_RATES),
            tuple({"id": option_id("supplier", name), "name": name} for name in _SUPPLIERS))


def _copies(options: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options for one answer: each a copy (their values are strings), so no answer shares one with another."""
    return [dict(option) for option in options]


@dataclass
class Choices:
    """Everything a merchant decides; the rest of the document is derived."""

    enable: bool = False
    frequency: str = "Daily"
    start_date: datetime | None = None
    sync_hour: int = 0
    time_zone: str = DEFAULT_TIME_ZONE
    accounts: dict[tuple[str, str], str | None] = field(default_factory=dict)
    tax_rates: dict[str, str | None] = field(default_factory=dict)
    invoice_status: str | None = None
    grouping_period: str | None = None
    invoice_group_by: list[str] = field(default_factory=list)
    line_group_by: list[str] = field(default_factory=list)
    supplier: str | None = None
    sync_sales: bool = True
    sync_payments: bool = True
    sync_fees: bool = True

    def is_complete(self) -> bool:
        """CONF-4: every required account has a selected account."""
        return all(
            self.accounts.get((section, slot))
            for section, slots in ACCOUNT_SLOTS.items()
            for slot, (_, required) in slots.items()
            if required
        )


def render(company_id: str, company_name: str, chart: Chart | None, choices: Choices,
           configured: bool, *, flag: FlagName = "enable") -> dict[str, Any]:
    """The ``Configuration`` document for a company.

    Without a chart (accounting not linked yet) the option lists are empty.
    ``flag`` names the sync's switch: ``enable`` as the OAS spells it, or ``enabled`` as the seed page does.
    """
    accounts = chart.account_options() if chart else []  # CONF-2: options once the accounting is Linked
    taxes = chart.tax_rate_options() if chart else []
    suppliers = chart.supplier_options() if chart else []

    def slots(section: str) -> dict[str, Any]:
        return {
            slot: {
                "labelText": label,
                "descriptionText": f"Account that receives {label.lower()}",
                "selectedAccountId": choices.accounts.get((section, slot)),
                "required": required,
                "accountOptions": _copies(accounts),
            }
            for slot, (label, required) in ACCOUNT_SLOTS[section].items()
        }

    return {
        "companyId": company_id,
        "accountingSoftwareCompanyName": company_name,
        flag: choices.enable,  # READY-3: either spelling is read back (see `apply`)
        "configured": configured,  # CONF-1, CONF-4: derived, never taken from a request
        "schedule": {
            "selectedFrequency": choices.frequency,
            "frequencyOptions": list(FREQUENCIES),
            # Absent until chosen: our contract and Codat's document both type it a non-null date-time.
            **({"startDate": isoformat(choices.start_date)} if choices.start_date else {}),
            "syncHour": choices.sync_hour,
            "timeZone": choices.time_zone,
        },
        "configuration": {
            "countryCode": "GB",
            "mapSettings": {"outputFormat": "JournalEntry"},
            "sales": {
                "syncSales": choices.sync_sales,
                "accounts": slots("sales"),
                "invoiceStatus": {
                    "selectedInvoiceStatus": choices.invoice_status,
                    "invoiceStatusOptions": list(INVOICE_STATUSES) if chart else [],
                },
                "taxRates": {
                    component: {
                        "selectedTaxRateId": choices.tax_rates.get(component),
                        "taxRateOptions": _copies(taxes),
                    }
                    for component in TAX_COMPONENTS
                },
                "grouping": {
                    "groupingPeriod": {
                        "selectedGroupingPeriod": choices.grouping_period,
                        "groupingPeriodOptions": list(GROUPING_PERIODS) if chart else [],
                    },
                    "groupingLevels": {
                        "invoiceLevel": {
                            "selectedGroupByOptions": list(choices.invoice_group_by),
                            "groupByOptions": list(INVOICE_GROUP_BY),
                        },
                        "invoiceLineLevel": {
                            "selectedGroupByOptions": list(choices.line_group_by),
                            "groupByOptions": list(LINE_GROUP_BY),
                        },
                    },
                },
            },
            "payments": {"syncPayments": choices.sync_payments, "accounts": slots("payments")},
            "fees": {
                "feesSupplier": {"selectedSupplierId": choices.supplier, "supplierOptions": _copies(suppliers)},
                "syncFees": choices.sync_fees,
                "accounts": slots("fees"),
            },
        },
    }


class _Reader:
    """Walks a posted document, collecting every problem before refusing (CONF-5)."""

    def __init__(self) -> None:
        self.issues: list[ValidationIssue] = []

    def fail(self, where: str, message: str) -> None:
        self.issues.append(ValidationIssue(where, message))

    def obj(self, parent: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(where, f"{where} must be an object")
            return None
        return value

    def boolean(self, parent: dict[str, Any], key: str, where: str, current: bool) -> bool:
        if key not in parent or parent[key] is None:
            return current
        if not isinstance(parent[key], bool):
            self.fail(where, f"{where} must be true or false")
            return current
        return bool(parent[key])

    def one_of(self, value: Any, allowed: Collection[str], where: str) -> str | None:
        """A selection: null clears it, otherwise it must be one of the options."""
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            shown = value if isinstance(value, str) and len(value) <= 64 else type(value).__name__
            self.fail(where, f"{where} {shown!r} is not one of the options offered")
            return None
        return value


def apply(body: Any, chart: Chart, current: Choices, *, start_date_default: datetime,
          time_zone_default: str = DEFAULT_TIME_ZONE, last_sync_hour: int = 23, keeps_absent_sync_hour: bool = False,
          sync_hour_to_utc: bool = False, invoice_statuses: Collection[str] = INVOICE_STATUSES,
          account_ids: Collection[str] | None = None, in_place: bool = False) -> Choices:
    """Read a posted ``Configuration`` into new choices, or refuse it whole (CONF-3, CONF-5, REV-3).

    The keywords after ``start_date_default`` come from the sandbox's policy; their defaults read a post as the
    profile asks.  ``account_ids`` are the accounts a choice is checked against (the chart's, unless given);
    ``in_place`` reads the post into ``current`` itself, choice by choice, instead of into a copy.
    """
    if not isinstance(body, dict):
        raise bad_request("The configuration must be a JSON object.")
    r = _Reader()
    new = current if in_place else copy.deepcopy(current)  # CONF-5: a refused post leaves `current` as it was

    # READY-3: the seed page spells the flag `enabled`; accept it as an alias.
    flag_key = "enable" if "enable" in body else "enabled"
    new.enable = r.boolean(body, flag_key, flag_key, current.enable)  # REV-2: the choices stay as they are

    schedule = r.obj(body, "schedule", "schedule")
    if schedule is not None:
        _read_schedule(r, schedule, new, start_date_default, time_zone_default, last_sync_hour,
                       keeps_absent_sync_hour, sync_hour_to_utc)

    config = r.obj(body, "configuration", "configuration")
    if config is not None:
        _read_commerce(r, config, chart, new, invoice_statuses, account_ids)

    if r.issues:
        raise bad_request("The configuration is not valid.", r.issues)
    return new


def _read_schedule(r: _Reader, schedule: dict[str, Any], new: Choices, start_default: datetime,
                   zone_default: str, last_hour: int, keeps_absent_hour: bool, hour_to_utc: bool) -> None:
    if "selectedFrequency" in schedule:
        frequency = r.one_of(schedule["selectedFrequency"], FREQUENCIES, "schedule.selectedFrequency")
        if frequency is not None:
            new.frequency = frequency

    # CONF-6: no syncHour means 0, no timeZone means Etc/UTC.
    hour = schedule.get("syncHour")
    if hour is None:
        if not keeps_absent_hour:  # kept, the hour already stored would stay
            new.sync_hour = 0
    elif isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= last_hour:  # CONF-3, CONF-5
        r.fail("schedule.syncHour", f"schedule.syncHour must be a whole hour from 0 to {last_hour}")
    else:
        new.sync_hour = hour

    zone = schedule.get("timeZone")
    if zone is None:
        new.time_zone = zone_default  # CONF-6
    elif not isinstance(zone, str) or zone not in iana_time_zones():
        r.fail("schedule.timeZone", "schedule.timeZone must be an IANA time zone such as Europe/London")
    else:
        new.time_zone = zone

    start = schedule.get("startDate")
    if start is None:
        new.start_date = new.start_date or start_default
    else:
        parsed = parse_datetime(start)
        if parsed is None:
            r.fail("schedule.startDate", "schedule.startDate must be an ISO 8601 date-time from 1900 to 2999")
        else:
            new.start_date = parsed

    if hour_to_utc and isinstance(hour, int) and not r.issues:
        # The hour read as the zone's local time and kept as UTC's: the answer no longer shows the hour posted,
        # except in a zone at UTC's offset on that day.
        moment = (new.start_date or start_default).astimezone(zoneinfo.ZoneInfo(new.time_zone))
        offset = moment.utcoffset() or timedelta(0)
        new.sync_hour = (hour - int(offset.total_seconds() // 3600)) % 24


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # Codat's unqualified times are UTC for a schedule
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo("UTC"))
    if not EARLIEST_DATE <= parsed < LATEST_DATE:
        return None
    return parsed


def _read_commerce(r: _Reader, config: dict[str, Any], chart: Chart, new: Choices, invoice_statuses: Collection[str],
                   account_ids: Collection[str] | None) -> None:
    if account_ids is None:
        account_ids = [o["id"] for o in chart.account_options()]  # CONF-5: this company's chart, no other
    tax_ids = [o["id"] for o in chart.tax_rate_options()]
    supplier_ids = [o["id"] for o in chart.supplier_options()]
    flags = {"sales": "syncSales", "payments": "syncPayments", "fees": "syncFees"}

    for section in ACCOUNT_SLOTS:
        part = r.obj(config, section, f"configuration.{section}")
        if part is None:
            continue
        flag = flags[section]
        setattr(new, _snake(flag), r.boolean(part, flag, f"configuration.{section}.{flag}", getattr(new, _snake(flag))))
        accounts = r.obj(part, "accounts", f"configuration.{section}.accounts")
        for slot, entry in (accounts or {}).items():
            where = f"configuration.{section}.accounts.{slot}"
            if slot not in ACCOUNT_SLOTS[section]:
                r.fail(where, f"{where} is not an account this configuration asks for")
                continue
            if not isinstance(entry, dict):
                r.fail(where, f"{where} must be an object")
                continue
            new.accounts[(section, slot)] = r.one_of(entry.get("selectedAccountId"), account_ids,
                                                     f"{where}.selectedAccountId")

    sales: dict[str, Any] = config["sales"] if isinstance(config.get("sales"), dict) else {}
    tax_rates = r.obj(sales, "taxRates", "configuration.sales.taxRates")
    for component, entry in (tax_rates or {}).items():
        where = f"configuration.sales.taxRates.{component}"
        if component not in TAX_COMPONENTS:
            r.fail(where, f"{where} is not a tax component of the commerce platform")
        elif not isinstance(entry, dict):
            r.fail(where, f"{where} must be an object")
        else:
            new.tax_rates[component] = r.one_of(entry.get("selectedTaxRateId"), tax_ids, f"{where}.selectedTaxRateId")

    status = r.obj(sales, "invoiceStatus", "configuration.sales.invoiceStatus")
    if status is not None and "selectedInvoiceStatus" in status:
        new.invoice_status = r.one_of(
            status["selectedInvoiceStatus"], invoice_statuses, "configuration.sales.invoiceStatus.selectedInvoiceStatus"
        )

    grouping = r.obj(sales, "grouping", "configuration.sales.grouping")
    if grouping is not None:
        period = r.obj(grouping, "groupingPeriod", "configuration.sales.grouping.groupingPeriod")
        if period is not None and "selectedGroupingPeriod" in period:
            new.grouping_period = r.one_of(
                period["selectedGroupingPeriod"], GROUPING_PERIODS,
                "configuration.sales.grouping.groupingPeriod.selectedGroupingPeriod",
            )
        levels = r.obj(grouping, "groupingLevels", "configuration.sales.grouping.groupingLevels")
        for key, allowed, attr in (("invoiceLevel", INVOICE_GROUP_BY, "invoice_group_by"),
                                   ("invoiceLineLevel", LINE_GROUP_BY, "line_group_by")):
            where = f"configuration.sales.grouping.groupingLevels.{key}"
            level = r.obj(levels or {}, key, where)
            if level is None or level.get("selectedGroupByOptions") is None:
                continue
            chosen = level["selectedGroupByOptions"]
            if not isinstance(chosen, list) or not all(isinstance(c, str) and c in allowed for c in chosen):
                r.fail(f"{where}.selectedGroupByOptions", f"{where}.selectedGroupByOptions must list offered options")
            else:
                setattr(new, attr, list(dict.fromkeys(chosen)))

    fees: dict[str, Any] = config["fees"] if isinstance(config.get("fees"), dict) else {}
    supplier = r.obj(fees, "feesSupplier", "configuration.fees.feesSupplier")
    if supplier is not None and "selectedSupplierId" in supplier:
        new.supplier = r.one_of(supplier["selectedSupplierId"], supplier_ids,
                                "configuration.fees.feesSupplier.selectedSupplierId")


def _snake(flag: str) -> str:
    return {"syncSales": "sync_sales", "syncPayments": "sync_payments", "syncFees": "sync_fees"}[flag]
