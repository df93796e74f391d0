"""The embedded sandbox as a target: in-process behind respx, on a manual clock, with faults on request.

No sockets: respx routes the suite's client to the sandbox's ASGI app and the
sandbox's webhook deliveries to the suite's receiver.  Its capabilities are all
a run can ask of a target (:class:`~sfc_conformance.core.account.Capabilities`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import httpx
import respx

from sfc_conformance.core.account import Capabilities, WebhookReceiver
from sfc_conformance.core.clock import ManualClock, SystemClock
from sfc_conformance.core.http import ApiClient, AsgiBridge
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import FlowStyle
from sfc_conformance.sandbox.app import DEFAULT_API_KEY, Sandbox
from sfc_conformance.sandbox.rendering import PartnerBranding

EMBEDDED_HOST = "sandbox.embedded"
EMBEDDED_BASE_URL = f"http://{EMBEDDED_HOST}"
EMBEDDED_RECEIVER_URL = "http://receiver.embedded/webhooks/sfc"


@dataclass
class EmbeddedTarget:
    faults: Iterable[str] = ()
    webhook_secret: str | None = "whsec_c2ZjLWNvbmZvcm1hbmNlLWVtYmVkZGVkLXNlY3JldA=="
    name: ClassVar[str] = "embedded"
    clock: ManualClock = field(default_factory=lambda: ManualClock(SystemClock().now().replace(microsecond=0)))
    flow_style: str = FlowStyle.PAGES
    branding: PartnerBranding | None = None  # the partner's logo and colours on the merchant's side

    def __post_init__(self) -> None:
        self.sandbox = Sandbox(api_key=DEFAULT_API_KEY, clock=self.clock, webhook_secret=self.webhook_secret,
                               faults=self.faults, flow_style=self.flow_style, branding=self.branding)
        self.base_url = EMBEDDED_BASE_URL
        self.api_key = Secret(DEFAULT_API_KEY)
        self.receiver = WebhookReceiver(Secret(self.webhook_secret) if self.webhook_secret else None, self.clock)
        self.receiver_url = EMBEDDED_RECEIVER_URL
        self._bridge = AsgiBridge(self.sandbox.app)
        self._router = respx.mock(assert_all_called=False, assert_all_mocked=True, using="httpx")
        self._router.route(host=EMBEDDED_HOST).mock(side_effect=self._bridge)
        self._router.route(host="receiver.embedded").mock(side_effect=self.receiver.handle)
        self.capabilities = Capabilities(time=self.clock, pages=self.answer, rate_limit=self)

    def start(self) -> None:
        self._router.start()

    def stop(self) -> None:
        self._router.stop()
        self._bridge.close()
        self.sandbox.close()

    def answer(self, request: httpx.Request) -> httpx.Response | None:
        """The sandbox's answer to a request for its host, in-process; None for any other host.

        The shape of a browser route (:func:`sfc_conformance.merchant.browser.MerchantBrowser.session`):
        a real browser walks the embedded sandbox without a socket.
        """
        if request.url.host != EMBEDDED_HOST:
            return None
        answer = self._bridge(request)
        answer.read()  # no client reads it here
        return answer

    def client(self) -> ApiClient:
        # Retry pauses move the manual clock instead of waiting.
        return ApiClient(self.base_url, self.api_key, sleep=self.clock.sleep)

    @contextmanager
    def limited(self, per_second: int) -> Iterator[None]:
        """API-6: the sandbox answers 429 over ``per_second`` calls a second until the block ends."""
        self.sandbox.rate_limit.per_second = per_second
        try:
            yield
        finally:
            self.sandbox.rate_limit.per_second = None
