"""What a live run created on the target, and deleting it when the run ends (RUN-2).

:class:`Created` watches every answer of the run's clients: each 2xx to
``POST /companies`` or ``POST /webhooks`` is something the run created, so
what a target accepted that it should have refused (a company created
without the key, a generated body) is deleted too, not only what the steps
meant to create; each 2xx to a ``DELETE`` of one of those (the model deletes
what each of its sequences made) is something already gone.

:func:`tidy` deletes it all at the end of the run – after the last scenario,
after Ctrl-C or SIGTERM, after a failure once anything was created – a few
at a time, through :class:`~sfc_conformance.core.account.Deleter`, the deleter
``sfc-conformance cleanup`` uses.  A run that was interrupted may have been
stopped between the target creating something and the answer arriving, so
it also looks for its own marks on the account (:func:`marked_by`), as
``cleanup`` would, and deletes what it finds too.  With ``--keep`` it deletes nothing and
lists what it kept, in the lines ``cleanup --dry-run`` prints.  A target
without the optional delete calls still conforms: that is said once per
kind, and what was left is listed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.account import (
    COMPANY,
    KINDS,
    PLURAL,
    SUBSCRIPTION,
    Deleter,
    Leftover,
    Outcome,
    RunId,
    Sweeper,
    run_of_company,
    run_of_webhook_url,
)
from sfc_conformance.core.errors import TargetError
from sfc_conformance.core.http import ApiClient, in_order
from sfc_conformance.core.secrets import redact

_CREATING: Final = {"/companies": COMPANY, "/webhooks": SUBSCRIPTION}
INTERRUPTED: Final = "interrupted before it was deleted"
UNMARKED: Final = "not marked as this run's: `sfc-conformance cleanup` will not find it"


class Created:
    """Everything the target said the run created, in order; safe to share between threads."""

    def __init__(self, run: RunId, base_url: str) -> None:
        self.run = run
        self._base = urlsplit(base_url)
        self._items: dict[tuple[str, str], Leftover] = {}
        self._gone: set[tuple[str, str]] = set()  # deleted during the run
        self._lock = threading.Lock()

    def hook(self, response: httpx.Response) -> None:
        """An httpx response hook: a 2xx to a creating call is remembered, a 2xx to deleting it too."""
        request = response.request
        if request.method not in ("POST", "DELETE") or not 200 <= response.status_code < 300:
            return
        url = urlsplit(str(request.url))
        if url.netloc != self._base.netloc:
            return
        path = url.path[len(self._base.path.rstrip("/")):].rstrip("/")
        if request.method == "DELETE":
            collection, _, gone = path.rpartition("/")
            if collection in _CREATING:
                with self._lock:
                    self._gone.add((_CREATING[collection], gone))
            return
        kind = _CREATING.get(path)
        if kind is None:
            return
        response.read()
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        ident = body.get("id") if isinstance(body, dict) else None
        if isinstance(ident, str) and ident:
            self.add(kind, ident, str(body.get("name") if kind == COMPANY else body.get("url")))

    def add(self, kind: str, ident: str, label: str) -> None:
        run = run_of_company(label) if kind == COMPANY else run_of_webhook_url(label)
        with self._lock:
            self._items.setdefault((kind, ident), Leftover(kind, ident, redact(label), run))

    def items(self) -> list[Leftover]:
        """What is still there: subscriptions first, then companies, each in the order they were created."""
        with self._lock:
            found = [item for key, item in self._items.items() if key not in self._gone]
        return sorted(found, key=lambda item: KINDS.index(item.kind))

    def deleted(self) -> Counter[str]:
        """What the run created and deleted itself before its end, by kind."""
        with self._lock:
            return Counter(kind for kind, ident in self._items if (kind, ident) in self._gone)

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(1 for k, _ in self._items if k == kind)


@dataclass
class Tidied:
    """What the end of a run did with what it created."""

    created: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    left: list[Outcome] = field(default_factory=list)
    kept: list[Leftover] = field(default_factory=list)
    not_offered: dict[str, str] = field(default_factory=dict)  # kind -> why the target cannot delete it
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Nothing the run created is left on the target."""
        return not self.left and not self.kept

    def lines(self) -> list[str]:
        """The run's account of itself, for the terminal and the report."""
        lines: list[str] = []
        if self.kept:
            lines += [f"kept     {item.shown}{_unmarked(item)}" for item in self.kept]
        for kind, why in sorted(self.not_offered.items(), key=lambda pair: KINDS.index(pair[0])):
            lines.append(f"{PLURAL[kind]}: {why}, one of the profile's optional calls; the target still conforms, "
                         f"and the {PLURAL[kind]} listed `left` are still there")
        for outcome in self.left:
            lines.append(f"left     {outcome.leftover.shown}  ({outcome.note}){_unmarked(outcome.leftover)}")
        for kind in KINDS:
            created, deleted = self.created[kind], self.deleted[kind]
            if self.kept:
                kept = sum(1 for item in self.kept if item.kind == kind)
                lines.append(f"{PLURAL[kind] + ':':<14} created {created}, kept {kept} (--keep)"
                             + (f", {deleted} deleted during the run" if deleted else ""))
            else:
                lines.append(f"{PLURAL[kind] + ':':<14} created {created}, deleted {deleted}, left {created - deleted}")
        if self.kept:
            lines.append("`sfc-conformance cleanup --dry-run` lists them; `sfc-conformance cleanup` deletes them")
        elif any(self.created.values()):
            lines.append(f"deleting took {self.seconds:.1f} s")
        return [redact(line) for line in lines]


def marked_by(run: RunId, client: ApiClient, now: datetime) -> list[Leftover]:
    """What the account holds with ``run``'s mark; nothing when the target cannot list it (optional calls)."""
    sweeper = Sweeper(client, older_than=None, now=now)
    try:
        return [found for found in sweeper.find() if found.run == run]
    except (TargetError, KeyboardInterrupt):  # cannot tell, or asked again to stop: what the run saw is all
        return []


def _unmarked(item: Leftover) -> str:
    return "" if item.run is not None else f"  ({UNMARKED})"


def tidy(created: list[Leftover], client: ApiClient, *, keep: bool, workers: int,
         deleted_already: Counter[str] | None = None) -> Tidied:
    """Delete ``created`` with ``workers`` requests in flight, or keep it all (``--keep``); ``deleted_already``:
    what the run created and deleted before its end (counted as created and deleted)."""
    deleted_already = deleted_already or Counter()
    tidied = Tidied(created=Counter(item.kind for item in created) + deleted_already,
                    deleted=Counter(deleted_already))
    if keep:
        tidied.kept = list(created)
        return tidied
    start = time.monotonic()
    deleter = Deleter(client)
    done: set[Leftover] = set()

    def remove(item: Leftover) -> Outcome:
        try:
            return deleter.remove(item)
        except TargetError as error:  # an unreachable or failing target: this one is left, the rest is tried
            return Outcome(item, False, str(error))

    try:
        for outcome in in_order(remove, created, workers=workers):
            done.add(outcome.leftover)
            if outcome.deleted:
                tidied.deleted[outcome.leftover.kind] += 1
            else:
                tidied.left.append(outcome)
    except KeyboardInterrupt:  # a second Ctrl-C: stop deleting, say what is left
        tidied.left += [Outcome(item, False, INTERRUPTED) for item in created if item not in done]
    tidied.not_offered = dict(deleter.undeletable)
    tidied.seconds = time.monotonic() - start
    return tidied
