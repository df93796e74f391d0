"""The two kinds of target the suite runs against.

* :class:`EmbeddedTarget` – the sandbox in-process behind respx, on a manual
  clock, with faults on request.  No sockets.
* :class:`LiveTarget` – any base URL and API key; time is real.

Both hand the suite the same things: an :class:`ApiClient`, a clock whose
``sleep`` lets time pass, a webhook receiver and the URL it listens on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import httpx
import respx

from .asgi_bridge import AsgiBridge
from .client import ApiClient
from .clock import Clock, ManualClock, SystemClock
from .sandbox.app import DEFAULT_API_KEY, Sandbox
from .secrets import Secret
from .webhook_receiver import ServedReceiver, WebhookReceiver

EMBEDDED_HOST = "sandbox.embedded"
EMBEDDED_BASE_URL = f"http://{EMBEDDED_HOST}"
EMBEDDED_RECEIVER_URL = "http://receiver.embedded/webhooks/sfc"


@dataclass
class EmbeddedTarget:
    faults: Iterable[str] = ()
    webhook_secret: str | None = "whsec_c2ZjLWNvbmZvcm1hbmNlLWVtYmVkZGVkLXNlY3JldA=="
    name: ClassVar[str] = "embedded"
    is_embedded: ClassVar[bool] = True
    clock: ManualClock = field(default_factory=lambda: ManualClock(SystemClock().now().replace(microsecond=0)))
    flow_style: str = "pages"  # or "app": see sandbox.FLOW_STYLES

    def __post_init__(self) -> None:
        self.sandbox = Sandbox(api_key=DEFAULT_API_KEY, clock=self.clock, webhook_secret=self.webhook_secret,
                               faults=self.faults, flow_style=self.flow_style)
        self.base_url = EMBEDDED_BASE_URL
        self.api_key = Secret(DEFAULT_API_KEY)
        self.receiver = WebhookReceiver(Secret(self.webhook_secret) if self.webhook_secret else None, self.clock)
        self.receiver_url = EMBEDDED_RECEIVER_URL
        self._bridge = AsgiBridge(self.sandbox.app)
        self._router = respx.mock(assert_all_called=False, assert_all_mocked=True)
        self._router.route(host=EMBEDDED_HOST).mock(side_effect=self._bridge)
        self._router.route(host="receiver.embedded").mock(side_effect=self.receiver.handle)

    def start(self) -> None:
        self._router.start()

    def stop(self) -> None:
        self._router.stop()
        self._bridge.close()
        self.sandbox.close()

    def answer(self, request: httpx.Request) -> httpx.Response | None:
        """The sandbox's answer to a request for its host, in-process; None for any other host.

        The shape of a browser route (:func:`sfc_conformance.browser.MerchantBrowser.session`):
        a real browser walks the embedded sandbox without a socket.
        """
        return self._bridge(request) if request.url.host == EMBEDDED_HOST else None

    def client(self) -> ApiClient:
        # Retry pauses move the manual clock instead of waiting.
        return ApiClient(self.base_url, self.api_key, sleep=self.clock.sleep)


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
    is_embedded: ClassVar[bool] = False

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
