"""The sandbox's JSON API: HTTP in, calls on :class:`SandboxState`, Codat JSON out.

Every request passes the same gate: the API key (KEY-1), the optional rate
limit (API-6), a bounded JSON body.  A handler refuses by raising
:class:`~.errors.ApiError`, which the app's exception handler renders as an
``ErrorMessage`` (API-3, :func:`error_response`); nothing a client sends may
turn into a 5xx (API-5).
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.errors import ApiError, bad_request
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.state import SandboxState

MAX_BODY = 1024 * 1024
_NO_BODY = object()


class RateLimit:
    """At most ``per_second`` API calls in each second of the sandbox clock; off when None."""

    def __init__(self, clock: Clock) -> None:
        self.per_second: int | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._window = 0
        self._count = 0

    def check(self) -> None:
        if self.per_second is None:
            return
        now = self._clock.now().timestamp()
        with self._lock:
            window = math.floor(now)
            if window != self._window:
                self._window, self._count = window, 0
            self._count += 1
            if self._count > self.per_second:
                retry = max(1, math.ceil(window + 1 - now))
                raise ApiError(429, "You have made too many requests; retry later.",
                               headers={"Retry-After": str(retry)})  # API-6: when to come back


def error_response(error: ApiError) -> Response:
    """Every refusal as an ErrorMessage whose `statusCode` is the HTTP status (API-3)."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)  # API-3


