"""A company's sync history as the profile words it (SYNC-1..3).

    listed = read_syncs(body)                       the history's entries (``CompanySyncStatus``), or why not
    newest(listed, order)                           the entries that may be the newest
    latest_problems(before, latest, after, order)   SYNC-1: the latest status is the newest listed sync
    last_successful_problems(...)                   SYNC-2: the newest success, 404 when none, none after a deletion
    range_problems(sent, summary)                   SYNC-3: the summary's ``syncDateRangeUtc`` is the range sent

The profile leaves the list's order to the target, so which entry is the
newest is read from what is known for sure: a later ``syncUtc``, or a sync the
run requested after another (a request answered before the next one went
out).  Entries nothing tells apart may each be the newest.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

SUCCESS_CODES: Final = (2000, 2040)  # SYNC-2: what counts as a success


@dataclass(frozen=True)
class Listed:
    """One entry of the history: its id, code and start."""

    sync_id: str
    code: Any
    at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.code in SUCCESS_CODES


def instant(value: Any) -> datetime | None:
    """An ISO 8601 date-time as an aware instant (UTC when it names no zone); None for anything else."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def entry_of(body: Any) -> Listed | None:
    """A ``CompanySyncStatus`` as an entry; None without a ``syncId``."""
    if not isinstance(body, dict) or not isinstance(body.get("syncId"), str):
        return None
    return Listed(str(body["syncId"]).lower(), body.get("syncStatusCode"), instant(body.get("syncUtc")))


def read_syncs(body: Any) -> tuple[list[Listed], list[str]]:
    """The history's entries, and what keeps the answer from being a list of ``CompanySyncStatus``."""
    if not isinstance(body, list):
        return [], [f"the sync history is not a list: {str(body)[:200]}"]
    entries = [entry_of(item) for item in body]
    found = [entry for entry in entries if entry is not None]
    if len(found) != len(entries):
        return found, [f"{len(entries) - len(found)} of the history's entries carry no syncId"]
    return found, []


def _older(a: Listed, b: Listed, order: Sequence[str]) -> bool:
    """``a`` is known to have started before ``b``."""
    if a.at is not None and b.at is not None and a.at != b.at:
        return a.at < b.at
    return a.sync_id in order and b.sync_id in order and order.index(a.sync_id) < order.index(b.sync_id)


def newest(listed: Sequence[Listed], order: Sequence[str] = ()) -> list[Listed]:
    """The entries no other is known to be newer than (``order``: syncs the run requested, oldest first)."""
    order = [sync_id.lower() for sync_id in order]
    return [entry for entry in listed if not any(_older(entry, other, order) for other in listed if other != entry)]


def latest_problems(before: Sequence[Listed], latest: Listed, after: Sequence[Listed],
                    order: Sequence[str]) -> list[str]:
    """SYNC-1: the latest sync status is the newest entry of the history, read just before it or just after
    (a sync may start between the reads on a live target)."""
    for listed in (before, after):
        if latest.sync_id in {entry.sync_id for entry in newest(listed, order)}:
            return []
    ids = {entry.sync_id for entry in after}
    if latest.sync_id not in ids | {entry.sync_id for entry in before}:
        return [f"the latest sync status names sync {latest.sync_id}, which the history does not list"]
    newer = [entry.sync_id for entry in after if _older(latest, entry, [s.lower() for s in order])]
    return [f"the latest sync status names sync {latest.sync_id}, but the history lists newer ones: "
            f"{', '.join(newer[:3])}"]


def last_successful_problems(listed: Sequence[Listed], status: int, answer: Any, order: Sequence[str],
                             after_deletion: Collection[str] = ()) -> list[str]:
    """SYNC-2: the answer names the newest listed success (2000 or 2040), or is a 404 when none succeeded; it
    never names a sync of ``after_deletion`` (started after the accounting connection was deleted)."""
    successes = [entry for entry in listed if entry.succeeded]
    if status == 404:
        if successes:
            return [f"the last successful sync answered 404, but the history lists {len(successes)} successful "
                    f"sync(s), e.g. {successes[-1].sync_id} ({successes[-1].code})"]
        return []
    if status != 200:
        return [f"the last successful sync answered {status}, neither a sync nor a 404"]
    named = entry_of(answer)
    if named is None:
        return [f"the last successful sync answered no sync: {str(answer)[:200]}"]
    problems = []
    if named.sync_id in {sync_id.lower() for sync_id in after_deletion}:
        problems.append(f"the last successful sync is {named.sync_id}, which started after the accounting "
                        "connection was deleted")
    if not named.succeeded:
        problems.append(f"the last successful sync is {named.sync_id}, whose code {named.code!r} is no success "
                        f"({' or '.join(map(str, SUCCESS_CODES))})")
    elif not successes:
        problems.append(f"the last successful sync is {named.sync_id}, but the history lists no successful sync")
    elif named.sync_id not in {entry.sync_id for entry in newest(successes, order)}:
        newer = [entry.sync_id for entry in newest(successes, order)]
        problems.append(f"the last successful sync is {named.sync_id}, but the history lists a newer success: "
                        f"{', '.join(newer[:3])}")
    return problems


def range_problems(sent: Mapping[str, str], summary: Any) -> list[str]:
    """SYNC-3: the summary's ``syncDateRangeUtc`` is the range sent (the same instants, however written)."""
    answered = summary.get("syncDateRangeUtc") if isinstance(summary, dict) else None
    if not isinstance(answered, dict):
        return [f"the SyncSummary carries no syncDateRangeUtc: {str(summary)[:200]}"]
    problems = []
    for end in ("start", "finish"):
        if instant(answered.get(end)) != instant(sent[end]):
            problems.append(f"syncDateRangeUtc.{end} is {answered.get(end)!r}, not the {sent[end]!r} asked for")
    return problems
