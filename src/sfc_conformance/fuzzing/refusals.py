"""Where the profile demands a refusal: the only requests a target fails by accepting.

Our contract describes valid requests; the profile does not ask a target to
refuse everything else.  A target may ignore a query parameter it does not use,
read ``page=false`` as no page at all, or let through a body with a field it
does not know: what it answers is then judged like any other answer (API-1 for
a 2xx body), never the fact that it answered.  Only where a rule says a request
is refused does accepting it fail, and then under that rule:

    rule     operations                      refused when
    API-4    list-companies, -connections    ``page`` < 1 or ``pageSize`` > 5000 (400)
    CONF-5   set-configuration               ``syncHour`` outside 0-23, a frequency our contract does not
                                             have, a ``timeZone`` that is no IANA zone, an invoice status or
                                             grouping period that is no option at all (400)
    URL-6    get-sync-flow-url               an unknown or malformed platform key, the commerce key in the
                                             accounting slot (400 or 404)
    URL-5    get-sync-flow-url               a ``javascript:``, ``data:`` or ``vbscript:`` redirectUrl (400)
    READY-2  get-company                     an unknown company id (404)
    LINK-4   create-connection               an unknown company or platform key (4xx)
    CUST-1   get-config-text-sync-flow       no ``locale``, or one other than en-us and fr-fr (4xx)
    CUST-3   get-visible-accounts, update-   a platform key that is not four lower-case letters (4xx)
             visible-accounts-sync-flow
    SYNC-1   get-sync-by-id                  an unknown sync id (404)
    SYNC-3   request-sync-for-date-range     no ``dateRange.start`` and ``finish`` date-times, start before
                                             finish (400)
    INT-1    list-integrations               paged as API-4 says (400)
    INT-2    get-integration-branding        an unknown platform key (404)

An operation our contract does not have yet is simply never met.  Every entry
says why a request must be refused, as the rule words it, and only when it is
sure: a value a target could read as valid (a numeric string for an hour, a
time zone in another case, an empty one read as none) is never held against it.
Each entry also brings hand-made requests the walk sends, so a rule is put to
the test whatever the generator happens to draw.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sfc_conformance.core.profile import load_contract
from sfc_conformance.fuzzing.cases import NONEXISTENT_KEY, UNKNOWN_ID

MAX_PAGE_SIZE = 5000
KEY = re.compile(r"[a-z]{4}")  # a platform key: four lower-case letters (fullmatch)
INTEGER = re.compile(r"[+-]?[0-9]+")
LOCALES = ("en-us", "fr-fr")
SCRIPT_SCHEMES = ("javascript", "data", "vbscript")


class _Absent:
    """No body at all, or one that is not JSON: a sentinel that reads as neither null nor any value."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_BODY = _Absent("NO_BODY")
NOT_JSON = _Absent("NOT_JSON")


@dataclass(frozen=True)
class Asked:
    """A request as it went out, as the rules read it."""

    operation: str  # the contract's operationId
    path: Mapping[str, str] = field(default_factory=dict)  # path parameters, decoded
    query: Sequence[tuple[str, str]] = ()  # every query parameter as sent, decoded, in order
    body: Any = NO_BODY  # parsed JSON; NO_BODY or NOT_JSON
    unknown: frozenset[str] = frozenset()  # path parameters the run knows to name nothing
    commerce_key: str = "lqai"  # the run's

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]


@dataclass(frozen=True)
class Probe:
    """A hand-made request a rule demands refused: what it sets beside the operation's ids.

    Values may name a known id or platform key in braces (``{companyId}``, ``{commerceKey}``).
    """

    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = NO_BODY


@dataclass(frozen=True)
class Refusal:
    rule: str
    operations: frozenset[str]
    title: str  # of the finding when such a request is accepted
    demands: str  # the answer the rule asks for
    reason: Callable[[Asked], str | None]  # why this request must be refused; None when it need not be
    probes: tuple[Probe, ...] = ()


def _all(values: list[str], test: Callable[[str], bool]) -> bool:
    """Every value given passes ``test`` (and one was given): a target may read any of several values."""
    return bool(values) and all(test(value) for value in values)


def page_out_of_bounds(asked: Asked) -> str | None:
    pages, sizes = asked.values("page"), asked.values("pageSize")
    if _all(pages, lambda value: bool(INTEGER.fullmatch(value)) and int(value) < 1):
        return f"`page` {pages[0]} is below 1"
    if _all(sizes, lambda value: bool(INTEGER.fullmatch(value)) and int(value) > MAX_PAGE_SIZE):
        return f"`pageSize` {sizes[0]} is over {MAX_PAGE_SIZE}"
    return None


