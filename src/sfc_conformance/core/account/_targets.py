"""What a run asks of a target, and the live kind of target.

Every target hands the suite the same things: an :class:`ApiClient`, a clock, a
webhook receiver and the URL it listens on.  Beyond the API a target may be able
to do more — move its time, serve its flow pages in-process, take a rate
limit for a while — and says so in its :class:`Capabilities`: the
suite asks those, never which class a target is.

* :class:`LiveTarget` – any base URL and API key; time is real; no capability.
* :class:`sfc_conformance.sandbox.embedded.EmbeddedTarget` – the sandbox in-process
  behind respx, on a manual clock, with faults on request.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar, Protocol

import httpx

from sfc_conformance.core.account._webhook_receiver import ServedReceiver, WebhookReceiver
from sfc_conformance.core.clock import Clock, ManualClock, SystemClock
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.secrets import Secret

# How a target answers a browser's request in-process: its answer, or None for a host it does not serve.
PageRoute = Callable[[httpx.Request], "httpx.Response | None"]


class RateLimit(Protocol):
    def limited(self, per_second: int) -> AbstractContextManager[None]:
        """The target answers at most ``per_second`` API calls a second until the block ends."""
        ...


@dataclass(frozen=True)
class Capabilities:
    """What a run may do to a target beyond its API; each is None (or empty) where it cannot."""

    time: ManualClock | None = None  # moves the target's time: expiries and schedules without waiting
    pages: PageRoute | None = None  # answers a browser's requests in-process, without a socket
    rate_limit: RateLimit | None = None  # a limit a scenario may set for a while


class Target(Protocol):
    # Read-only: a run reads them, and a target may narrow them (the embedded clock is a ManualClock).
    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> Secret: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def receiver(self) -> WebhookReceiver: ...

    @property
    def receiver_url(self) -> str: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def client(self) -> ApiClient: ...


@dataclass
class LiveTarget:
    base_url: str
    api_key: Secret
    webhook_secret: Secret | None = None
    receiver_port: int = 0
    receiver_public_url: str | None = None
    timeout: float = 15.0
    connect_timeout: float = 10.0
    name: ClassVar[str] = "live"
    capabilities: ClassVar[Capabilities] = Capabilities()  # a live target does only what its API does

    def __post_init__(self) -> None:
        self.clock: Clock = SystemClock()
        self.receiver = WebhookReceiver(self.webhook_secret, self.clock)
        self._served: ServedReceiver | None = None
        self.receiver_url = ""

    def start(self) -> None:
        self._served = ServedReceiver(self.receiver, self.receiver_port)
        self._served.start()
        self.receiver_url = self.receiver_public_url or f"http://127.0.0.1:{self._served.port}/webhooks/sfc"

    def stop(self) -> None:
        if self._served:
            self._served.stop()

    def client(self) -> ApiClient:
        # Retry pauses (Retry-After) go through the run's one clock.
        return ApiClient(self.base_url, self.api_key, timeout=self.timeout, connect_timeout=self.connect_timeout,
                         sleep=self.clock.sleep)
