"""Calls on a company's syncs: request one, for the latest data or a date range (DEL-2, SYNC-3); read the latest,
the list, one by id and the last successful (SYNC-1, SYNC-2, DEL-2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed
from sfc_conformance.model.calls import Calls, choose, new_id, pick
from sfc_conformance.model.holdings import SYNCS, ModelCompany, SyncSeen
from sfc_conformance.model.judging import Answer, short

SUCCESS: Final = frozenset({2000, 2040})  # SYNC-2: the codes of a sync that succeeded
VALID_RANGE: Final = "a valid range"
# SYNC-3: the kinds of date range, each a body from (start, finish).
RANGE_KINDS: Final[dict[str, Callable[[datetime, datetime], dict[str, Any]]]] = {
    VALID_RANGE: lambda start, finish: {"dateRange": {"start": iso(start), "finish": iso(finish)}},
    "no start": lambda start, finish: {"dateRange": {"finish": iso(finish)}},
    "no finish": lambda start, finish: {"dateRange": {"start": iso(start)}},
    "no range at all": lambda start, finish: {},
    "a start that is not a date-time": lambda start, finish: {"dateRange": {"start": "last Tuesday",
                                                                            "finish": iso(finish)}},
    "the finish before the start": lambda start, finish: {"dateRange": {"start": iso(finish), "finish": iso(start)}},
    "the start equal to the finish": lambda start, finish: {"dateRange": {"start": iso(start), "finish": iso(start)}},
}
RANGE_STARTS: Final = st.datetimes(datetime(2020, 1, 1), datetime(2026, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def instant(value: Any) -> datetime | None:
    """A date-time as the target wrote it, as an instant (None if it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC).replace(microsecond=0)


