"""Assembling the sandbox: state, API, flow pages, error handling."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sfc_conformance.core.clock import Clock, ManualClock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import FLOW_STYLES
from sfc_conformance.sandbox.api import Api, RateLimit, error_response
from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.flow_app import FlowApp
from sfc_conformance.sandbox.pages import FlowPages
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.state import SandboxState
from sfc_conformance.sandbox.webhooks import InlineDispatcher, ThreadDispatcher

DEFAULT_API_KEY = "sandbox-api-key"


class Sandbox:
    """The embedded, Codat-like target.

    ``Sandbox()`` is the in-process form: a :class:`ManualClock`, webhooks
    posted inline.  ``flow_style`` picks the merchant's side: ``"pages"``
    (:mod:`.pages`) or ``"app"`` (:mod:`.flow_app`).  :func:`sfc_conformance.sandbox.serve.serve` builds the
    served form with real time and a delivery thread.
    """

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, clock: Clock | None = None,
                 webhook_secret: str | None = None, faults: Iterable[str] = (),
                 threaded_webhooks: bool = False, flow_style: str = "pages") -> None:
        if flow_style not in FLOW_STYLES:
            raise ValueError(f"unknown flow style {flow_style!r}; known: {', '.join(FLOW_STYLES)}")
        self.flow_style = flow_style
        self.api_key = Secret(api_key)
        self.clock: Clock = clock or ManualClock()
        self.dispatcher = ThreadDispatcher() if threaded_webhooks else InlineDispatcher()
        self.state = SandboxState(self.clock, Policy.of(faults), self.dispatcher.send,
                                  Secret(webhook_secret) if webhook_secret else None)
        self.rate_limit = RateLimit(self.clock)
        if isinstance(self.clock, ManualClock):
            self.clock.on_advance(self.state.tick)
        api = Api(self.state, self.api_key, self.rate_limit)
        flow = FlowApp(self.state) if flow_style == "app" else FlowPages(self.state)
        self.app = Starlette(
            routes=[*api.routes(), *flow.routes()],
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )
        # `/companies/` is an unknown route (404 ErrorMessage), not a 307 to `/companies`.
        self.app.router.redirect_slashes = False

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "No such endpoint.", 405: "This endpoint does not take that method."}.get(
            exc.status_code, exc.detail)
        return error_response(ApiError(exc.status_code, message), self.state.policy)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        # A bug, not a client error: say so honestly (API-5 tests hunt for these).
        return error_response(ApiError(500, "The sandbox failed unexpectedly."), self.state.policy)

    def close(self) -> None:
        self.dispatcher.close()
