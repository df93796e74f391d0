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
said so, once, and left (:mod:`sfc_conformance.core.account._deletion`, which the end of
every live run shares).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sfc_conformance.core.account._deletion import (
    COMPANY,
    KINDS,
    LIST_PATH,
    NOT_OFFERED,
    PAGE_SIZE,
    PLURAL,
    SUBSCRIPTION,
    Deleter,
    Leftover,
    Outcome,
)
from sfc_conformance.core.account._run_identity import run_of_company, run_of_webhook_url
from sfc_conformance.core.http import ApiClient, Listing, NotOffered
from sfc_conformance.core.secrets import redact

__all__ = ["COMPANY", "KINDS", "NOT_OFFERED", "PLURAL", "SUBSCRIPTION", "Leftover", "Outcome", "Sweeper",
           "parse_age"]


class Sweeper(Deleter):
    """Finds what earlier runs left (:meth:`find`) and deletes it (:meth:`~Deleter.remove`)."""

    def __init__(self, client: ApiClient, *, older_than: timedelta | None, now: datetime) -> None:
        super().__init__(client)
        self.cutoff = None if older_than is None else now - older_than
        self.unlisted: dict[str, str] = {}  # kind -> why the target could not list it

    def find(self) -> Iterator[Leftover]:
        """Everything of ours the target lists, kind by kind; a kind the target does not list is noted."""
        for kind in KINDS:
            listing = Listing(self.client, LIST_PATH[kind], PAGE_SIZE, read_ahead=True)
            try:
                for item in listing:
                    found = self._ours(kind, item)
                    if found is not None:
                        yield found
            except NotOffered as missing:
                self.unlisted[kind] = f"{missing}, one of the profile's optional calls"

    def _ours(self, kind: str, item: dict[str, object]) -> Leftover | None:
        ident = item.get("id")
        label = item.get("name") if kind == COMPANY else item.get("url")
        run = run_of_company(label) if kind == COMPANY else run_of_webhook_url(label)
        if run is None or not isinstance(ident, str) or not ident:
            return None
        if self.cutoff is not None and run.started > self.cutoff:
            return None
        return Leftover(kind, ident, redact(str(label)), run)


def parse_age(text: str) -> timedelta:
    """``30m``, ``1h``, ``2d``: how old a run's leftovers must be to go."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise ValueError(f"{text!r} is not an age such as 30m, 1h or 2d")
    return timedelta(**{units[unit]: int(number)})