class SyncCalls(Calls):
    def request_sync(self, data: st.DataObject, company: ModelCompany | None = None) -> None:
        ident = company.id if company else ""
        if company is None:
            company, ident = self.target(data)
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"request a sync for {who}" + (" (deleted)" if company and company.deleted else ""))
        self.reached(company, "request sync")
        answer = self.send("POST", f"/companies/{ident}/sync/commerce/latest", json_body={"syncTo": None},
                           server_error="DEL-2" if company and company.severed else "API-5")
        if company is None or company.deleted:
            self.under_no_company(answer, f"requesting a sync for {who}")
            return
        self.expect(answer, allowed.SYNC_REQUEST, f"requesting a sync for {who}")
        if answer.ok:
            code = answer.json.get("syncStatusCode")
            if company.severed:
                self.judged("DEL-2")
            if company.severed and not (isinstance(code, int) and code >= 4000):
                self.broke("DEL-2", f"{answer.line()} after {company.label}'s accounting connection was deleted "
                                    f"answered {answer.status} with syncStatusCode {code!r}: the sync succeeded")
            self.started(company, answer)
        self.blame(company, SYNCS, "SYNC-1", "a sync was requested: the latest is the newest")

    def started(self, company: ModelCompany, answer: Answer) -> None:
        """A sync the answer says started: listed from then on (SYNC-1)."""
        sync_id, code = answer.json.get("commerceSyncId"), answer.json.get("syncStatusCode")
        company.syncs.append(SyncSeen(sync_id if isinstance(sync_id, str) else None, company.severed,
                                      code if isinstance(code, int) and not isinstance(code, bool) else None))

    def request_range_sync(self, data: st.DataObject, company: ModelCompany | None = None) -> None:
        """SYNC-3: a date range needs both ends, date-times, start before finish; else 400 with `validation.errors`
        and no sync started.  A valid one answers a SyncSummary of that very range (and DEL-2 after a deletion)."""
        ident = company.id if company else ""
        if company is None:
            company, ident = self.target(data)
        kind = choose(data, list(RANGE_KINDS))
        start = data.draw(RANGE_STARTS)
        finish = start + timedelta(hours=data.draw(st.integers(1, 24 * 60)))
        body = RANGE_KINDS[kind](start, finish)
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"request a sync of a date range for {who}: {kind}")
        self.reached(company, f"request a range sync ({'valid' if kind == VALID_RANGE else 'invalid'})")
        self.run.reach.value("date ranges", kind)
        answer = self.send("POST", f"/meta/companies/{ident}/sync/commerce/historic", json_body=body,
                           server_error="DEL-2" if company and company.severed else "API-5")
        if company is None or company.deleted:
            self.under_no_company(answer, f"requesting a sync of a date range for {who}")
            return
        if kind != VALID_RANGE:
            self.expect(answer, allowed.BAD_RANGE, f"requesting a sync of {kind}")
            errors = (answer.json.get("validation") or {}).get("errors") if isinstance(
                answer.json.get("validation"), dict) else None
            if not (isinstance(errors, list) and errors):
                self.broke("SYNC-3", f"{answer.line()} refused {kind} without `validation.errors`: "
                                     f"{answer.response.text[:200]}")
            return
        self.expect(answer, allowed.SYNC_REQUEST, f"requesting a sync of a date range for {who}")
        if not answer.ok:
            return
        self.judged("SYNC-3")
        said = answer.json.get("syncDateRangeUtc")
        shown: dict[str, Any] = said if isinstance(said, dict) else {}
        if (instant(shown.get("start")), instant(shown.get("finish"))) != (start, finish):
            self.broke("SYNC-3", f"{answer.line()} answered `syncDateRangeUtc` {shown!r}, not the range asked for "
                                 f"({body['dateRange']})")
        code = answer.json.get("syncStatusCode")
        if company.severed:
            self.judged("DEL-2")
            if not (isinstance(code, int) and code >= 4000):
                self.broke("DEL-2", f"{answer.line()} after {company.label}'s accounting connection was deleted "
                                    f"answered syncStatusCode {code!r}: the sync succeeded")
        self.started(company, answer)
        self.blame(company, SYNCS, "SYNC-1", "a sync of a date range was requested: it is listed, and the newest")

    def read_history(self, data: st.DataObject, company: ModelCompany | None, tail: str, said: tuple[str, str],
                     reach: str) -> tuple[ModelCompany, str, Answer] | None:
        """A read of a company's sync history (``/sync/commerce/syncs/{tail}``): of ``company``, or of one drawn,
        unknown ones among them.  None once an answer for no company (unknown or deleted) has been judged."""
        ident = company.id if company else ""
        if company is None:
            company, ident = self.target(data)
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"{said[0]} of {who}")
        self.reached(company, reach)
        answer = self.send("GET", f"/companies/{ident}/sync/commerce/syncs/{tail}")
        if company is None or company.deleted:
            self.under_no_company(answer, f"{said[1]} of {who}")
            return None
        return company, who, answer

    def list_syncs(self, data: st.DataObject, company: ModelCompany | None = None) -> None:
        """SYNC-1: every sync the run started is listed, once, with the code it started with."""
        read = self.read_history(data, company, "list/status", ("list the syncs", "listing the syncs"), "list syncs")
        if read is None:
            return
        company, who, answer = read
        rule = company.blamed(SYNCS, "SYNC-1").rule
        known = [s for s in company.syncs if s.id is not None]
        self.expect(answer, allowed.exactly(200, rule, allowed.SYNC_LIST.why) if known else allowed.SYNC_LIST_NONE,
                    f"listing the syncs of {who}")
        if not answer.ok:
            return
        items = answer.body if isinstance(answer.body, list) else []
        ids = [item.get("syncId") for item in items if isinstance(item, dict)]
        self.judged(rule)
        for seen in known:
            if ids.count(seen.id) != 1:
                self.broke(rule, f"{answer.line()} lists sync {seen.id!r} {ids.count(seen.id)} times, not once")
            code = next(item.get("syncStatusCode") for item in items if isinstance(item, dict)
                        and item.get("syncId") == seen.id)
            if seen.code is not None and code != seen.code:
                self.broke(rule, f"{answer.line()} lists sync {seen.id!r} with syncStatusCode {code!r}; it started "
                                 f"with {seen.code}")
        for ident_seen in ids:  # the target's own syncs (its schedule) are listed too: the model learns them
            if isinstance(ident_seen, str) and ident_seen not in {s.id for s in company.syncs}:
                company.syncs.insert(0, SyncSeen(ident_seen, after_deletion=False, ordered=False))

    def read_sync(self, data: st.DataObject, company: ModelCompany | None = None,
                  seen: SyncSeen | None = None) -> None:
        """SYNC-1: a listed sync's own status says what the history says; an id it never listed answers 404."""
        ident = company.id if company else ""
        if company is None:
            company, ident = self.target(data, unknown=False)
            known = [s for s in company.syncs if s.id is not None] if company else []
            if known and choose(data, ["known", "known", "unknown"]) == "known":
                seen = pick(data, known)
        sync_id = seen.id if seen else new_id(data)
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"read sync {short(str(sync_id))} of {who}" + ("" if seen else ", which it never ran"))
        self.reached(company, "read a sync" + ("" if seen else " (unknown id)"))
        answer = self.send("GET", f"/companies/{ident}/sync/commerce/syncs/{sync_id}/status")
        if company is None or company.deleted:
            self.under_no_company(answer, f"reading a sync of {who}")
            return
        if seen is None:
            self.expect(answer, allowed.UNKNOWN_SYNC, f"reading sync {short(str(sync_id))}, which {who} never ran")
            return
        self.expect(answer, allowed.READ_SYNC, f"reading sync {short(str(sync_id))} of {who}")
        if answer.json.get("syncId") not in (None, sync_id):
            self.broke("SYNC-1", f"{answer.line()} answered sync {answer.json.get('syncId')!r}, not {sync_id!r}")
        code = answer.json.get("syncStatusCode")
        if seen.code is not None and code != seen.code:
            self.broke("SYNC-1", f"{answer.line()} says syncStatusCode {code!r}; the sync started with {seen.code}")

    def last_successful(self, data: st.DataObject, company: ModelCompany | None = None) -> None:
        """SYNC-2: the newest sync whose code is a success, or 404 while none succeeded; never one started after the
        accounting connection was deleted."""
        read = self.read_history(data, company, "lastSuccessful/status",
                                 ("read the last successful sync", "reading the last successful sync"),
                                 "last successful sync")
        if read is None:
            return
        company, who, answer = read
        succeeded = [s for s in company.syncs if s.code in SUCCESS]
        self.expect(answer, allowed.LAST_SUCCESSFUL if succeeded else allowed.LAST_SUCCESSFUL_MAYBE,
                    f"reading the last successful sync of {who}")
        if not answer.ok:
            return
        shown, code = answer.json.get("syncId"), answer.json.get("syncStatusCode")
        self.judged("SYNC-2")
        if code not in SUCCESS:
            self.broke("SYNC-2", f"{answer.line()} answered a sync with syncStatusCode {code!r}, not a success")
        late = next((s for s in company.syncs if s.id == shown and s.after_deletion), None)
        if late is not None:
            self.broke("SYNC-2", f"{answer.line()} answered sync {shown!r}, which started after {company.label}'s "
                                 "accounting connection was deleted")
        older = [s.id for s in succeeded[:-1] if s.id is not None]
        if succeeded and shown in older:
            self.broke("SYNC-2", f"{answer.line()} answered sync {shown!r}, older than the newest that succeeded "
                                 f"({succeeded[-1].id})")

    def latest_sync(self, data: st.DataObject) -> None:
        company, ident = self.target(data)
        who = f"company {company.label}" if company else f"unknown company {ident}"
        self.say(f"read the latest sync status of {who}" + (" (deleted)" if company and company.deleted else ""))
        self.reached(company, "latest sync")
        if company is None or company.deleted:
            self.under_no_company(self.send("GET", f"/companies/{ident}/sync/commerce/syncs/latest/status"),
                                  f"reading the latest sync of {who}")
            return
        self.check_latest(company, who)

    def check_latest(self, company: ModelCompany, who: str) -> None:
        """SYNC-1: the latest sync status is the company's newest sync: 404 while none ran, never one older than the
        newest the run started (a sync the target ran of its own accord, unseen, may be newer); DEL-2: a sync the run
        started after the accounting connection was deleted is not Complete."""
        answer = self.send("GET", f"/companies/{company.id}/sync/commerce/syncs/latest/status")
        rule = company.blamed(SYNCS, "SYNC-1").rule
        if company.syncs:
            self.expect(answer, allowed.exactly(200, rule, allowed.LATEST_SYNC.why),
                        f"reading the latest sync of {who}")
        else:  # none started by the run: 404, or one the target ran itself
            self.expect(answer, allowed.one_of({200, 404}, rule, allowed.NO_SYNC_YET.why),
                        f"reading the latest sync of {who}, none requested")
        if not answer.ok:
            return
        shown, of = answer.json.get("syncId"), answer.json.get("companyId")
        if of is not None and of != company.id:
            self.broke(rule, f"{answer.line()} answered a sync of company {of!r}, not {company.label}")
        known = [s.id for s in company.syncs if s.id is not None and s.ordered]
        if shown in known[:-1]:
            self.broke(rule, f"{answer.line()} answered sync {shown!r}, older than the newest the run started "
                             f"({known[-1]})")
        seen = next((s for s in company.syncs if s.id is not None and s.id == shown), None)
        if seen is not None and seen.after_deletion and answer.json.get("syncStatus") == "Complete":
            self.broke("DEL-2", f"{answer.line()} says sync {shown!r}, which started after {company.label}'s "
                                "accounting connection was deleted, is Complete")
        if seen is None and shown is not None:  # newer than any the run started: the target's own
            company.syncs.append(SyncSeen(str(shown), after_deletion=False))
        elif seen is not None and not seen.ordered:  # the newest now: its place is known from here on
            company.syncs.remove(seen)
            seen.ordered = True
            company.syncs.append(seen)
