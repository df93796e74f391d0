"""The faults (and the one variant) that reshape what the healthy sandbox sends, in one layer.

The healthy handlers answer Codat's shapes; the rules never branch on how an
answer looks.  The faults that change an answer's shape after a healthy
handler made it — a header, a content type, a field dropped, renamed or
reformatted, an ``ErrorMessage`` turned into plain text — live here, and
nowhere else:

* :class:`AnswerShapes` is the ASGI middleware around the whole app (outside
  its error handlers, so a crash's 500 is reshaped too): it rewrites the API's
  answers, every ``ErrorMessage`` wherever it came from, and the end of the
  merchant's flow;
* :func:`reshaped_events` wraps the webhook dispatcher: a ``connection.deleted``
  event carries a connection, reshaped as the answers' connections are.

The sandbox adds either only when its :class:`~.policy.Policy` asks for it, so
the healthy sandbox's answers pass untouched.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfc_conformance.core.secrets import Secret
from sfc_conformance.sandbox.model import LINKED
from sfc_conformance.sandbox.paging import links
from sfc_conformance.sandbox.policy import Policy
from sfc_conformance.sandbox.webhooks import Delivery

CONNECTION_LIST = re.compile(r"^/companies/[^/]+/connections$")
FLOW_END = re.compile(r"/s/[^/]+/configure$")  # the merchant's configure form, posted: the flow ends on its answer
ECHOED_KEY_HEADER = "x-api-key-used"
# Objects in Codat's JSON that are maps (keys chosen by the data), not records: no field is added to them.
_MAPS = frozenset({"accounts", "taxRates", "tags", "connectionInfo"})


def reshapes_answers(policy: Policy) -> bool:
    healthy = Policy()
    return any(getattr(policy, name) != getattr(healthy, name) for name in (*_ANSWER_FIELDS, *_ERROR_FIELDS))


def reshapes_events(policy: Policy) -> bool:
    healthy = Policy()
    return any(getattr(policy, name) != getattr(healthy, name) for name in _EVENT_FIELDS)


# -- what is reshaped, piece by piece ---------------------------------------------------------

def _connection(body: dict[str, Any], policy: Policy) -> None:
    if not policy.sends_integration_key:
        del body["integrationKey"]  # API-1 breaks: a required field goes missing
    if policy.misspells_deauthorized and body["status"] == "Deauthorized":
        body["status"] = "Deauthorised"
    if not policy.sends_link_url and body["status"] == LINKED:
        del body["linkUrl"]  # LINK-3 breaks


def _company(body: dict[str, Any], policy: Policy) -> None:
    if policy.company_hides_connections:
        body["dataConnections"] = []
    if policy.company_shows_stale_links:
        for connection in body["dataConnections"]:
            if connection["status"] in ("Deauthorized", "Unlinked"):
                connection["status"] = LINKED
    if policy.created_as_text:
        body["created"] = datetime.fromisoformat(body["created"]).strftime("%d/%m/%Y %H:%M:%S")


def _records(value: Any, policy: Policy) -> None:
    """Reshape every connection and company in ``value``, the innermost first, as they were rendered."""
    if isinstance(value, list):
        for item in value:
            _records(item, policy)
    elif isinstance(value, dict):
        for item in value.values():
            _records(item, policy)
        if "integrationId" in value and "sourceType" in value:
            _connection(value, policy)
        elif "dataConnections" in value and "products" in value:
            _company(value, policy)


def _connection_list(body: dict[str, Any], policy: Policy) -> None:
    body["totalResults"] += policy.extra_total_results
    if policy.next_link_on_last_page and "next" not in body["_links"]:
        body["_links"] = links(body["_links"]["self"]["href"], body["pageNumber"], body["pageSize"], has_next=True)


def with_key_in_link_urls(value: Any, key: str) -> Any:
    """The `api-key-in-link-url` fault: every `linkUrl` carries the partner's key."""
    if isinstance(value, dict):
        return {k: (f"{v}?key={key}" if k == "linkUrl" and isinstance(v, str) else with_key_in_link_urls(v, key))
                for k, v in value.items()}
    if isinstance(value, list):
        return [with_key_in_link_urls(v, key) for v in value]
    return value


def with_unknown_fields(value: Any, key: str = "") -> Any:
    """The `unknown-fields` variant: every record in ``value`` with a field no contract lists (API-1 allows it)."""
    if isinstance(value, list):
        return [with_unknown_fields(item) for item in value]
    if not isinstance(value, dict):
        return value
    added = {k: with_unknown_fields(v, k) for k, v in value.items()}
    if key not in _MAPS:
        added["sfcAddedLater"] = {"note": "a field from a newer version of the API"}
    return added


