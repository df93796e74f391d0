"""Flow URLs opened when the OTP window says: straight away, late in the window, once it has closed.

On a target whose time the suite moves, the window is walked on the target's
clock.  On a live target time is real:

* **late** (OTP-1): a flow URL issued at the start of the run is opened by a
  looker of its own (:meth:`~.flow_viewer.FlowViewer.punctual`) at its due
  time, whatever the run is doing; the scenario judges what it got.
* **expired** (OTP-2, OTP-3): the flow URLs the expiry checks need are issued
  at the start of the run, so that they share one real wait.
* **straight away**: a refusal counts only when its answer came within
  ``LIVE_VALID_WITHIN`` s of the start call's sending.

A time-critical open that missed its band is tried once more, with a flow URL
issued for the purpose, then reported as *not judged* with the figures
(profile, "Verdicts that do not bend").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sfc_conformance.core.targets import Target
from sfc_conformance.core.windows import (
    LATE_OPEN_AT,
    LATE_OPEN_BAND,
    LIVE_EXPIRED_AFTER,
    LIVE_VALID_WITHIN,
    OTP_WINDOW,
    late_open_due,
)
from sfc_conformance.merchant.punctual import PunctualOpener, Timed
from sfc_conformance.suite.flow_viewer import FlowViewer, OpenedFlow, changed_otp
from sfc_conformance.suite.merchants import FlowUrl, Merchant
from sfc_conformance.suite.progress import countdown
from sfc_conformance.suite.recorder import not_judged
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.run_merchants import Merchants

# A time-critical open that missed its band is tried once more, with a flow URL issued for the purpose, then
# reported as not judged (profile, "Verdicts that do not bend").
TRIES = 2


@dataclass
class LateOpen:
    """OTP-1 on a live target: a flow URL opened late in its window by a looker of its own, while the run goes on."""

    merchant: Merchant
    opened: OpenedFlow | None = None
    came: str = ""  # when the judged open reached the target, against its due time
    misses: list[str] = field(default_factory=list)  # every try that missed the band, with its figures
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def late_open_figures(flow: FlowUrl, timed: Timed, due: float) -> str:
    """"the late open came 27.21 s after the start call (due 27.20 s), answered by 27.25 s"."""
    sent = _seconds(flow.sent_at)
    return (f"the late open came {timed.first_sent - sent:.2f} s after the start call (due {due - sent:.2f} s), "
            f"answered by {timed.last_answered - sent:.2f} s")


def in_band(flow: FlowUrl, timed: Timed) -> bool:
    """Whether the OTP reached the target inside OTP-1's late band: the first request with it left no earlier than
    20 s after the start call was sent, and the last one's answer began no later than 28 s after."""
    sent = _seconds(flow.sent_at)
    return timed.first_sent - sent >= LATE_OPEN_BAND[0] and timed.last_answered - sent <= LATE_OPEN_BAND[1]


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
        self.late: LateOpen | None = None

    def cancel(self) -> None:
        """The run is ending: a late open still to come is not made."""
        if self.late is not None:
            self.late.stop.set()

    # -- at the start of a live run ------------------------------------------------------

    def prepare_expired_flows(self, count: int) -> None:
        """Live: issue the flow URLs the expiry checks need now, so their wait overlaps the run."""
        for _ in range(count):
            merchant = self._merchants.started()
            self.expired_pool.append((merchant, merchant.flow))
        if self.expired_pool and not self._viewer.has_browser:
            self._viewer.probe(self.expired_pool[0][1].url)  # a check it cannot judge then skips its wait

    def prepare_late_open(self) -> None:
        """Live OTP-1: issue a flow URL now, to reach the target late in its window (:func:`late_open_due`).

        A looker of its own (:meth:`FlowViewer.punctual`: its own browser, or its own thread) makes the
        open at its due time while the scenarios run, never behind their work; one that misses the band
        is tried once more with a new flow URL.  The late-open scenario, run with the expiry checks,
        judges what it got.
        """
        merchant = self._merchants.started()
        late = self.late = LateOpen(merchant)
        if not self._viewer.has_browser:
            self._viewer.probe(merchant.flow.url)
        if self._viewer.unjudged() is not None:  # nothing here can judge it: the scenario says n/a, nothing opens
            late.done.set()
            return
        opener = self._viewer.punctual()
        threading.Thread(target=self._open_late, args=(late, opener), name="sfc-late-open", daemon=True).start()

    def _open_late(self, late: LateOpen, opener: PunctualOpener) -> None:
        try:
            opener.warm()
            lead = opener.rehearse(changed_otp(late.merchant.flow.url))  # a URL every target refuses
            for attempt in range(TRIES):
                if late.stop.is_set():
                    return
                if attempt:  # a second chance: a flow URL issued for the purpose
                    self._merchants.issue_flow_url(late.merchant, "asking for a new flow URL for the late open")
                flow = late.merchant.flow
                due = late_open_due(_seconds(flow.sent_at), _seconds(flow.received_at))
                # A browser app's document leaves ahead of its own requests with the OTP, never before the band.
                lead = min(lead, due - _seconds(flow.sent_at) - LATE_OPEN_BAND[0] - 0.2)
                timed = opener.open_at(flow.url, due, lead=lead)
                figures = late_open_figures(flow, timed, due)
                if in_band(flow, timed):
                    late.opened = self._viewer.timed_open(timed)
                    late.came = figures
                    flow.opened_at = late.opened.opened_at
                    return
                late.misses.append(figures)
                lead = opener.lead_after(timed, lead)
        except BaseException as error:  # noqa: BLE001 - shown by the scenario that judges the open
            late.error = error
        finally:
            opener.close()
            late.done.set()

    # -- in the scenarios ------------------------------------------------------------------

    def late_flow(self) -> Merchant:
        """A merchant whose flow URL is to be opened late in its window: on a live target, the one
        issued at the start of the run (its timer is already running)."""
        if self._target.capabilities.time is not None:  # the window is walked on the target's clock
            return self._merchants.started()
        if self.late is None:
            raise AssertionError("no flow URL was issued at the start of the run for the late open")
        return self.late.merchant

    def open_late(self, merchant: Merchant) -> OpenedFlow:
        """The merchant's flow URL opened late in its window (OTP-1): on the target's clock, or, live, by the
        looker made ready at the start of the run; not judged, with the figures, when both tries missed."""
        flow = merchant.flow
        due = (flow.sent_at - self._clock.now()).total_seconds() + LATE_OPEN_AT
        time = self._target.capabilities.time
        if time is not None:
            time.advance(max(0.0, due))
            opened = self._viewer.look(flow.url)
            flow.opened_at = opened.opened_at
            return opened
        late = self.late
        assert late is not None and late.merchant is merchant
        countdown(self._clock, due, "to open a flow URL late in its window", self._say)
        late.done.wait()
        if late.error is not None:
            raise late.error
        if late.opened is None:
            band = f"{LATE_OPEN_BAND[0]:g}–{LATE_OPEN_BAND[1]:g} s"
            not_judged(f"the late open missed the {band} band {len(late.misses)} times on this machine: "
                       + "; then ".join(late.misses))
        self._rule_notes.note("OTP-1", late.came)
        self._viewer.keep(late.opened.screenshots)
        return late.opened

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
        time = self._target.capabilities.time
        if time is not None:
            merchant = self._merchants.started()
            time.advance(OTP_WINDOW)  # exactly the end of the window
            return merchant, merchant.flow
        if not self.expired_pool:
            raise AssertionError("no pre-issued flow URL left for an expiry check")
        merchant, flow = self.expired_pool.pop()
        flow.due_at = flow.received_at + timedelta(seconds=LIVE_EXPIRED_AFTER)
        wait = (flow.due_at - self._clock.now()).total_seconds()
        # The one real wait of a live run, shared by every expiry check: counted down on the terminal.
        countdown(self._clock, wait, "for the OTP window to close", self._say)
        return merchant, flow
