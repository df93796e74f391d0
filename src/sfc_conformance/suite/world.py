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
from sfc_conformance.core.windows import LATE_OPEN_AT, LIVE_EXPIRED_AFTER, OTP_WINDOW
from sfc_conformance.suite.housekeeping import Created
from sfc_conformance.suite.merchant_eyes import MerchantEyes, Sight
from sfc_conformance.suite.merchants import Flow, Merchant
from sfc_conformance.suite.observe import Observations
from sfc_conformance.suite.progress import countdown
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


@dataclass
class LateOpen:
    """OTP-1 on a live target: a flow URL opened late in its window, by a timer, while the run goes on."""

    merchant: Merchant
    flow: Flow
    timer: threading.Timer | None = None
    opened: Sight | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


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
        if self.late is not None and self.late.timer is not None:
            self.late.timer.cancel()

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
        """Live OTP-1: issue a flow URL now and open it ``LATE_OPEN_AT`` s after the start call was sent.

        A timer opens it while the scenarios run, so however long they take the open lands
        in the window; the late-open scenario, run with the expiry checks, judges what it got.
        """
        merchant = self.started_merchant()
        late = self.late = LateOpen(merchant, merchant.flow)
        if not self.eyes.has_browser:
            self.eyes.probe(merchant.flow.url)

        def open_late() -> None:
            try:
                late.opened = self.eyes.look(late.flow.url)  # its screenshots go to the scenario that judges it
                late.flow.opened_at = late.opened.opened_at
            except BaseException as error:  # noqa: BLE001 - shown by the scenario that judges the open
                late.error = error
            finally:
                late.done.set()

        due = (late.flow.sent_at + timedelta(seconds=LATE_OPEN_AT) - self.clock.now()).total_seconds()
        late.timer = threading.Timer(max(due, 0.0), open_late)
        late.timer.daemon = True
        late.timer.start()

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
        """The merchant's flow URL opened ``LATE_OPEN_AT`` s after its start call was sent."""
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
        assert late.opened is not None
        self.keep(late.opened.screenshots)
        return late.opened

    def expired_flow(self) -> tuple[Merchant, Flow]:
        time = self.target.capabilities.time
        if time is not None:
            merchant = self.started_merchant()
            time.advance(OTP_WINDOW)  # exactly the end of the window
            return merchant, merchant.flow
        if not self.expired_pool:
            raise AssertionError("no pre-issued flow URL left for an expiry check")
        merchant, flow = self.expired_pool.pop()
        wait = (flow.received_at - self.clock.now()).total_seconds() + LIVE_EXPIRED_AFTER
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
