"""What earlier live runs left on a target, found by the marks every run puts on what it creates,
and removed (RUN-3).

A company is ours when its name is a run's (``run_identity.run_of_company``),
a subscription when its URL carries a run's ``sfcRun``
(``run_identity.run_of_webhook_url``); nothing else is ever touched.  The run
id carries its start time, so ``older_than`` leaves the recent runs alone
(one may still be going).

Everything of ours is found first (listing pages move under deletions, so
deleting while listing would skip some), then deleted.  Deleting a company and
listing or deleting subscriptions are optional calls of the profile: a target
without them (404 or 405) still conforms, and what could not be deleted is
said so, once, and left.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .client import ApiClient, answered, refuse_key
from .errors import TargetError
from .listing import Listing, NotOffered
from .run_identity import RunId, run_of_company, run_of_webhook_url
from .secrets import redact

COMPANY: Final = "company"
SUBSCRIPTION: Final = "subscription"
KINDS: Final = (SUBSCRIPTION, COMPANY)  # subscriptions first: no event goes to a dead receiver meanwhile
PLURAL: Final = {COMPANY: "companies", SUBSCRIPTION: "subscriptions"}
PAGE_SIZE: Final = 250
NOT_OFFERED: Final = "the target does not offer the delete"
_DELETE_CALL: Final = {COMPANY: "DELETE /companies/{companyId}", SUBSCRIPTION: "DELETE /webhooks/{webhookId}"}
_LIST_PATH: Final = {COMPANY: "/companies", SUBSCRIPTION: "/webhooks"}


@dataclass(frozen=True)
class Leftover:
    kind: str  # COMPANY or SUBSCRIPTION
    id: str
    label: str  # the company's name, the subscription's URL (secrets masked)
    run: RunId

    @property
    def path(self) -> str:
        return f"/companies/{self.id}" if self.kind == COMPANY else f"/webhooks/{self.id}"


@dataclass(frozen=True)
class Outcome:
    leftover: Leftover
    deleted: bool
    note: str  # "deleted", "already gone", or why it was left


class Sweeper:
    def __init__(self, client: ApiClient, *, older_than: timedelta | None, now: datetime) -> None:
        self.client = client
        self.cutoff = None if older_than is None else now - older_than
        self.unlisted: dict[str, str] = {}  # kind -> why the target could not list it
        self.undeletable: dict[str, str] = {}  # kind -> why the target cannot delete it
        self._lock = threading.Lock()

    def find(self) -> Iterator[Leftover]:
        """Everything of ours the target lists, kind by kind; a kind the target does not list is noted."""
        for kind in KINDS:
            listing = Listing(self.client, _LIST_PATH[kind], PAGE_SIZE, read_ahead=True)
            try:
                for item in listing:
                    found = self._ours(kind, item)
                    if found is not None:
                        yield found
            except NotOffered as missing:
                self.unlisted[kind] = f"{missing}, one of the profile's optional calls"

    def remove(self, leftover: Leftover) -> Outcome:
        with self._lock:
            if leftover.kind in self.undeletable:
                return Outcome(leftover, False, NOT_OFFERED)
        response = self.client.request("DELETE", leftover.path)
        refuse_key(response)
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(leftover, True, "deleted")
        if status == 404 and not self._still_there(leftover):
            return Outcome(leftover, True, "already gone")
        if status in (404, 405):
            with self._lock:
                self.undeletable.setdefault(leftover.kind, f"{_DELETE_CALL[leftover.kind]} answered {status}: "
                                                           "the target does not offer it")
            return Outcome(leftover, False, NOT_OFFERED)
        return Outcome(leftover, False, answered(response))

    def _ours(self, kind: str, item: dict[str, object]) -> Leftover | None:
        ident = item.get("id")
        label = item.get("name") if kind == COMPANY else item.get("url")
        run = run_of_company(label) if kind == COMPANY else run_of_webhook_url(label)
        if run is None or not isinstance(ident, str) or not ident:
            return None
        if self.cutoff is not None and run.started > self.cutoff:
            return None
        return Leftover(kind, ident, redact(str(label)), run)

    def _still_there(self, leftover: Leftover) -> bool:
        """After a 404 to the delete: gone already, or a target without the call?"""
        if leftover.kind == COMPANY:
            answer = self.client.request("GET", leftover.path)
            refuse_key(answer)
            return answer.status_code != 404
        try:
            return any(item.get("id") == leftover.id
                       for item in Listing(self.client, _LIST_PATH[SUBSCRIPTION], PAGE_SIZE))
        except TargetError:
            return True  # cannot tell: say it was left, not that it went


def parse_age(text: str) -> timedelta:
    """``30m``, ``1h``, ``2d``: how old a run's leftovers must be to go."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise ValueError(f"{text!r} is not an age such as 30m, 1h or 2d")
    return timedelta(**{units[unit]: int(number)})

