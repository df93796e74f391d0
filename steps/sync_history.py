"""Sync history steps (SYNC-1..3): every sync listed, read by id, the latest, the last successful, date ranges.

The syncs a scenario's requests started are kept in order (``requested_syncs``):
the list's order is the target's, so which sync is the newest is read from
their start times and from the order the run requested them in
(:mod:`sfc_conformance.core.profile._sync_history`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pytest_bdd import parsers, then, when

from sfc_conformance.core.clock import Clock, isoformat
from sfc_conformance.core.profile import (
    Listed,
    entry_of,
    last_successful_problems,
    latest_problems,
    range_problems,
)
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.target_api import TargetApi

from .common import error_message

# The ranges SYNC-3 refuses, by name: the body each sends (``start``/``finish`` filled in by the step).
INVALID_RANGES: dict[str, Any] = {
    "no dateRange": {},
    "no start": {"dateRange": {"finish": "{finish}"}},
    "no finish": {"dateRange": {"start": "{start}"}},
    "start after finish": {"dateRange": {"start": "{finish}", "finish": "{start}"}},
    "start equal to finish": {"dateRange": {"start": "{start}", "finish": "{start}"}},
    "start not a date-time": {"dateRange": {"start": "the day before yesterday", "finish": "{finish}"}},
}


@pytest.fixture
def requested_syncs() -> list[str]:
    """The ids of the syncs the scenario's requests started, oldest first."""
    return []


def _midnight(moment: datetime, days_ago: int) -> datetime:
    return (moment - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0, microsecond=0)


def _started(api: TargetApi, answer: httpx.Response, requested_syncs: list[str], what: str) -> dict[str, Any]:
    summary = api.expect(answer, 200, what)
    sync_id = summary.get("commerceSyncId") if isinstance(summary, dict) else None
    assert isinstance(sync_id, str) and sync_id, f"{what}: the SyncSummary names no commerceSyncId: {summary}"
    requested_syncs.append(sync_id.lower())
    return dict(summary)


@when("the partner requests a sync for the day before yesterday", target_fixture="date_range")
def _(api: TargetApi, clock: Clock, merchant: Merchant, requested_syncs: list[str]) -> dict[str, Any]:
    now = clock.now()
    sent = {"start": isoformat(_midnight(now, 2)), "finish": isoformat(_midnight(now, 1))}
    answer = api.request_sync_for_range(merchant.company_id, {"dateRange": sent})
    return {"sent": sent, "summary": _started(api, answer, requested_syncs, "requesting a sync for a date range")}


@when("the partner requests a sync up to now")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str]) -> None:
    answer = api.request_sync(merchant.company_id)
    if answer.status_code == 200:  # a refusal (after a deletion) starts nothing
        _started(api, answer, requested_syncs, "requesting a sync")
    elif answer.status_code >= 500:
        raise AssertionError(f"requesting a sync answered {answer.status_code}: {answer.text[:300]}")


@when("the partner reads the sync history", target_fixture="history_before")
def _(api: TargetApi, merchant: Merchant) -> list[Listed]:
    return api.syncs(merchant)


@then("the history lists every sync requested")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str]) -> None:
    """SYNC-1: every sync a request started is listed from then on (read twice)."""
    assert requested_syncs, "no sync was started to look for"
    for read in ("first", "second"):
        listed = {entry.sync_id for entry in api.syncs(merchant)}
        missing = [sync_id for sync_id in requested_syncs if sync_id not in listed]
        assert not missing, f"the {read} read of the history does not list the sync(s) requested: {missing}"


@then("the latest sync status is the newest sync of the history")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str]) -> None:
    """SYNC-1: `…/syncs/latest/status` answers the newest entry of `…/syncs/list/status`."""
    before = api.syncs(merchant)
    latest = entry_of(api.expect(api.latest_sync(merchant.company_id), 200, "reading the latest sync status"))
    after = api.syncs(merchant)
    assert latest is not None, "the latest sync status names no syncId"
    problems = latest_problems(before, latest, after, requested_syncs)
    assert not problems, "; ".join(problems)


@then("each listed sync reads by its id with the code the history lists")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str]) -> None:
    """SYNC-1: each listed syncId answers `…/syncs/{syncId}/status` with the same syncStatusCode (the syncs the
    scenario requested, and up to 20 others)."""
    listed = api.syncs(merchant)
    ours = [entry for entry in listed if entry.sync_id in requested_syncs]
    chosen = ours + [entry for entry in listed if entry not in ours][-20:]
    for entry in chosen:
        read = entry_of(api.expect(api.sync_by_id(merchant.company_id, entry.sync_id), 200,
                                   f"reading sync {entry.sync_id} by its id"))
        assert read is not None and read.sync_id == entry.sync_id, f"sync {entry.sync_id} read by its id is {read}"
        assert read.code == entry.code, (f"sync {entry.sync_id} reads with syncStatusCode {read.code!r}, the history "
                                         f"lists {entry.code!r}")