# The Policy fields each part of the layer reads.
_ANSWER_FIELDS = ("echoes_key", "key_in_link_urls", "connections_as_text_plain", "unknown_fields",
                  "company_hides_connections", "company_shows_stale_links", "created_as_text", "sends_integration_key",
                  "misspells_deauthorized", "sends_link_url", "extra_total_results", "next_link_on_last_page",
                  "success_page")
_ERROR_FIELDS = ("errors_as_plain_text", "error_status_code", "sends_retry_after")
_EVENT_FIELDS = ("unknown_fields", "sends_integration_key", "misspells_deauthorized", "sends_link_url")


# -- answers ------------------------------------------------------------------------------------

def _json_bytes(value: Any) -> bytes:
    # As Starlette's JSONResponse renders it.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


class AnswerShapes:
    """ASGI middleware: the policy's reshaping of the API's answers and of every ErrorMessage.

    ``merchant_side`` holds the path prefixes of the merchant's side (flow pages
    or flow app): their answers are not the API's, so only their ErrorMessages are reshaped.
    """

    def __init__(self, app: ASGIApp, policy: Policy, api_key: Secret, merchant_side: tuple[str, ...]) -> None:
        self.app = app
        self.policy = policy
        self._api_key = api_key
        self._merchant_side = merchant_side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = not path.startswith(self._merchant_side)
        ends_flow = not api and scope["method"] == "POST" and FLOW_END.search(path) is not None
        held: Message | None = None
        chunks: list[bytes] = []

        async def reshaping_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                status: int = message["status"]
                if ends_flow and status in (200, 303) and not self.policy.success_page:
                    held = _without_success(message)  # FLOW-2 breaks: no success page, no redirect
                    return
                if status >= 400 and not self.policy.sends_retry_after:
                    del headers["retry-after"]  # API-6 breaks: a 429 no longer says when to come back
                if status < 400 and api and self.policy.echoes_key:
                    headers[ECHOED_KEY_HEADER] = self._api_key.reveal()  # KEY-2 breaks
                if headers.get("content-type", "").startswith("application/json") and (status >= 400 or api):
                    held = message  # the body is reshaped once it is whole
                    return
            elif message["type"] == "http.response.body" and held is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start, body = self._reshaped(scope["method"], path, held, b"".join(chunks))
                held = None
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, reshaping_send)

    def _reshaped(self, method: str, path: str, start: Message, raw: bytes) -> tuple[Message, bytes]:
        if start["status"] == 204:
            return start, b""
        headers = MutableHeaders(scope=start)
        value = json.loads(raw)
        if start["status"] >= 400:
            body = self._error(value, headers)
        else:
            body = _json_bytes(self._answer(method, path, value, headers))
        headers["content-length"] = str(len(body))
        return start, body

    def _error(self, value: Any, headers: MutableHeaders) -> bytes:
        if not isinstance(value, dict) or "error" not in value:
            return _json_bytes(value)
        if self.policy.errors_as_plain_text:  # API-3 breaks: not an ErrorMessage
            headers["content-type"] = "text/plain; charset=utf-8"
            return str(value["error"]).encode("utf-8")
        if self.policy.error_status_code is not None:  # API-3 breaks: `statusCode` is not the HTTP status
            value["statusCode"] = self.policy.error_status_code
        return _json_bytes(value)

    def _answer(self, method: str, path: str, value: Any, headers: MutableHeaders) -> Any:
        policy = self.policy
        _records(value, policy)
        # A GET of the path is the connection list; a POST there creates one connection (LINK-4).
        listing = method == "GET" and CONNECTION_LIST.match(path) is not None and isinstance(value, dict)
        if listing:
            _connection_list(value, policy)
        if policy.key_in_link_urls:  # KEY-2 breaks
            value = with_key_in_link_urls(value, self._api_key.reveal())
        if policy.unknown_fields:
            value = with_unknown_fields(value)
        if listing and policy.connections_as_text_plain:  # API-2 breaks: JSON labelled as plain text
            headers["content-type"] = "text/plain; charset=utf-8"
        return value


def _without_success(start: Message) -> Message:
    """The end of the flow as an empty 204: what the success page or the redirect said is gone."""
    kept = [(name, value) for name, value in start["headers"]
            if name not in (b"content-type", b"content-length", b"location")]
    return {**start, "status": 204, "headers": kept}


# -- webhook events ---------------------------------------------------------------------------

def reshaped_events(dispatch: Callable[[Delivery], None], policy: Policy) -> Callable[[Delivery], None]:
    """``dispatch``, sending each delivery's event reshaped as the policy asks."""

    def send(delivery: Delivery) -> None:
        event = json.loads(delivery.body)
        _records(event, policy)
        if policy.unknown_fields:
            event = with_unknown_fields(event)
        dispatch(dataclasses.replace(delivery, body=json.dumps(event, separators=(",", ":")).encode()))

    return send
