"""Assembling the sandbox: state, API, the merchant's side, error handling, and the faults' layers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp

from sfc_conformance.core.clock import Clock, ManualClock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox import FLOW_STYLES, FlowStyle
from sfc_conformance.sandbox.api import Api, RateLimit, error_response
from sfc_conformance.sandbox.directory import Directory
from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.flow_app import FlowApp
from sfc_conformance.sandbox.integrations import asset_routes
from sfc_conformance.sandbox.pages import FlowPages
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.rendering import PartnerBranding
from sfc_conformance.sandbox.shapes import (
    AnswerShapes,
    reshaped_events,
    reshapes_answers,
    reshapes_events,
)
from sfc_conformance.sandbox.state import SandboxState
from sfc_conformance.sandbox.webhooks import InlineDispatcher, ThreadDispatcher

DEFAULT_API_KEY = "sandbox-api-key"


class MerchantSide(Protocol):
    """The merchant's side of the flow: server-rendered pages or a browser app."""

    prefixes: tuple[str, ...]  # the paths it serves start with one of these

    def routes(self) -> list[Route]: ...

    def refusal(self, request: Request, error: ApiError) -> Response | None:
        """How it shows a refusal, when not as the API's ErrorMessage."""


class Sandbox:
    """The embedded, Codat-like target.

    ``Sandbox()`` is the in-process form: a :class:`ManualClock`, webhooks
    posted inline.  ``flow_style`` picks the merchant's side: ``"pages"``
    (:mod:`.pages`) or ``"app"`` (:mod:`.flow_app`).  :func:`sfc_conformance.sandbox.serve.serve` builds the
    served form with real time and a delivery thread.  ``branding`` is the partner's logo and colours the
    merchant's side shows (:class:`~.rendering.PartnerBranding`; neutral without it).

    ``app`` is the ASGI app to serve: the API behind its key, the integrations' images and the start
    page (``GET /``, :attr:`directory`: what the sandbox serves) without it, and the merchant's side.
    Handlers refuse by raising :class:`ApiError`; one exception handler renders it.  Faults that reshape
    what the healthy sandbox sends wrap the app and the webhook dispatcher (:mod:`.shapes`), only when the
    policy has one.
    """

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, clock: Clock | None = None,
                 webhook_secret: str | None = None, faults: Iterable[str] = (),
                 threaded_webhooks: bool = False, flow_style: str = FlowStyle.PAGES,
                 branding: PartnerBranding | None = None) -> None:
        if flow_style not in FLOW_STYLES:
            raise ValueError(f"unknown flow style {flow_style!r}; known: {', '.join(FLOW_STYLES)}")
        self.flow_style = FlowStyle(flow_style)
        self.api_key = Secret(api_key)
        self.clock: Clock = clock or ManualClock()
        self.dispatcher = ThreadDispatcher() if threaded_webhooks else InlineDispatcher()
        policy = Policy.of(faults)
        dispatch = reshaped_events(self.dispatcher.send, policy) if reshapes_events(policy) else self.dispatcher.send
        self.state = SandboxState(self.clock, policy, dispatch, Secret(webhook_secret) if webhook_secret else None)
        self.rate_limit = RateLimit(self.clock)
        if isinstance(self.clock, ManualClock):
            self.clock.on_advance(self.state.tick)
        api = Api(self.state, self.api_key, self.rate_limit)
        api_routes = api.routes()
        self.directory = Directory(api_routes, self.state.client_id, self.flow_style)
        self.branding = branding or PartnerBranding()
        self.merchant_side: MerchantSide = (FlowApp(self.state, self.branding) if self.flow_style is FlowStyle.APP
                                            else FlowPages(self.state, self.branding))
        app = Starlette(
            routes=[*api_routes, *asset_routes(), self.directory.route(), *self.merchant_side.routes()],
            exception_handlers={ApiError: self._refused, HTTPException: self._http_error, Exception: self._crash},
        )
        # `/companies/` is an unknown route (404 ErrorMessage), not a 307 to `/companies`.
        app.router.redirect_slashes = False
        self._routes = app.router.routes
        self.app: ASGIApp = app
        if reshapes_answers(policy):
            self.app = AnswerShapes(app, policy, self.api_key, self.merchant_side.prefixes)

    async def _refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return self.merchant_side.refusal(request, exc) or error_response(exc)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "No such endpoint.", 405: "This endpoint does not take that method."}.get(
            exc.status_code, exc.detail)
        headers = {"Allow": self._allowed(request)} if exc.status_code == 405 else {}
        return error_response(ApiError(exc.status_code, message, headers=headers))

    def _allowed(self, request: Request) -> str:
        """Every method the path takes, for a 405's `Allow` (RFC 9110): its routes may be several, one per method."""
        methods: set[str] = set()
        for route in self._routes:
            if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
                methods |= route.methods or set()
        return ", ".join(sorted(methods))

    async def _crash(self, request: Request, exc: Exception) -> Response:
        # A bug, not a client error: say so honestly (API-5 tests hunt for these).
        return error_response(ApiError(500, "The sandbox failed unexpectedly."))

    def close(self) -> None:
        self.dispatcher.close()
