"""Deleting what live runs created, one company or subscription at a time (RUN-2, RUN-3).

Shared by the end of every live run (what the run itself created) and
``sfc-conformance cleanup`` (what earlier runs left).  Deleting a company and
deleting a subscription are optional calls of the profile: a target without
them (404 or 405) still conforms, so the first such answer is remembered per
kind, said once, and what could not be deleted is left and listed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from sfc_conformance.core.account._run_identity import RunId
from sfc_conformance.core.errors import TargetError
from sfc_conformance.core.http import ApiClient, Listing, answered, refuse_key
from sfc_conformance.core.secrets import redact

COMPANY: Final = "company"
SUBSCRIPTION: Final = "subscription"
KINDS: Final = (SUBSCRIPTION, COMPANY)  # subscriptions first: no event goes to a dead receiver meanwhile
PLURAL: Final = {COMPANY: "companies", SUBSCRIPTION: "subscriptions"}
PAGE_SIZE: Final = 250
NOT_OFFERED: Final = "the target does not offer the delete"
DELETE_CALL: Final = {COMPANY: "DELETE /companies/{companyId}", SUBSCRIPTION: "DELETE /webhooks/{webhookId}"}
LIST_PATH: Final = {COMPANY: "/companies", SUBSCRIPTION: "/webhooks"}


@dataclass(frozen=True)
class Leftover:
    """A company or subscription a run created (and may leave)."""

    kind: str  # COMPANY or SUBSCRIPTION
    id: str
    label: str  # the company's name, the subscription's URL (secrets masked)
    run: RunId | None  # the run its mark names; None when it carries none (a call the target should have refused)

    @property
    def path(self) -> str:
        return f"/companies/{self.id}" if self.kind == COMPANY else f"/webhooks/{self.id}"

    @property
    def shown(self) -> str:
        """One leftover in a line of output, the same everywhere: ``company ID 'name'``."""
        return redact(f"{self.kind} {self.id} {self.label!r}")


@dataclass(frozen=True)
class Outcome:
    leftover: Leftover
    deleted: bool
    note: str  # "deleted", "already gone", or why it was left


class Deleter:
    """Deletes one leftover at a time; safe to share between worker threads."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.undeletable: dict[str, str] = {}  # kind -> why the target cannot delete it
        self._lock = threading.Lock()

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
                self.undeletable.setdefault(leftover.kind, f"{DELETE_CALL[leftover.kind]} answered {status}: "
                                                           "the target does not offer it")
            return Outcome(leftover, False, NOT_OFFERED)
        return Outcome(leftover, False, answered(response))

    def _still_there(self, leftover: Leftover) -> bool:
        """After a 404 to the delete: gone already, or a target without the call?"""
        if leftover.kind == COMPANY:
            answer = self.client.request("GET", leftover.path)
            refuse_key(answer)
            return answer.status_code != 404
        try:
            return any(item.get("id") == leftover.id
                       for item in Listing(self.client, LIST_PATH[SUBSCRIPTION], PAGE_SIZE))
        except TargetError:
            return True  # cannot tell: say it was left, not that it went
