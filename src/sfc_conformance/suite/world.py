"""The run's world: the target, one client, the merchants scenarios create, flow URLs they get.

One :class:`Suite` per run (the ``sfc`` fixture).  A :class:`Merchant` lives
for one scenario; steps pass it along with ``target_fixture``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ..client import ApiClient
from ..contract import load_contract
from ..sync_flow_api import SyncFlowApi
from ..targets import EmbeddedTarget, LiveTarget
from .observe import Observations
from .progress import countdown
from .settings import Settings

OTP_WINDOW = 30.0
# OTP-2 on a live target, with slack for the network and no blind band: valid when opened
# <= 28 s after the start call was sent, refused when opened >= 31 s after its answer arrived.
LIVE_VALID_WITHIN = 28.0
LIVE_EXPIRED_AFTER = 31.0


@dataclass
class Flow:
    """A flow URL and when it was asked for (sent) and received, on the run's clock."""

    url: str
    sent_at: datetime
    received_at: datetime
    opened_at: datetime | None = None

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.query().get(name)
        return values[0] if values else None

    @property
    def otp(self) -> str | None:
        return self.param("otp")


@dataclass
class Merchant:
    company_id: str
    name: str
    flows: list[Flow] = field(default_factory=list)
    configuration: dict[str, Any] | None = None  # the last configuration the merchant posted
    severed_after_sync: str | None = None  # latest sync id (or "") when the connection was deleted
    severed_connection_id: str | None = None

    @property
    def flow(self) -> Flow:
        if not self.flows:
            raise AssertionError("no flow URL was issued to this merchant yet")
        return self.flows[-1]


class Suite:
    def __init__(self, settings: Settings, target: EmbeddedTarget | LiveTarget) -> None:
        self.settings = settings
        self.target = target
        self.clock = target.clock
        self.client: ApiClient = target.client()
        self.observations = Observations(load_contract(), target.base_url, target.api_key)
        self.client.http.event_hooks["response"].append(self.observations.hook)
        self.api = SyncFlowApi(self.client)
        self.expired_pool: list[tuple[Merchant, Flow]] = []
        self._subscribed = threading.Lock()
        self._subscription: dict[str, Any] | None = None
        self.notes: dict[str, list[str]] = {}
        self.say: Callable[[str], None] = lambda text: None  # the terminal, once the plugin wires it

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

    def new_merchant(self) -> Merchant:
        name = f"SFC conformance {secrets.token_hex(4)}"
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
        """The merchant's browser: no API key, no redirects followed."""
        return self.client.request("GET", url, authenticated=False, retry=False,
                                   headers={"Accept": "text/html,application/json"})

    def prepare_expired_flows(self, count: int) -> None:
        """Live: issue the flow URLs the expiry checks need now, so their wait overlaps the run."""
        for _ in range(count):
            merchant = self.started_merchant()
            self.expired_pool.append((merchant, merchant.flow))

    def expired_flow(self) -> tuple[Merchant, Flow]:
        if isinstance(self.target, EmbeddedTarget):
            merchant = self.started_merchant()
            self.target.clock.advance(OTP_WINDOW)  # exactly the end of the window
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

    def subscribe_once(self) -> dict[str, Any]:
        """One subscription per run: several would deliver every event several times."""
        with self._subscribed:
            if self._subscription is None:
                self._subscription = self.expect(
                    self.api.subscribe(self.target.receiver_url, ["connection.deleted"]), 201,
                    "subscribing to connection.deleted")
            return self._subscription
