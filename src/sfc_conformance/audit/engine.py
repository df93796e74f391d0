"""READY-1 for many merchants: every company of the account, or the ones named.

With ``--all`` the companies come from ``GET /companies``, a page at a time,
each with the ``dataConnections`` the seed reads readiness from; one more call
per merchant reads its configuration.  Reading each connections list too (for
READY-1's agreement between the two) is a choice: it doubles the calls.  A
named merchant (``--company-id``) is read with ``GET /companies/{id}`` and,
by default, its connections list, as the single-merchant doctor always has.

A merchant that cannot be read (deleted between the listing and the reading,
an answer that is not JSON, a 5xx that outlasts the retries) is a verdict of
its own, never counted ready, and the audit goes on.  A refused key, a target
that only rate-limits, or one that stops answering altogether ends it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.errors import KeyRefused, RateLimited, TargetError, TargetTimedOut, TargetUnreachable
from sfc_conformance.core.http import ApiClient, Listing, NotOffered, answered, in_order, refuse_key
from sfc_conformance.core.profile import Unmet, assess, readiness

UNREADABLE: Final = "cannot be read"
REASON_KEYS: Final = (*readiness.CONDITIONS, UNREADABLE)  # byReason's keys, always all of them
# Companies per page: at most two pages are held at a time, so this bounds the memory; the protocol allows 5000.
DEFAULT_PAGE_SIZE: Final = 250
CONNECTIONS_PAGE_SIZE: Final = 100
GIVE_UP_AFTER: Final = 20  # merchants in a row the target could not be reached for: it is down
T = TypeVar("T")


@dataclass(frozen=True)
class Verdict(readiness.Judged):
    company_id: str
    name: str | None
    unmet: tuple[Unmet, ...]
    unreadable: str | None = None  # why the company could not be read, said of it: "was not found (404)"
    trouble: TargetError | None = field(default=None, compare=False, repr=False)

    @property
    def conditions(self) -> list[str]:
        """The unmet conditions, each once, in the order of ``REASON_KEYS``."""
        unmet = {u.condition for u in self.unmet}
        return [key for key in REASON_KEYS if key in unmet]


def unreadable(company_id: str, name: str | None, why: str, trouble: TargetError | None = None) -> Verdict:
    return Verdict(company_id, name, (Unmet(UNREADABLE, f"the company {why}"),), why, trouble)


@dataclass
class Summary:
    total: int = 0
    ready: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)

    @property
    def not_ready(self) -> int:
        return self.total - self.ready

    def add(self, verdict: Verdict) -> None:
        self.total += 1
        self.ready += verdict.ready
        self.by_reason.update(verdict.conditions)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "ready": self.ready, "notReady": self.not_ready,
                "byReason": {key: self.by_reason[key] for key in REASON_KEYS}}


class _Gone(Exception):
    """The company went away while it was being read."""


class Auditor:
    """Judges merchants through one client, which its workers share."""

    def __init__(self, client: ApiClient, *, connections_list: bool, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.client = client
        self.api = SyncFlowApi(client)
        self.connections_list = connections_list
        self.page_size = page_size

    def every_company(self) -> Listing:
        """The account's companies, a page at a time (``.total`` once the first page is read)."""
        return Listing(self.client, "/companies", self.page_size, read_ahead=True)

    def of_listed(self, company: dict[str, Any]) -> Verdict:
        """A company as ``GET /companies`` listed it: its configuration (and connections list) still to read."""
        company_id, name = company.get("id"), _name(company)
        if not isinstance(company_id, str) or not company_id:
            return unreadable(str(company_id), name, "is listed without an `id`")
        return self._judged(company_id, name, company)

    def of_id(self, company_id: str) -> Verdict:
        """A company named on the command line: read it first."""
        try:
            response = self.api.get_company(company_id)
            refuse_key(response)
            if response.status_code == 404:
                return unreadable(company_id, None, "was not found (404)")
            if response.status_code != 200:
                return unreadable(company_id, None, f"could not be read: {answered(response)}")
            company = self.client.json(response)
        except (KeyRefused, RateLimited):
            raise
        except TargetError as error:
            return unreadable(company_id, None, f"could not be read: {error}", error)
        if not isinstance(company, dict):
            return unreadable(company_id, None, f"could not be read: GET /companies/{company_id} answered 200 "
                                                "with JSON that is not an object")
        return self._judged(company_id, _name(company), company)

    def verdicts(self, source: Iterable[T], judge: Callable[[T], Verdict], *, workers: int) -> Iterator[Verdict]:
        """Every verdict, in the order of ``source``, ``workers`` merchants at a time."""
        unreached = 0
        for verdict in in_order(judge, source, workers=workers):
            if isinstance(verdict.trouble, (TargetUnreachable, TargetTimedOut)):
                unreached += 1
                if unreached >= GIVE_UP_AFTER:
                    raise type(verdict.trouble)(f"{verdict.trouble} ({unreached} merchants in a row)")
            else:
                unreached = 0
            yield verdict

    def _judged(self, company_id: str, name: str | None, company: dict[str, Any]) -> Verdict:
        try:
            configuration = self._configuration(company_id)
            listed = self._connections(company_id) if self.connections_list else None
        except _Gone as gone:
            return unreadable(company_id, name, str(gone))
        except (KeyRefused, RateLimited):
            raise
        except TargetError as error:
            return unreadable(company_id, name, f"could not be read: {error}", error)
        return Verdict(company_id, name, assess(company, configuration, listed).unmet)

    def _configuration(self, company_id: str) -> dict[str, Any] | None:
        """The configuration; None when the company has none to read (it answered 404, the company 200)."""
        response = self.api.get_configuration(company_id)
        refuse_key(response)
        if response.status_code == 404:
            again = self.api.get_company(company_id)
            refuse_key(again)
            if again.status_code == 404:
                raise _Gone("was not found (404) when its configuration was read: deleted after it was listed?")
            return None
        if response.status_code != 200:
            raise TargetError(answered(response))
        body = self.client.json(response)
        if not isinstance(body, dict):
            raise TargetError(f"GET /config/companies/{company_id}/sync/commerce answered 200 with JSON that is "
                              "not an object")
        return body

    def _connections(self, company_id: str) -> list[dict[str, Any]]:
        try:
            return list(Listing(self.client, f"/companies/{company_id}/connections", CONNECTIONS_PAGE_SIZE))
        except NotOffered as missing:
            if missing.status == 404:
                raise _Gone("was not found (404) when its connections were listed: deleted after it was "
                            "listed?") from None
            raise


def _name(company: dict[str, Any]) -> str | None:
    name = company.get("name")
    return name if isinstance(name, str) else None


def audit(auditor: Auditor, company_ids: Iterable[str] | None, *, workers: int,
          each: Callable[[Verdict, int | None], None]) -> Summary:
    """Judge every company of the account (``company_ids`` None) or the ones named, ``workers`` at a time;
    ``each(verdict, total)`` sees every verdict in order (``total``: how many the account said it holds)."""
    summary = Summary()
    listing = auditor.every_company() if company_ids is None else None
    source: Iterable[Any] = listing if listing is not None else company_ids or ()
    judge: Callable[[Any], Verdict] = auditor.of_listed if listing is not None else auditor.of_id
    for verdict in auditor.verdicts(source, judge, workers=workers):
        summary.add(verdict)
        each(verdict, listing.total if listing is not None else None)
    return summary
