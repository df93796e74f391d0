"""Flow URLs opened when the OTP window says: straight away, late in the window, once it has closed.

On a target whose time the suite moves, the window is walked on the target's
clock.  On a live target time is real, and a verdict must not depend on how
busy the machine is (profile, "Verdicts that do not bend"):

* **late** (OTP-1) and **just after the window closed** (OTP-2): a flow URL
  issued at the start of the run is opened by a looker of its own
  (:meth:`~.flow_viewer.FlowViewer.punctual`: its own browser, or its own
  thread), shared by these scheduled opens, at its due time whatever the run is
  doing; its scenario, run at the end, judges what it got.  The open is timed
  by when the OTP reached the target, and judged only when that timing can show
  what it showed (:meth:`Window.judged`).
* **expired** (OTP-3): the flow URLs the expiry checks need are issued at the
  start of the run, so that they share one real wait.
* **straight away**: a refusal counts only when its answer came within
  ``LIVE_VALID_WITHIN`` s of the start call's sending.

A time-critical open that missed its band is tried once more, with a flow URL
issued for the purpose, then reported as *not judged* with the figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sfc_conformance.core.account import Target
from sfc_conformance.core.profile import (
    EXPIRED_OPEN_AT,
    EXPIRED_OPEN_BAND,
    LATE_OPEN_AT,
    LATE_OPEN_BAND,
    LIVE_EXPIRED_AFTER,
    LIVE_VALID_WITHIN,
    ON_TIME_SLACK,
    OTP_WINDOW,
    late_open_due,
)
from sfc_conformance.merchant.punctual import PREROLL, PunctualOpener, Timed
from sfc_conformance.merchant.view import OPENS, UNDECIDED
from sfc_conformance.suite.flow_viewer import FlowViewer, OpenedFlow, changed_otp
from sfc_conformance.suite.merchants import FlowUrl, Merchant
from sfc_conformance.suite.progress import countdown
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.verdicts import not_judged

# A time-critical open that missed its band is tried once more, with a flow URL issued for the purpose, then
# reported as not judged (profile, "Verdicts that do not bend").
TRIES = 2
# A scheduled open's page is made ready this long before it is due (a job of the looker's own browser): time to
# make its page, and to start its navigation PREROLL s ahead, on a busy machine.
READY_AHEAD = PREROLL + 3.0


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _after_the_answer(sent: float, received: float) -> float:
    return received + EXPIRED_OPEN_AT


@dataclass(frozen=True)
class Window:
    """What a time-critical open must hit, and when its result can be judged.

    Times are measured from the start call's sending, or (``from_answer``) from its answer; ``aim`` gives the
    due time, in seconds since the epoch, from the start call's sending and answer.
    """

    what: str  # "the late open"
    rule: str
    since_what: str  # "the start call" / "the start call's answer", as the figures say it
    band: tuple[float, float]  # seconds after ``since``
    from_answer: bool
    aim: Callable[[float, float], float]

    def since(self, flow: FlowUrl) -> float:
        return _seconds(flow.received_at if self.from_answer else flow.sent_at)

    def due(self, flow: FlowUrl) -> float:
        return self.aim(_seconds(flow.sent_at), _seconds(flow.received_at))

    def judged(self, flow: FlowUrl, timed: Timed, due: float) -> bool:
        """Whether ``timed`` can be judged.  Its decisive request with the OTP (the last) must have left on time
        (never early: the looker holds it until due).  Then an open that shows the flow is judged whenever its
        answer came (OTP-1: the OTP lived at least that long; OTP-2: it lived too long), a page that showed
        neither (undecided: a busy machine may leave a page unsettled) never, and a refusal only when its answer
        came inside the band (OTP-1: within 28 s of the start call, when the OTP must still work; OTP-2: within
        33 s of its answer, so that an OTP that lives 33 s or more cannot pass)."""
        if timed.last_sent < due - ON_TIME_SLACK:
            return False
        if timed.view.judgement == OPENS:
            return True
        if timed.view.judgement == UNDECIDED:  # a page a busy machine left unsettled tells nothing: tried again
            return False
        return timed.last_answered - self.since(flow) <= self.band[1]

    def figures(self, flow: FlowUrl, timed: Timed, due: float) -> str:
        """"the late open came 27.21 s after the start call (due 27.20 s), answered by 27.25 s"."""
        since = self.since(flow)
        undecided = f" ({timed.view.reason})" if timed.view.judgement == UNDECIDED else ""
        return (f"{self.what} came {timed.last_sent - since:.2f} s after {self.since_what} (due {due - since:.2f} s), "
                f"answered by {timed.last_answered - since:.2f} s{undecided}")


LATE = Window("the late open", "OTP-1", "the start call", LATE_OPEN_BAND, from_answer=False, aim=late_open_due)
EXPIRED = Window("the expired open", "OTP-2", "the start call's answer", EXPIRED_OPEN_BAND, from_answer=True,
                 aim=_after_the_answer)


@dataclass
class ScheduledOpen:
    """A flow URL opened at its due time by the run's looker of its own, while the scenarios go on."""

    merchant: Merchant
    window: Window
    opened: OpenedFlow | None = None
    came: str = ""  # when the judged open reached the target, against its due time
    misses: list[str] = field(default_factory=list)  # every try that missed the band, with its figures
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class TimedOpens:
    """The opens the OTP window judges, each at its time (see the module's docstring)."""

    def __init__(self, viewer: FlowViewer, merchants: Merchants, target: Target, rule_notes: RuleNotes,
                 say: Callable[[str], None]) -> None:
        self._viewer = viewer
        self._merchants = merchants
        self._target = target
        self._clock = target.clock
        self._rule_notes = rule_notes
        self._say = say  # the terminal: a live run's long waits are counted down
        self.expired_pool: list[tuple[Merchant, FlowUrl]] = []
        self.scheduled: dict[str, ScheduledOpen] = {}  # by window ("OTP-1", "OTP-2")
        self._stop = threading.Event()
        self._opener: PunctualOpener | None = None
        self._opener_users = 0
        self._lead: float | None = None  # a browser app's lead, rehearsed once
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """The run is ending: a scheduled open still to come is not made."""
        self._stop.set()

    # -- at the start of a live run ------------------------------------------------------

    def prepare_expired_flows(self, count: int) -> None:
        """Live: issue the flow URLs the expiry checks need now, so their wait overlaps the run."""
        for _ in range(count):
            merchant = self._merchants.started()
            self.expired_pool.append((merchant, merchant.flow))
        if self.expired_pool and not self._viewer.has_browser:
            self._viewer.probe(self.expired_pool[0][1].url)  # a check it cannot judge then skips its wait

    def prepare_late_open(self) -> None:
        """Live OTP-1: a flow URL issued now, to reach the target late in its window (:func:`late_open_due`)."""
        self._schedule(LATE)

    def prepare_expired_open(self) -> None:
        """Live OTP-2: a flow URL issued now, to reach the target just after its window closed."""
        self._schedule(EXPIRED)

    def _schedule(self, window: Window) -> None:
        """A looker of its own (:meth:`FlowViewer.punctual`: its own browser, or its own thread), shared by the
        scheduled opens, makes each at its due time while the scenarios run, never behind their work; one that
        misses its band is tried once more with a new flow URL.  Its scenario, run at the end, judges it."""
        merchant = self._merchants.started()
        scheduled = self.scheduled[window.rule] = ScheduledOpen(merchant, window)
        if not self._viewer.has_browser:
            self._viewer.probe(merchant.flow.url)
        if self._viewer.unjudged() is not None:  # nothing here can judge it: the scenario says n/a, nothing opens
            scheduled.done.set()
            return
        with self._lock:
            if self._opener is None:
                self._opener = self._viewer.punctual()
            self._opener_users += 1
        threading.Thread(target=self._open_on_time, args=(scheduled, self._opener), daemon=True,
                         name=f"sfc-{window.rule}-open").start()

    def _rehearsed(self, opener: PunctualOpener, url: str) -> float:
        with self._lock:
            if self._lead is None:
                opener.warm()
                self._lead = opener.rehearse(changed_otp(url))  # a URL every target refuses
            return self._lead

    def _open_on_time(self, scheduled: ScheduledOpen, opener: PunctualOpener) -> None:
        window = scheduled.window
        try:
            lead = self._rehearsed(opener, scheduled.merchant.flow.url)
            for attempt in range(TRIES):
                if attempt:  # a second chance: a flow URL issued for the purpose
                    self._merchants.issue_flow_url(scheduled.merchant, f"asking for a new flow URL for {window.what}")
                flow = scheduled.merchant.flow
                due = window.due(flow)
                # A browser app's document leaves ahead of its own requests with the OTP, never in the window's
                # first 20 s.
                lead = min(lead, due - _seconds(flow.sent_at) - LATE_OPEN_BAND[0] - 0.2)
                # The page is made ready shortly before it is due, so that opens due at different times keep
                # their order in the looker's one browser.
                if self._stop.wait(max(0.0, due - lead - READY_AHEAD - time.time())):
                    return
                timed = opener.open_at(flow.url, due, lead=lead)
                figures = window.figures(flow, timed, due)
                if window.judged(flow, timed, due):
                    scheduled.opened = self._viewer.timed_open(timed)
                    scheduled.came = figures
                    flow.opened_at = scheduled.opened.opened_at
                    return
                scheduled.misses.append(figures)
                lead = opener.lead_after(timed, lead)
        except BaseException as error:  # noqa: BLE001 - shown by the scenario that judges the open
            scheduled.error = error
        finally:
            with self._lock:
                self._opener_users -= 1
                done_with_it = self._opener_users == 0
            if done_with_it:
                opener.close()
            scheduled.done.set()

    def _result(self, window: Window) -> OpenedFlow:
        """What the scheduled open of ``window`` showed, once it is in: not judged, with the figures, when both
        tries missed."""
        scheduled = self.scheduled[window.rule]
        scheduled.done.wait()
        if scheduled.error is not None:
            raise scheduled.error
        if scheduled.opened is None:
            band = f"{window.band[0]:g}–{window.band[1]:g} s"
            not_judged(f"{window.what} missed the {band} band {len(scheduled.misses)} times on this machine: "
                       + "; then ".join(scheduled.misses))
        self._rule_notes.note(window.rule, scheduled.came)
        self._viewer.keep(scheduled.opened.screenshots)
        return scheduled.opened

    # -- in the scenarios ------------------------------------------------------------------

    def late_flow(self) -> Merchant:
        """A merchant whose flow URL is to be opened late in its window: on a live target, the one
        issued at the start of the run (its open is already scheduled)."""
        return self._scheduled_merchant(LATE)

    def expiring_flow(self) -> Merchant:
        """A merchant whose flow URL is to be opened once its window has closed: on a live target, the one
        issued at the start of the run (its open is already scheduled)."""
        return self._scheduled_merchant(EXPIRED)

    def _scheduled_merchant(self, window: Window) -> Merchant:
        if self._target.capabilities.time is not None:  # the window is walked on the target's clock
            return self._merchants.started()
        if window.rule not in self.scheduled:
            raise AssertionError(f"no flow URL was issued at the start of the run for {window.what}")
        return self.scheduled[window.rule].merchant

    def open_late(self, merchant: Merchant) -> OpenedFlow:
        """The merchant's flow URL opened late in its window (OTP-1): on the target's clock, or, live, by the
        looker made ready at the start of the run; not judged, with the figures, when both tries missed."""
        return self._open_scheduled(merchant, LATE, LATE_OPEN_AT, "to open a flow URL late in its window")

    def open_expired(self, merchant: Merchant) -> OpenedFlow:
        """The merchant's flow URL opened once its window has closed (OTP-2): on the target's clock exactly at
        its end; live, by the looker made ready at the start of the run, just past the live allowance."""
        return self._open_scheduled(merchant, EXPIRED, OTP_WINDOW, "for the OTP window to close")

    def _open_scheduled(self, merchant: Merchant, window: Window, after: float, why: str) -> OpenedFlow:
        flow = merchant.flow
        moved = self._target.capabilities.time
        if moved is not None:  # exact: from the answer the sandbox issued it with, on its own clock
            moved.advance(max(0.0, (flow.received_at - self._clock.now()).total_seconds() + after))
            opened = self._viewer.look(flow.url)
            flow.opened_at = opened.opened_at
            return opened
        scheduled = self.scheduled.get(window.rule)
        assert scheduled is not None and scheduled.merchant is merchant
        due = window.due(flow) - _seconds(self._clock.now())
        countdown(self._clock, due, why, self._say)
        return self._result(window)

    def open_straight_away(self, merchant: Merchant) -> OpenedFlow:
        """The merchant opens the flow URL at once.  Live, a refusal counts only when its answer came within
        ``LIVE_VALID_WITHIN`` s of the start call's sending; a busier open gets a second chance with a new URL,
        then is not judged."""
        misses: list[str] = []
        for attempt in range(TRIES):
            if attempt:
                self._merchants.issue_flow_url(merchant, "asking for a new flow URL for a second chance")
            opened = self._viewer.look(merchant.flow.url)
            merchant.flow.opened_at = opened.opened_at
            late = self.answered_after_start(merchant.flow, opened)
            if late is None or late <= LIVE_VALID_WITHIN or not opened.refused:
                return opened
            misses.append(f"the refusal came {late:.1f} s after the start call")
        not_judged(f"a flow URL opened straight away was answered after the {LIVE_VALID_WITHIN:g} s the profile "
                   f"judges live, {len(misses)} times on this machine: " + "; then ".join(misses))

    def answered_after_start(self, flow: FlowUrl, opened: OpenedFlow) -> float | None:
        """Live: how long after the start call was sent the open's answer came (None on a target whose time the
        suite moves, or when it is not known)."""
        if self._target.capabilities.time is not None or opened.answered_at is None:
            return None
        return (opened.answered_at - flow.sent_at).total_seconds()

    def expired_flow(self) -> tuple[Merchant, FlowUrl]:
        """A merchant whose latest flow URL has expired: on the target's clock exactly at the end of its window;
        live, one issued at the start of the run, once ``LIVE_EXPIRED_AFTER`` s have passed since its answer."""
        moved = self._target.capabilities.time
        if moved is not None:
            merchant = self._merchants.started()
            moved.advance(OTP_WINDOW)  # exactly the end of the window
            return merchant, merchant.flow
        if not self.expired_pool:
            raise AssertionError("no pre-issued flow URL left for an expiry check")
        merchant, flow = self.expired_pool.pop()
        wait = (flow.received_at + timedelta(seconds=LIVE_EXPIRED_AFTER) - self._clock.now()).total_seconds()
        # The one real wait of a live run, shared by every expiry check: counted down on the terminal.
        countdown(self._clock, wait, "for the OTP window to close", self._say)
        return merchant, flow