def invalid_choice(asked: Asked) -> str | None:
    body = asked.body
    if not isinstance(body, dict):
        return None  # no choice in it: a body the target cannot read is judged by what it answers
    schedule = body.get("schedule")
    if isinstance(schedule, dict):
        hour, frequency, zone = (schedule.get(name) for name in ("syncHour", "selectedFrequency", "timeZone"))
        if hour is not None and not _an_hour(hour):
            return f"`schedule.syncHour` {hour!r} is not an hour from 0 to 23"
        offered = frequencies()
        if frequency is not None and offered and frequency not in offered:
            return f"`schedule.selectedFrequency` {frequency!r} is none of the frequencies a target can offer"
        if zone is not None and not _maybe_a_zone(zone):
            return f"`schedule.timeZone` {zone!r} is not an IANA time zone"
    sales = _at(body, "configuration", "sales")
    for where, value in (("configuration.sales.invoiceStatus.selectedInvoiceStatus",
                          _at(sales, "invoiceStatus", "selectedInvoiceStatus")),
                         ("configuration.sales.grouping.groupingPeriod.selectedGroupingPeriod",
                          _at(sales, "grouping", "groupingPeriod", "selectedGroupingPeriod"))):
        if value is not None and not isinstance(value, str):  # options are strings: this is none of them
            return f"`{where}` {value!r} is none of its options"
    return None


def _at(node: Any, *names: str) -> Any:
    for name in names:
        node = node.get(name) if isinstance(node, dict) else None
    return node


def _an_hour(value: Any) -> bool:
    """Whether a target may read ``value`` as an hour from 0 to 23 (a numeric string too)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value <= 23
    if isinstance(value, float):
        return value.is_integer() and 0 <= value <= 23
    return isinstance(value, str) and bool(re.fullmatch(r"[0-9]{1,2}", value)) and int(value) <= 23


@cache
def frequencies() -> frozenset[str]:
    """Every frequency our contract lets a target offer; empty (nothing judged) if it names none."""
    schema = load_contract().document.get("components", {}).get("schemas", {}).get("SyncFrequency", {})
    return frozenset(value for value in schema.get("enum", ()) if isinstance(value, str))


@cache
def _zones() -> frozenset[str]:
    return frozenset(zone.lower() for zone in zoneinfo.available_timezones())


def _maybe_a_zone(value: Any) -> bool:
    """Whether a target may read ``value`` as an IANA zone: in any case, an empty one as none, and anything
    when this machine has no time zone database to tell."""
    if not isinstance(value, str):
        return False
    return not value.strip() or not _zones() or value.lower() in _zones()


def unknown_platform_key(asked: Asked) -> str | None:
    for slot in ("commerceKey", "accountingKey"):
        key = asked.path.get(slot)
        if key is None:
            continue
        if not KEY.fullmatch(key):
            return f"`{slot}` {key!r} is not four lower-case letters"
        if key == NONEXISTENT_KEY or slot in asked.unknown:
            return f"no platform has the `{slot}` {key!r}"
    if asked.path.get("accountingKey") == asked.commerce_key:
        return f"the commerce key {asked.commerce_key!r} is in the accounting slot"
    return None


def script_redirect(asked: Asked) -> str | None:
    redirects = asked.values("redirectUrl")
    if _all(redirects, lambda value: _scheme(value) in SCRIPT_SCHEMES):
        return f"`redirectUrl` {redirects[0][:80]!r} has a {_scheme(redirects[0])}: scheme"
    return None


def _scheme(url: str) -> str:
    """The scheme a browser reads: leading spaces and controls dropped, tabs and newlines anywhere ignored."""
    read = re.sub(r"[\t\n\r]", "", url).lstrip("".join(chr(code) for code in range(0x21)))
    found = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", read)
    return found.group(1).lower() if found else ""


def _names_nothing(asked: Asked, name: str) -> bool:
    """The path parameter is an id the run knows names nothing, or no id at all (ids are uuids)."""
    value = asked.path.get(name)
    if value is None:
        return False
    if name in asked.unknown:
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return True
    return False


def unknown_company(asked: Asked) -> str | None:
    return f"no company has the id {asked.path['companyId'][:80]!r}" if _names_nothing(asked, "companyId") else None


def unknown_company_or_key(asked: Asked) -> str | None:
    found = unknown_company(asked)
    if found:
        return found
    key = asked.body.get("platformKey") if isinstance(asked.body, dict) else None
    if key is not None and (not isinstance(key, str) or not KEY.fullmatch(key) or key == NONEXISTENT_KEY):
        return f"no platform has the `platformKey` {key!r}"
    return None


def unknown_locale(asked: Asked) -> str | None:
    locales = asked.values("locale")
    if not locales:
        return "no `locale` was given"
    if _all(locales, lambda value: value.strip().lower() not in LOCALES):
        return f"`locale` {locales[0][:40]!r} is neither {' nor '.join(LOCALES)}"
    return None


def malformed_platform_key(asked: Asked) -> str | None:
    key = asked.path.get("platformKey")
    if key is not None and not KEY.fullmatch(key):
        return f"`platformKey` {key[:40]!r} is not four lower-case letters"
    return None


def unknown_branding_key(asked: Asked) -> str | None:
    key = asked.path.get("platformKey")
    if key is not None and (key == NONEXISTENT_KEY or "platformKey" in asked.unknown):
        return f"no platform has the key {key!r}"
    return malformed_platform_key(asked)


def unknown_sync(asked: Asked) -> str | None:
    return f"no sync has the id {asked.path['syncId'][:80]!r}" if _names_nothing(asked, "syncId") else None


def invalid_date_range(asked: Asked) -> str | None:
    body = asked.body
    date_range = body.get("dateRange") if isinstance(body, dict) else None
    if not isinstance(date_range, dict):
        return "there is no `dateRange`"
    moments = []
    for end in ("start", "finish"):
        value = date_range.get(end)
        moment = _date_time(value)
        if moment is None:
            return f"`dateRange.{end}` {value!r} is not a date-time"
        moments.append(moment)
    start, finish = moments
    if (start.tzinfo is None) == (finish.tzinfo is None) and start >= finish:
        return "`dateRange.start` is not before `dateRange.finish`"
    return None


def _date_time(value: Any) -> datetime | None:
    """``value`` as a moment, read as leniently as a target may read it (a bare date too)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


