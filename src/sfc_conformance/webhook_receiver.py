"""Catching ``connection.deleted`` (DEL-1, DEL-4).

One receiver, two ways in: the embedded target routes the sandbox's webhook
POSTs to :meth:`WebhookReceiver.handle` through respx; the live target serves
the same handler with uvicorn on 127.0.0.1.  With a signing secret every
delivery is verified with the ``standardwebhooks`` library and a forgery is
answered 401 and kept aside, never counted as a delivery.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .background_server import BackgroundServer
from .secrets import Secret
from .webhook_signing import webhook_for

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass
class Delivery:
    body: Any
    headers: dict[str, str]
    signed: bool
    verified: bool | None  # None: no secret to check with


@dataclass
class WebhookReceiver:
    secret: Secret | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    forgeries: list[dict[str, str]] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def accept(self, raw: bytes, headers: dict[str, str]) -> int:
        """Record one POST; the HTTP status to answer with."""
        headers = {k.lower(): v for k, v in headers.items()}
        signed = all(h in headers for h in SIGNATURE_HEADERS)
        verified: bool | None = None
        if self.secret:
            try:
                webhook_for(self.secret).verify(raw, headers)
                verified = True
            except (WebhookVerificationError, ValueError, IndexError):
                with self._arrived:
                    self.forgeries.append(headers)
                    self._arrived.notify_all()
                return 401
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._arrived:
            self.deliveries.append(Delivery(body, headers, signed, verified))
            self._arrived.notify_all()
        return 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The respx side effect."""
        return httpx.Response(self.accept(request.read(), dict(request.headers)), json={})

    def wait_for(self, predicate: Any, timeout: float) -> list[Delivery]:
        """Deliveries matching ``predicate``, waiting up to ``timeout`` s for the first one.

        A condition wait, not a sleep: it returns as soon as a match arrives.
        """
        with self._arrived:
            self._arrived.wait_for(lambda: any(predicate(d) for d in self.deliveries), timeout=timeout)
            return [d for d in self.deliveries if predicate(d)]


class ServedReceiver:
    """The receiver on 127.0.0.1 for a live target."""

    def __init__(self, receiver: WebhookReceiver, port: int = 0) -> None:
        self.receiver = receiver

        async def hook(request: Request) -> JSONResponse:
            status = self.receiver.accept(await request.body(), dict(request.headers))
            return JSONResponse({}, status_code=status)

        self._server = BackgroundServer(Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])]), port)
        self.port = self._server.port

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
