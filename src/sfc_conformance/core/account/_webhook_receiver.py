"""Catching ``connection.deleted`` (DEL-1, DEL-4).

One receiver, two ways in: the embedded target routes the sandbox's webhook
POSTs to :meth:`WebhookReceiver.handle` through respx; the live target serves
the same handler with uvicorn on 127.0.0.1.

Every POST is recorded, signed or not, and acknowledged with 200: whether an
event arrived is DEL-1's question, whether it was signed is DEL-4's alone.  With
a signing secret each delivery is verified with the ``standardwebhooks``
library and one that does not verify is kept marked unverified: the suite
refuses it as evidence of signing, never as a delivery.  (Answering it 401, as a
consumer would, makes a target retry and back its queue up, or disable the
subscription: a SHOULD-level defect would then fail DEL-1, a MUST.)  A run
subscribes several times (one URL each, told apart by ``sfcSubscriber`` in the
query) and tags every URL with its run id, so deliveries meant for other runs or
other subscribers are told apart too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sfc_conformance.core.account._webhook_signing import webhook_for
from sfc_conformance.core.clock import Clock, ManualClock, SystemClock
from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.core.secrets import Secret

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
SUBSCRIBER_QUERY = "sfcSubscriber"


def subscriber_url(receiver_url: str, subscriber: str) -> str:
    """The receiver's URL for one subscription: the same receiver, told apart by the query."""
    parts = urlsplit(receiver_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({SUBSCRIBER_QUERY: subscriber})))


@dataclass(frozen=True)
class Delivery:
    body: Any
    headers: dict[str, str]
    query: dict[str, list[str]]  # the query of the URL it was posted to
    received_at: datetime  # on the run's clock
    signed: bool  # carries all three Standard Webhooks headers
    verified: bool | None  # None: no secret to check with

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    @property
    def subscriber(self) -> str | None:
        return self.param(SUBSCRIBER_QUERY)

    @property
    def event_id(self) -> Any:
        return self.body.get("id") if isinstance(self.body, dict) else None


@dataclass
class WebhookReceiver:
    secret: Secret | None = None
    clock: Clock = field(default_factory=SystemClock)
    deliveries: list[Delivery] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def accept(self, raw: bytes, headers: dict[str, str], url: str = "") -> int:
        """Record one POST; the HTTP status to answer with."""
        headers = {k.lower(): v for k, v in headers.items()}
        signed = all(h in headers for h in SIGNATURE_HEADERS)
        verified: bool | None = None
        if self.secret:
            try:
                webhook_for(self.secret).verify(raw, headers)
                verified = True
            except (WebhookVerificationError, ValueError, IndexError):
                verified = False
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        delivery = Delivery(body, headers, parse_qs(urlsplit(url).query), self.clock.now(), signed, verified)
        with self._arrived:
            self.deliveries.append(delivery)
            self._arrived.notify_all()
        return 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The respx side effect."""
        return httpx.Response(self.accept(request.read(), dict(request.headers), str(request.url)), json={})

    def seen(self) -> list[Delivery]:
        with self._arrived:
            return list(self.deliveries)

    def wait_until(self, done: Callable[[list[Delivery]], bool], deadline: datetime) -> list[Delivery]:
        """Every delivery so far, once ``done`` holds for them or the run's clock reaches ``deadline``.

        A condition wait, not a sleep: it returns as soon as ``done`` holds.  On a
        manual clock the wait moves the clock instead, a second at a time, so a
        target whose deliveries fall due later (its scheduler ticks with the clock)
        gets its chance.
        """
        while True:
            seen = self.seen()
            left = (deadline - self.clock.now()).total_seconds()
            if done(seen) or left <= 0:
                return seen
            if isinstance(self.clock, ManualClock):
                self.clock.advance(min(1.0, left))
                continue
            with self._arrived:
                self._arrived.wait_for(lambda: done(list(self.deliveries)), timeout=left)

    def wait_for(self, predicate: Callable[[Delivery], bool], seconds: float) -> list[Delivery]:
        """Deliveries matching ``predicate``, waiting up to ``seconds`` for the first one."""
        deadline = self.clock.now() + timedelta(seconds=seconds)
        return [d for d in self.wait_until(lambda seen: any(map(predicate, seen)), deadline) if predicate(d)]


class ServedReceiver:
    """The receiver on 127.0.0.1 for a live target."""

    def __init__(self, receiver: WebhookReceiver, port: int = 0) -> None:
        self.receiver = receiver

        async def hook(request: Request) -> JSONResponse:
            status = self.receiver.accept(await request.body(), dict(request.headers), str(request.url))
            return JSONResponse({}, status_code=status)

        self._server = BackgroundServer(Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])]), port)
        self.port = self._server.port

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
