"""The run's world: the target, one client, the merchants scenarios create, flow URLs they get.

One :class:`Suite` per run (the ``sfc`` fixture).  A :class:`Merchant` lives
for one scenario, or is lent to several (:mod:`.sharing`); steps pass it
along with ``target_fixture``.  Everything the target says the run created
is recorded as it is created (:class:`~.housekeeping.Created`), for the
deletion at the end of a live run.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from sfc_conformance.core.client import ApiClient
from sfc_conformance.core.contract import load_contract
from sfc_conformance.core.evidence import Screenshot
from sfc_conformance.core.run_identity import RunId
from sfc_conformance.core.sync_flow_api import SyncFlowApi
from sfc_conformance.core.targets import Target
from sfc_conformance.core.webhook_receiver import subscriber_url
from sfc_conformance.core.windows import (
    LATE_OPEN_AT,
    LATE_OPEN_BAND,
    LIVE_EXPIRED_AFTER,
    LIVE_VALID_WITHIN,
    OTP_WINDOW,
    late_open_due,
)
from sfc_conformance.merchant.punctual import PunctualOpener, Timed
from sfc_conformance.suite.housekeeping import Created
from sfc_conformance.suite.merchant_eyes import MerchantEyes, Sight, changed_otp
from sfc_conformance.suite.merchants import Flow, Merchant
from sfc_conformance.suite.observe import Observations
from sfc_conformance.suite.progress import countdown
from sfc_conformance.suite.recorder import not_judged
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.sharing import SharedMerchants

__all__ = ["Deletion", "Flow", "LateOpen", "Merchant", "Suite", "shortened"]  # steps import them from here


def shortened(items: list[str], shown: int = 4) -> str:
    """A list for a verdict's note: the first few, and how many more."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


@dataclass(frozen=True)
class Deletion:
    """A connection the merchant severed, and the subscriptions that should hear of it (DEL-1)."""

    company_id: str
    connection_id: str
    at: datetime  # when the target answered the DELETE
    subscribers: tuple[str, ...]


# A time-critical open that missed its band is tried once more, with a flow URL issued for the purpose, then
# reported as not judged (profile, "Verdicts that do not bend").
TRIES = 2


@dataclass
class LateOpen:
    """OTP-1 on a live target: a flow URL opened late in its window by a looker of its own, while the run goes on."""

    merchant: Merchant
    opened: Sight | None = None
    came: str = ""  # when the judged open reached the target, against its due time
    misses: list[str] = field(default_factory=list)  # every try that missed the band, with its figures
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def late_open_figures(flow: Flow, timed: Timed, due: float) -> str:
    """"the late open came 27.21 s after the start call (due 27.20 s), answered by 27.25 s"."""
    sent = _seconds(flow.sent_at)
    return (f"the late open came {timed.first_sent - sent:.2f} s after the start call (due {due - sent:.2f} s), "
            f"answered by {timed.last_answered - sent:.2f} s")


def in_band(flow: Flow, timed: Timed) -> bool:
    """Whether the OTP reached the target inside OTP-1's late band: the first request with it left no earlier than
    20 s after the start call was sent, and the last one's answer began no later than 28 s after."""
    sent = _seconds(flow.sent_at)
    return timed.first_sent - sent >= LATE_OPEN_BAND[0] and timed.last_answered - sent <= LATE_OPEN_BAND[1]