async def read_body(request: Request) -> bytes:
    """The request's body, refused with 413 past 1 MiB without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "The request body is larger than 1 MiB.")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            raise ApiError(413, "The request body is larger than 1 MiB.")
    return bytes(raw)


async def read_json(request: Request, policy: Policy) -> Any:
    """The request's JSON body, ``None`` when empty; 400/413 when it cannot be read."""
    raw = await read_body(request)
    if not raw.strip():
        return None
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
        # An unpaired surrogate ("\ud800") parses but cannot be stored or sent back as UTF-8.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except (ValueError, RecursionError) as exc:
        if policy.crashes_on_bad_json:
            raise RuntimeError("fault: crash-on-bad-json") from exc
        raise bad_request("The request body is not valid JSON.") from None  # API-5: a 400, never a 5xx


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class Api:
    def __init__(self, state: SandboxState, api_key: Secret, rate_limit: RateLimit) -> None:
        self.state = state
        self.policy = state.policy
        self._expected = b"Basic " + base64.b64encode(api_key.reveal().encode())
        self._api_key = api_key
        self.rate_limit = rate_limit

    def _authorized(self, request: Request) -> bool:
        if self.policy.key_optional and "authorization" not in request.headers:
            return True
        given = request.headers.get("authorization", "").encode("latin-1", "replace")
        if self.policy.accepts_bearer and given == b"Bearer " + self._api_key.reveal().encode():
            return True
        if self.policy.accepts_longer_key or self.policy.accepts_key_in_any_case:
            return self._loosely_matched(given)
        return hmac.compare_digest(given, self._expected)  # KEY-1: HTTP Basic with the key, nothing else

    def _loosely_matched(self, given: bytes) -> bool:
        """The faults that decode the Basic credential and compare it loosely: over the key's length only
        (`accepts_longer_key`), or without regard to case (`accepts_key_in_any_case`)."""
        scheme, _, encoded = given.partition(b" ")
        try:
            sent = base64.b64decode(encoded, validate=True).decode()
        except ValueError:  # not base64, or not UTF-8
            return False
        key = self._api_key.reveal()
        if self.policy.accepts_longer_key:
            sent = sent[:len(key)]
        if self.policy.accepts_key_in_any_case:
            sent, key = sent.lower(), key.lower()
        return scheme == b"Basic" and hmac.compare_digest(sent.encode(), key.encode())

    def endpoint(self, handler: Callable[..., Any], *, body: bool = False, status: int = 200
                 ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap ``handler(request_params..., base, [body])`` with the common gate.

        The handler runs on the event loop, not in a worker thread: the state's calls are short and
        take one lock anyway, and a thread hop per request cost more than the answer itself.
        """

        async def run(request: Request) -> Response:
            if not self._authorized(request):
                if self.policy.refused_delete_still_deletes and request.method == "DELETE":
                    with contextlib.suppress(ApiError):
                        handler(request, _NO_BODY, **dict(request.path_params))
                # KEY-1: refused, and nothing changed
                raise ApiError(401, "Unauthorized: send `Authorization: Basic <base64 of your API key>`.")
            self.rate_limit.check()  # API-6
            payload = await read_json(request, self.policy) if body else _NO_BODY
            result = handler(request, payload, **dict(request.path_params))
            # KEY-2: nothing of the key goes back, in a header or a body
            if result is None:
                return Response(status_code=204)
            return JSONResponse(result, status_code=status)  # API-2: application/json

        return run

    def routes(self) -> list[Route]:
        s = self.state

        def base(request: Request) -> str:
            return str(request.base_url)

        e = self.endpoint
        return [
            Route("/companies", e(lambda r, b: s.create_company(b, base(r)), body=True), methods=["POST"]),
            Route("/companies/{companyId}", e(lambda r, b, companyId: s.get_company(companyId, base(r))),
                  methods=["GET"]),
            Route("/config/sync/commerce/{commerceKey}/{accountingKey}/start",
                  e(lambda r, b, commerceKey, accountingKey: s.start_flow(
                      commerceKey, accountingKey, dict(r.query_params), base(r))), methods=["GET"]),
            Route("/companies/{companyId}/connections",
                  e(lambda r, b, companyId: s.list_connections(
                      companyId, r.query_params.get("page"), r.query_params.get("pageSize"), base(r))),
                  methods=["GET"]),
            Route("/companies/{companyId}/connections/{connectionId}/authorization",
                  e(lambda r, b, companyId, connectionId: s.authorize(companyId, connectionId, b, base(r)),
                    body=True), methods=["PUT"]),
            Route("/companies/{companyId}/connections/{connectionId}",
                  e(lambda r, b, companyId, connectionId: s.update_connection(companyId, connectionId, b, base(r)),
                    body=True), methods=["PATCH"]),
            Route("/companies/{companyId}/connections/{connectionId}",
                  e(lambda r, b, companyId, connectionId: s.delete_connection(companyId, connectionId, base(r))),
                  methods=["DELETE"]),
            Route("/config/companies/{companyId}/sync/commerce",
                  e(lambda r, b, companyId: s.get_configuration(companyId)), methods=["GET"]),
            Route("/config/companies/{companyId}/sync/commerce",
                  e(lambda r, b, companyId: s.set_configuration(companyId, b), body=True), methods=["POST"]),
            Route("/webhooks", e(lambda r, b: s.add_webhook(b), body=True, status=201), methods=["POST"]),
            Route("/companies/{companyId}/sync/commerce/latest",
                  e(lambda r, b, companyId: s.request_sync(companyId, b, base(r)), body=True), methods=["POST"]),
            Route("/companies/{companyId}/sync/commerce/syncs/latest/status",
                  e(lambda r, b, companyId: s.latest_sync(companyId)), methods=["GET"]),
            # The partner's account: every company, and the optional housekeeping calls.
            Route("/companies", e(lambda r, b: s.list_companies(
                r.query_params.get("page"), r.query_params.get("pageSize"), base(r))), methods=["GET"]),
            Route("/companies/{companyId}", e(lambda r, b, companyId: s.delete_company(companyId)),
                  methods=["DELETE"]),
            Route("/webhooks", e(lambda r, b: s.list_webhooks(r.query_params.get("page"),
                                                              r.query_params.get("pageSize"))), methods=["GET"]),
            Route("/webhooks/{webhookId}", e(lambda r, b, webhookId: s.delete_webhook(webhookId)),
                  methods=["DELETE"]),
            # A connection the partner adds (LINK-4).
            Route("/companies/{companyId}/connections",
                  e(lambda r, b, companyId: s.create_connection(companyId, b, base(r)), body=True),
                  methods=["POST"]),
            # The sync history (SYNC-1, SYNC-2): the named reads before the read by id.
            Route("/companies/{companyId}/sync/commerce/syncs/list/status",
                  e(lambda r, b, companyId: s.list_syncs(companyId)), methods=["GET"]),
            Route("/companies/{companyId}/sync/commerce/syncs/lastSuccessful/status",
                  e(lambda r, b, companyId: s.last_successful_sync(companyId)), methods=["GET"]),
            Route("/companies/{companyId}/sync/commerce/syncs/{syncId}/status",
                  e(lambda r, b, companyId, syncId: s.sync_by_id(companyId, syncId)), methods=["GET"]),
            Route("/meta/companies/{companyId}/sync/commerce/historic",
                  e(lambda r, b, companyId: s.request_sync_for_range(companyId, b, base(r)), body=True),
                  methods=["POST"]),
            Route("/meta/companies/{companyId}/sync/commerce/status",
                  e(lambda r, b, companyId: s.sync_status(companyId, base(r))), methods=["GET"]),
            # Integrations (INT-1, INT-2).
            Route("/config/integrations", e(lambda r, b: s.list_integrations(dict(r.query_params), base(r))),
                  methods=["GET"]),
            Route("/config/integrations/{platformKey}/branding",
                  e(lambda r, b, platformKey: s.integration_branding(platformKey, base(r))), methods=["GET"]),
            # The partner's customization of the flow, client-wide (CUST-1..4).
            Route("/sync/commerce/config/ui/text", e(lambda r, b: s.get_texts(r.query_params.get("locale"))),
                  methods=["GET"]),
            Route("/sync/commerce/config/ui/text",
                  e(lambda r, b: s.change_texts(r.query_params.get("locale"), b), body=True), methods=["PATCH"]),
            Route("/sync/commerce/config/ui/accounts/platform/{platformKey}",
                  e(lambda r, b, platformKey: s.set_visible_accounts(platformKey, b), body=True), methods=["POST"]),
            Route("/clients/{clientId}/config/ui/accounts/platform/{platformKey}",
                  e(lambda r, b, clientId, platformKey: s.get_visible_accounts(clientId, platformKey)),
                  methods=["GET"]),
        ]
