"""The reference consumer: a minimal, correct endpoint for ``connection.deleted``, to read and to test against.

What it does with each POST, in order, each step a rule of the profile:

1. Verifies the Standard Webhooks signature over the body exactly as received
   (never over re-serialised JSON), with the standard 5-minute timestamp
   tolerance, using the ``standardwebhooks`` library; anything else is
   refused with 401 (PWH-2).
2. Acknowledges an event of a type it does not handle with 200 and ignores
   it (PWH-4).
3. Records a ``connection.deleted`` event once, by its event id: the same
   event delivered again is acknowledged with 200 and changes nothing (PWH-3).
4. Answers at once: whatever the partner does about a deleted connection
   (stop syncing that merchant) happens after the answer, so answers come in
   time, also many at once (PWH-1, PWH-5).

``sfc-conformance consumer --serve`` serves it on 127.0.0.1; ``--fault NAME``
switches on one fault of the catalog (:mod:`sfc_conformance.consumer.faults`),
each entering the code below at one place, marked with its rule.
"""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sfc_conformance.consumer.faults import Faults
from sfc_conformance.core.account import SIGNATURE_HEADERS, webhook_for
from sfc_conformance.core.secrets import Secret

PATH = "/webhooks/codat"
TOLERANCE = timedelta(minutes=5)  # Standard Webhooks' tolerance, which the library applies
SLOW_ANSWER = 20.0  # answers-after-20s: seconds of "work" before answering
BURST_LIMIT, BURST_WINDOW = 10, 2.0  # falls-over-under-burst: deliveries it takes within the window


class ReferenceConsumer:
    def __init__(self, secret: Secret, faults: Iterable[str] = ()) -> None:
        self._webhook = webhook_for(secret)
        self.faults = Faults(faults)
        self.deleted: dict[str, dict[str, Any]] = {}  # event id -> the connection.deleted event, recorded once
        self.received = 0  # every POST, whatever became of it
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._arrivals: collections.deque[float] = collections.deque()
        self.app = Starlette(routes=[Route(PATH, self.receive, methods=["POST"])])

    def release(self) -> None:
        """End every wait of ``answers-after-20s`` now: a test or a shutdown does not sit out 20 s."""
        self._released.set()

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self._lock:
            self.received += 1
        if "falls-over-under-burst" in self.faults and self._overloaded():  # PWH-5
            return JSONResponse({"error": "overloaded"}, status_code=503)
        try:
            self._verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError, KeyError, IndexError):  # a malformed header is no signature
            return JSONResponse({"error": "the signature does not verify"}, status_code=401)  # PWH-2
        try:
            event = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        event_type = event.get("eventType") if isinstance(event, dict) else None
        if event_type != "connection.deleted":
            if "unknown-type-answers-5xx" in self.faults:  # PWH-4
                return JSONResponse({"error": f"no handler for {event_type!r}"}, status_code=500)
            return JSONResponse({"status": "ignored"})  # PWH-4: not ours to handle
        if not self._record(event):
            if "retry-answers-5xx" in self.faults:  # PWH-3
                return JSONResponse({"error": "duplicate key: event id"}, status_code=500)
            return JSONResponse({"status": "duplicate"})  # PWH-3: a retry, acknowledged
        if "answers-after-20s" in self.faults:  # PWH-1: the work done before answering, not after
            await self._stall()
        return JSONResponse({"status": "recorded"})

    def _verify(self, body: bytes, headers: dict[str, str]) -> None:
        """Raises unless the delivery verifies (PWH-2)."""
        signed = all(name in headers for name in SIGNATURE_HEADERS)
        if not signed and "accepts-unsigned" in self.faults:  # PWH-2: trusts what carries no signature
            return
        if "accepts-forged-signature" in self.faults:  # PWH-2: looks at the timestamp, never the signature
            _recent(headers)
        elif "accepts-stale-timestamp" in self.faults:  # PWH-2: checks the signature at whatever time it claims
            _signature_only(self._webhook, body, headers)
        else:
            self._webhook.verify(body, headers, json_parse=False)

    def _record(self, event: dict[str, Any]) -> bool:
        """Keep a connection.deleted event once, by its id; False when it was recorded already."""
        with self._lock:
            if event.get("id") in self.deleted:
                return False
            self.deleted[str(event.get("id"))] = event
            return True

    def _overloaded(self) -> bool:
        now = time.monotonic()
        with self._lock:
            self._arrivals.append(now)
            while self._arrivals and self._arrivals[0] < now - BURST_WINDOW:
                self._arrivals.popleft()
            return len(self._arrivals) > BURST_LIMIT

    async def _stall(self) -> None:
        deadline = time.monotonic() + SLOW_ANSWER
        while time.monotonic() < deadline and not self._released.is_set():
            await asyncio.sleep(0.05)


# -- the faults' partial checks: what a broken consumer verifies instead of everything ----------------

def _recent(headers: Mapping[str, str]) -> None:
    if not all(name in headers for name in SIGNATURE_HEADERS):
        raise WebhookVerificationError("Missing required headers")
    sent = datetime.fromtimestamp(float(headers["webhook-timestamp"]), UTC)
    if abs(datetime.now(UTC) - sent) > TOLERANCE:
        raise WebhookVerificationError("Message timestamp out of tolerance")


def _signature_only(webhook: Webhook, body: bytes, headers: Mapping[str, str]) -> None:
    sent = datetime.fromtimestamp(float(headers["webhook-timestamp"]), UTC)
    expected = webhook.sign(headers["webhook-id"], sent, body.decode())
    if expected not in headers["webhook-signature"].split(" "):
        raise WebhookVerificationError("No matching signature found")


def serve(consumer: ReferenceConsumer, sock: socket.socket) -> None:
    """In the foreground until Ctrl-C; a stalled answer (``answers-after-20s``) does not hold up the stop."""
    config = uvicorn.Config(consumer.app, log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=1)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        consumer.release()
        sock.close()