REFUSALS: tuple[Refusal, ...] = (
    Refusal("API-4", frozenset({"list-companies", "list-connections"}), "A page out of bounds was accepted",
            "400", page_out_of_bounds, (Probe(query={"page": "0"}), Probe(query={"pageSize": "5001"}))),
    Refusal("CONF-5", frozenset({"set-configuration"}), "An invalid configuration choice was accepted",
            "400 with validation.errors", invalid_choice,
            (Probe(body={"schedule": {"syncHour": 24}}), Probe(body={"schedule": {"syncHour": -1}}),
             Probe(body={"schedule": {"timeZone": "Nowhere/Atlantis"}}),
             Probe(body={"schedule": {"selectedFrequency": "Fortnightly"}}))),
    Refusal("URL-6", frozenset({"get-sync-flow-url"}), "An unknown or malformed platform key was accepted",
            "400 or 404", unknown_platform_key,
            (Probe(path={"commerceKey": "LQAI"}, query={"merchantIdentifier": "{companyId}"}),
             Probe(path={"accountingKey": "{commerceKey}"}, query={"merchantIdentifier": "{companyId}"}))),
    Refusal("URL-5", frozenset({"get-sync-flow-url"}), "A redirectUrl that runs a script was accepted",
            "400", script_redirect,
            tuple(Probe(query={"merchantIdentifier": "{companyId}", "redirectUrl": url})
                  for url in ("javascript:alert(1)", "data:text/html,<p>hi</p>", "vbscript:msgbox(1)"))),
    Refusal("READY-2", frozenset({"get-company"}), "An unknown company was found", "404", unknown_company),
    Refusal("LINK-4", frozenset({"create-connection"}), "A connection to an unknown company or platform was created",
            "a 4xx (404 for an unknown company)", unknown_company_or_key,
            (Probe(body={"platformKey": NONEXISTENT_KEY}),)),
    Refusal("CUST-1", frozenset({"get-config-text-sync-flow"}), "Flow text without a known locale was answered",
            "a 4xx", unknown_locale, (Probe(), Probe(query={"locale": "de-de"}))),
    Refusal("CUST-3", frozenset({"get-visible-accounts", "update-visible-accounts-sync-flow"}),
            "A malformed platform key was accepted", "a 4xx", malformed_platform_key,
            (Probe(path={"platformKey": "LQAI"}),)),
    Refusal("SYNC-1", frozenset({"get-sync-by-id"}), "An unknown sync was found", "404", unknown_sync),
    Refusal("SYNC-3", frozenset({"request-sync-for-date-range"}), "An invalid date range was accepted",
            "400 with validation.errors", invalid_date_range,
            (Probe(body={}), Probe(body={"dateRange": {"start": "2024-02-01T00:00:00Z",
                                                       "finish": "2024-01-01T00:00:00Z"}}))),
    Refusal("INT-1", frozenset({"list-integrations"}), "A page out of bounds was accepted", "400",
            page_out_of_bounds, (Probe(query={"page": "0"}),)),
    Refusal("INT-2", frozenset({"get-integration-branding"}), "An unknown platform key was answered", "404",
            unknown_branding_key),
)


def reasons(asked: Asked) -> list[tuple[Refusal, str]]:
    """Every rule that demands this request be refused, with why."""
    found = []
    for refusal in REFUSALS:
        if asked.operation in refusal.operations:
            reason = refusal.reason(asked)
            if reason:
                found.append((refusal, reason))
    return found


def probes(operation: str) -> list[Probe]:
    return [probe for refusal in REFUSALS if operation in refusal.operations for probe in refusal.probes]


def filled(template: str, known: Mapping[str, str]) -> str:
    """``template`` with ``{name}`` replaced by the known value (a well-formed id naming nothing if none is)."""
    return re.sub(r"\{([A-Za-z]+)\}", lambda found: known.get(found.group(1), UNKNOWN_ID), template)