@then("a sync id the history does not list answers 404 with an ErrorMessage")
def _(api: TargetApi, merchant: Merchant) -> None:
    """SYNC-1: an unknown syncId answers 404, as an ErrorMessage."""
    listed = {entry.sync_id for entry in api.syncs(merchant)}
    unknown = next(str(uuid.UUID(int=n, version=4)) for n in range(7, 99) if str(uuid.UUID(int=n, version=4))
                   not in listed)
    answer = api.sync_by_id(merchant.company_id, unknown)
    assert answer.status_code == 404, (f"sync {unknown}, which the history does not list, answered "
                                       f"{answer.status_code}, not 404: {answer.text[:300]}")
    error_message(api, answer)


def _judge_last_successful(api: TargetApi, merchant: Merchant, requested_syncs: list[str],
                           after_deletion: set[str]) -> None:
    listed = api.syncs(merchant)
    answer = api.last_successful_sync(merchant.company_id)
    body = api.json(answer) if answer.content else None
    problems = last_successful_problems(listed, answer.status_code, body, requested_syncs, after_deletion)
    if not problems and answer.status_code == 404:
        error_message(api, answer)
    if problems and answer.status_code == 200:  # the history may have grown in between: judged on a fresh read
        problems = last_successful_problems(api.syncs(merchant), 200, body, requested_syncs, after_deletion)
    assert not problems, "; ".join(problems)


@then("the last successful sync is the newest listed sync that succeeded, or 404 when none did")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str]) -> None:
    """SYNC-2: `…/syncs/lastSuccessful/status` answers the newest listed success (2000 or 2040), or 404 with an
    ErrorMessage when none succeeded."""
    _judge_last_successful(api, merchant, requested_syncs, set())


@then("the last successful sync is still the newest success, and none started after the deletion")
def _(api: TargetApi, merchant: Merchant, requested_syncs: list[str], history_before: list[Listed]) -> None:
    """SYNC-2: after the accounting connection was deleted, the last successful sync is still the newest listed
    success, and never a sync that started after the deletion."""
    listed = api.syncs(merchant)
    after_deletion = {entry.sync_id for entry in listed} - {entry.sync_id for entry in history_before}
    _judge_last_successful(api, merchant, requested_syncs, after_deletion)


@then("the answer is a SyncSummary whose syncDateRangeUtc is that range")
def _(date_range: dict[str, Any]) -> None:
    """SYNC-3: a valid range answers a SyncSummary whose syncDateRangeUtc is the range asked for."""
    problems = range_problems(date_range["sent"], date_range["summary"])
    assert not problems, "; ".join(problems)


@when(parsers.parse("the partner requests syncs for the date ranges {ranges}"), target_fixture="refused_ranges")
def _(api: TargetApi, clock: Clock, merchant: Merchant, ranges: str) -> dict[str, Any]:
    now = clock.now()
    start, finish = isoformat(_midnight(now, 2)), isoformat(_midnight(now, 1))
    before = {entry.sync_id for entry in api.syncs(merchant)}
    answers = {}
    for name in (part.strip() for part in ranges.replace(" and ", ", ").split(",")):
        body = _filled(INVALID_RANGES[name], start, finish)
        answers[name] = api.request_sync_for_range(merchant.company_id, body)
    return {"before": before, "answers": answers}


def _filled(template: Any, start: str, finish: str) -> Any:
    if isinstance(template, dict):
        return {key: _filled(value, start, finish) for key, value in template.items()}
    return template.format(start=start, finish=finish) if isinstance(template, str) else template


@then("each is refused with 400 and validation errors, and no sync was started")
def _(api: TargetApi, merchant: Merchant, refused_ranges: dict[str, Any]) -> None:
    """SYNC-3: a date-range sync without both ends as date-times, start before finish, answers 400 with
    validation.errors, and starts no sync."""
    wrong = []
    for name, answer in refused_ranges["answers"].items():
        if answer.status_code != 400:
            wrong.append(f"{name}: {answer.status_code} {answer.text[:120]}")
            continue
        errors = (error_message(api, answer).get("validation") or {}).get("errors")
        if not errors:
            wrong.append(f"{name}: the 400 ErrorMessage carries no validation.errors")
    assert not wrong, "date ranges not refused as SYNC-3 asks: " + "; ".join(wrong)
    started = {entry.sync_id for entry in api.syncs(merchant)} - refused_ranges["before"]
    assert not started, f"the refused date ranges started {len(started)} sync(s): {sorted(started)}"