class Suite:
    def __init__(self, settings: Settings, target: Target) -> None:
        self.settings = settings
        self.target = target
        self.clock = target.clock
        self.client: ApiClient = target.client()
        self.observations = Observations(load_contract(), target.base_url, target.api_key)
        self.client.http.event_hooks["response"].append(self.observations.hook)
        self.api = SyncFlowApi(self.client)
        self.run = RunId.new(self.clock.now())  # names what the run creates (RUN-3)
        self.created = Created(self.run, target.base_url)  # what to delete at the end (RUN-2)
        self.client.http.event_hooks["response"].append(self.created.hook)
        self.shared = SharedMerchants(self)
        self.scenario = ""  # the node id of the scenario running now
        # --merchant-driver manual: merchants a person linked at the start, by the scenario each is for,
        # and those left for the shared merchant.
        self.reserved: dict[str, Merchant] = {}
        self.linked_for_sharing: list[Merchant] = []
        self.receiver_unreachable: str | None = None  # why DEL-1/DEL-4 cannot be judged (--receiver-url)
        self.cannot_link: dict[str, str] = {}  # source type -> why the API could not link it on this target
        self._numbers = itertools.count(1)
        self.expired_pool: list[tuple[Merchant, Flow]] = []
        self.late: LateOpen | None = None
        self._subscribed = threading.Lock()
        self.subscriptions: dict[str, dict[str, Any]] = {}  # subscriber name -> the target's subscription
        self.deletions: list[Deletion] = []
        self.notes: dict[str, list[str]] = {}
        self.say: Callable[[str], None] = lambda text: None  # the terminal, once the plugin wires it
        # How the merchant's side is seen (OTP rules, flow pages), and what the browser showed, in order.
        self.eyes = MerchantEyes(settings, target, self.client.http, self.observations.hook)
        self.screenshots: list[Screenshot] = []

    @property
    def commerce_key(self) -> str:
        return self.settings.commerce_key

    @property
    def accounting_key(self) -> str:
        return self.settings.accounting_key

    def note(self, rule: str, text: str) -> None:
        if text not in self.notes.setdefault(rule, []):
            self.notes[rule].append(text)

    def json(self, response: httpx.Response) -> Any:
        return self.client.json(response)

    def expect(self, response: httpx.Response, status: int, what: str) -> Any:
        """The JSON of an answer a step relies on, or a failure that shows the answer."""
        if response.status_code != status:
            raise AssertionError(f"{what}: expected {status}, the target answered {response.status_code}: "
                                 f"{response.text[:500]}")
        return self.json(response) if response.content else None

    # -- merchants and flows -----------------------------------------------------

    def cancel_timers(self) -> None:
        if self.late is not None:
            self.late.stop.set()

    def close(self) -> None:
        self.cancel_timers()
        self.eyes.close()
        self.client.close()

    def new_merchant(self) -> Merchant:
        reserved = self.reserved.pop(self.scenario, None)
        if reserved is not None:  # --merchant-driver manual: created at the start, linked by a person since
            return reserved
        return self.create_merchant()

    @property
    def links_are_scarce(self) -> bool:
        """Linked merchants are the ones a person linked (--merchant-driver manual, --linked-company)."""
        return self.settings.merchant_driver == "manual" or bool(self.settings.linked_companies)

    def merchant_to_share(self) -> Merchant:
        """A merchant to prepare as the shared ready one: with --merchant-driver manual, one a person linked."""
        if self.settings.merchant_driver != "manual":
            return self.create_merchant()
        if not self.linked_for_sharing:
            pytest.skip("nothing could be linked: no merchant a person linked at the start of the run is left for "
                        "the scenarios that share one (--merchant-driver manual)")
        return self.linked_for_sharing.pop(0)

    def create_merchant(self) -> Merchant:
        name = self.run.company_name(f"merchant {next(self._numbers)}")
        company = self.expect(self.api.create_company(name), 200, "creating a company")
        return Merchant(company["id"], name)

    def start_flow(self, merchant: Merchant, redirect_url: str | None = None) -> httpx.Response:
        sent = self.clock.now()
        answer = self.api.start_flow(self.commerce_key, self.accounting_key, merchant.company_id, redirect_url)
        received = self.clock.now()
        if answer.status_code == 200:
            body = self.json(answer)
            url = body.get("url") if isinstance(body, dict) else None
            if isinstance(url, str):
                merchant.flows.append(Flow(url, sent, received))
        return answer

    def started_merchant(self) -> Merchant:
        merchant = self.new_merchant()
        self.expect(self.start_flow(merchant), 200, "starting the sync flow")
        return merchant

    def open_flow(self, url: str) -> httpx.Response:
        """One GET of a flow page, as the server-rendered pages driver fetches it: no API key, no redirects."""
        return self.client.request("GET", url, authenticated=False, retry=False,
                                   headers={"Accept": "text/html,application/json"})

    def look(self, url: str) -> Sight:
        """The merchant opens ``url``: judged as the profile says (:mod:`.merchant_eyes`), screenshots kept."""
        sight = self.eyes.look(url)
        self.keep(sight.screenshots)
        return sight

    def keep(self, shots: tuple[Screenshot, ...] | list[Screenshot]) -> None:
        """Screenshots of the scenario under way, for the report (the recorder gives each scenario its own)."""
        self.screenshots.extend(shots)

    def prepare_expired_flows(self, count: int) -> None:
        """Live: issue the flow URLs the expiry checks need now, so their wait overlaps the run."""
        for _ in range(count):
            merchant = self.started_merchant()
            self.expired_pool.append((merchant, merchant.flow))
        if self.expired_pool and not self.eyes.has_browser:
            self.eyes.probe(self.expired_pool[0][1].url)  # a check it cannot judge then skips its wait

    def prepare_late_open(self) -> None:
        """Live OTP-1: issue a flow URL now, to reach the target late in its window (:func:`late_open_due`).

        A looker of its own (:meth:`MerchantEyes.punctual`: its own browser, or its own thread) makes the
        open at its due time while the scenarios run, never behind their work; one that misses the band
        is tried once more with a new flow URL.  The late-open scenario, run with the expiry checks,
        judges what it got.
        """
        merchant = self.started_merchant()
        late = self.late = LateOpen(merchant)
        if not self.eyes.has_browser:
            self.eyes.probe(merchant.flow.url)
        if self.eyes.unjudged() is not None:  # nothing here can judge it: the scenario says n/a, nothing opens
            late.done.set()
            return
        opener = self.eyes.punctual()
        threading.Thread(target=self._open_late, args=(late, opener), name="sfc-late-open", daemon=True).start()

    def _open_late(self, late: LateOpen, opener: PunctualOpener) -> None:
        try:
            opener.warm()
            lead = opener.rehearse(changed_otp(late.merchant.flow.url))  # a URL every target refuses
            for attempt in range(TRIES):
                if late.stop.is_set():
                    return
                if attempt:  # a second chance: a flow URL issued for the purpose
                    self.expect(self.start_flow(late.merchant), 200, "asking for a new flow URL for the late open")
                flow = late.merchant.flow
                due = late_open_due(_seconds(flow.sent_at), _seconds(flow.received_at))
                # A browser app's document leaves ahead of its own requests with the OTP, never before the band.
                lead = min(lead, due - _seconds(flow.sent_at) - LATE_OPEN_BAND[0] - 0.2)
                timed = opener.open_at(flow.url, due, lead=lead)
                figures = late_open_figures(flow, timed, due)
                if in_band(flow, timed):
                    late.opened = self.eyes.sight_of(timed)
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

    def move_time(self, seconds: float) -> None:
        """Lets ``seconds`` pass on a target whose time the suite moves (its scenarios are marked embedded_only)."""
        time = self.target.capabilities.time
        if time is None:
            raise AssertionError("this step needs a target whose time the suite can move")
        time.advance(seconds)

    def late_flow(self) -> Merchant:
        """A merchant whose flow URL is to be opened late in its window: on a live target, the one
        issued at the start of the run (its timer is already running)."""
        if self.target.capabilities.time is not None:  # the window is walked on the target's clock
            return self.started_merchant()
        if self.late is None:
            raise AssertionError("no flow URL was issued at the start of the run for the late open")
        return self.late.merchant

    def open_late(self, merchant: Merchant) -> Sight:
        """The merchant's flow URL opened late in its window (OTP-1): on the target's clock, or, live, by the
        looker made ready at the start of the run; not judged, with the figures, when both tries missed."""
        flow = merchant.flow
        due = (flow.sent_at - self.clock.now()).total_seconds() + LATE_OPEN_AT
        time = self.target.capabilities.time
        if time is not None:
            time.advance(max(0.0, due))
            opened = self.look(flow.url)
            flow.opened_at = opened.opened_at
            return opened
        late = self.late
        assert late is not None and late.merchant is merchant
        countdown(self.clock, due, "to open a flow URL late in its window", self.say)
        late.done.wait()
        if late.error is not None:
            raise late.error
        if late.opened is None:
            band = f"{LATE_OPEN_BAND[0]:g}–{LATE_OPEN_BAND[1]:g} s"
            not_judged(f"the late open missed the {band} band {len(late.misses)} times on this machine: "
                       + "; then ".join(late.misses))
        self.note("OTP-1", late.came)
        self.keep(late.opened.screenshots)
        return late.opened

    def open_straight_away(self, merchant: Merchant) -> Sight:
        """The merchant opens the flow URL at once.  Live, a refusal counts only when its answer came within
        ``LIVE_VALID_WITHIN`` s of the start call's sending; a busier open gets a second chance with a new URL,
        then is not judged."""
        misses: list[str] = []
        for attempt in range(TRIES):
            if attempt:
                self.expect(self.start_flow(merchant), 200, "asking for a new flow URL for a second chance")
            opened = self.look(merchant.flow.url)
            merchant.flow.opened_at = opened.opened_at
            late = self.answered_after_start(merchant.flow, opened)
            if late is None or late <= LIVE_VALID_WITHIN or not opened.refused:
                return opened
            misses.append(f"the refusal came {late:.1f} s after the start call")
        not_judged(f"a flow URL opened straight away was answered after the {LIVE_VALID_WITHIN:g} s the profile "
                   f"judges live, {len(misses)} times on this machine: " + "; then ".join(misses))

    def answered_after_start(self, flow: Flow, opened: Sight) -> float | None:
        """Live: how long after the start call was sent the open's answer came (None on a target whose time the
        suite moves, or when it is not known)."""
        if self.target.capabilities.time is not None or opened.answered_at is None:
            return None
        return (opened.answered_at - flow.sent_at).total_seconds()

    def expired_flow(self) -> tuple[Merchant, Flow]:
        time = self.target.capabilities.time
        if time is not None:
            merchant = self.started_merchant()
            time.advance(OTP_WINDOW)  # exactly the end of the window
            return merchant, merchant.flow
        if not self.expired_pool:
            raise AssertionError("no pre-issued flow URL left for an expiry check")
        merchant, flow = self.expired_pool.pop()
        flow.due_at = flow.received_at + timedelta(seconds=LIVE_EXPIRED_AFTER)
        wait = (flow.due_at - self.clock.now()).total_seconds()
        # The one real wait of a live run, shared by every expiry check: counted down on the terminal.
        countdown(self.clock, wait, "for the OTP window to close", self.say)
        return merchant, flow

    # -- connections and configuration ----------------------------------------------

    def connections(self, merchant: Merchant) -> list[dict[str, Any]]:
        return self.api.all_connections(merchant.company_id)

    def connection(self, merchant: Merchant, source_type: str) -> dict[str, Any]:
        found = [c for c in self.connections(merchant) if c.get("sourceType") == source_type]
        if not found:
            raise AssertionError(f"company {merchant.company_id} has no {source_type} connection")
        return found[-1]

    def configuration(self, merchant: Merchant) -> dict[str, Any]:
        document = self.expect(self.api.get_configuration(merchant.company_id), 200, "reading the configuration")
        if not isinstance(document, dict):
            raise AssertionError(f"the configuration is not a JSON object: {document!r}")
        return document

    def latest_sync_id(self, merchant: Merchant) -> str:
        answer = self.api.latest_sync(merchant.company_id)
        if answer.status_code == 404:
            return ""
        return str(self.expect(answer, 200, "reading the latest sync status").get("syncId"))

    # -- webhooks ---------------------------------------------------------------------

    def subscribe(self, count: int) -> dict[str, dict[str, Any]]:
        """``count`` subscriptions to connection.deleted, once per run, each at its own receiver URL.

        Every URL carries the run's id (RUN-3): deliveries for other runs' subscriptions
        that reach the same receiver are told apart and change no verdict (RUN-1).
        """
        with self._subscribed:
            if self.subscriptions and len(self.subscriptions) != count:
                raise AssertionError(f"the run already subscribed {len(self.subscriptions)} consumers, not {count}")
            for number in range(len(self.subscriptions) + 1, count + 1):
                name = str(number)
                url = self.run.tag_url(subscriber_url(self.target.receiver_url, name))
                self.subscriptions[name] = self.expect(self.api.subscribe(url, ["connection.deleted"]), 201,
                                                       f"subscribing consumer {name} to connection.deleted")
            return dict(self.subscriptions)

    def record_deletion(self, merchant: Merchant) -> None:
        """A connection was severed: remember it, and who should hear of it, for DEL-1's whole-run check."""
        assert merchant.severed_connection_id and merchant.severed_at
        with self._subscribed:
            self.deletions.append(Deletion(merchant.company_id, merchant.severed_connection_id, merchant.severed_at,
                                           tuple(self.subscriptions)))
