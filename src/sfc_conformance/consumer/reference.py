"""The reference consumer: a minimal, correct endpoint for ``connection.deleted``, to read and to test against.

What it does with each POST, in order, each step a rule of the profile:

1. Verifies the Standard Webhooks signature over the body exactly as received
   (never over re-serialised JSON), with the standard 5-minute timestamp
   tolerance on both sides of its clock, accepting when one of the header's
   signatures verifies, using the ``standardwebhooks`` library; anything else
   (a header missing or malformed, no signature that verifies, a timestamp
   out of tolerance) is refused with 401 (PWH-2).
2. Acknowledges an event of a type it does not handle with 200 and ignores
   it (PWH-4); fields it does not know in an event are ignored too (API-1).
3. Records a ``connection.deleted`` event once, by its event id: the same
   event delivered again is acknowledged with 200 and changes nothing (PWH-3).
4. Answers at once: whatever the partner does about a deleted connection
   (stop syncing that merchant) happens after the answer, so answers come in
   time, also many at once (PWH-1, PWH-5).

``sfc-conformance consumer --serve`` serves it on 127.0.0.1; ``--fault NAME``
switches on one fault of the catalog (:mod:`sfc_conformance.consumer.faults`),
each entering the code below at one place, marked with its rule.  A fault that
verifies differently puts a hand-written check (:class:`HandCheck`, each of
its knobs one such mistake) where the library's was.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

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
TOLERANCE = timedelta(minutes=5)  # Standard Webhooks' tolerance, which the library applies on both sides
SLOW_ANSWER = 20.0  # answers-after-20s: seconds of "work" before answering
BURST_LIMIT, BURST_WINDOW = 10, 2.0  # falls-over-under-burst: new events it takes within the window
# What the contract names in a connection.deleted event and its payload: refuses-unknown-fields knows no more.
EVENT_FIELDS, PAYLOAD_FIELDS = {"id", "eventType", "generatedDate", "payload"}, {"referenceCompany", "connection"}


class ReferenceConsumer:
    def __init__(self, secret: Secret, faults: Iterable[str] = ()) -> None:
        self._webhook = webhook_for(secret)
        self.faults = Faults(faults)
        self.deleted: dict[str, dict[str, Any]] = {}  # event id -> the connection.deleted event, recorded once
        self.verified_ids: set[str] = set()  # the webhook-id of every delivery that verified
        self.received = 0  # every POST, whatever became of it
        self._by_hand = self._hand_check()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._arrivals: collections.deque[float] = collections.deque()
        self.app = Starlette(routes=[Route(PATH, self.receive, methods=["POST"])])

    def release(self) -> None:
        """End every wait of ``answers-after-20s`` now: a test or a shutdown does not sit out 20 s."""
        self._released.set()

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        headers = dict(request.headers)
        with self._lock:
            self.received += 1
        try:
            self._verify(body, headers)
        except Unhandled as error:
            return JSONResponse({"error": f"internal error: {error}"}, status_code=500)
        except (WebhookVerificationError, ValueError, KeyError, IndexError):  # a malformed header is no signature
            return JSONResponse({"error": "the signature does not verify"}, status_code=401)  # PWH-2
        if "webhook-id" in headers:
            with self._lock:
                self.verified_ids.add(headers["webhook-id"])
        try:
            event = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        event_type = event.get("eventType") if isinstance(event, dict) else None
        if event_type != "connection.deleted":
            if "unknown-type-answers-5xx" in self.faults:  # PWH-4
                return JSONResponse({"error": f"no handler for {event_type!r}"}, status_code=500)
            return JSONResponse({"status": "ignored"})  # PWH-4: not ours to handle
        unknown = _unknown_fields(event)
        if unknown and "refuses-unknown-fields" in self.faults:  # PWH-1: validates events strictly
            return JSONResponse({"error": f"fields the schema does not allow: {', '.join(unknown)}"}, status_code=422)
        if "falls-over-under-burst" in self.faults and self._overloaded():  # PWH-5
            return JSONResponse({"error": "overloaded"}, status_code=503)
        if not self._record(event):
            if "retry-answers-5xx" in self.faults:  # PWH-3
                return JSONResponse({"error": "duplicate key: event id"}, status_code=500)
            return JSONResponse({"status": "duplicate"})  # PWH-3: a retry, acknowledged
        if "answers-after-20s" in self.faults:  # PWH-1: the work done before answering, not after
            await self._stall()
        return JSONResponse({"status": "recorded"})

    def _verify(self, body: bytes, headers: dict[str, str]) -> None:
        """Raises unless the delivery verifies (PWH-2); :class:`Unhandled` where a fault's code would crash."""
        signed = all(name in headers for name in SIGNATURE_HEADERS)
        if not signed and "accepts-unsigned" in self.faults:  # PWH-2: trusts what carries no signature
            return
        if "missing-header-answers-5xx" in self.faults and "webhook-signature" in headers:  # PWH-2: reads them blind
            _read_blind(headers)
        if "malformed-signature-answers-5xx" in self.faults and "webhook-signature" in headers:  # PWH-2
            _decode_blind(headers["webhook-signature"])
        if "trusts-a-known-webhook-id" in self.faults and headers.get("webhook-id") in self.verified_ids:  # PWH-2
            return
        if "verifies-reserialized-body" in self.faults:  # PWH-1: the JSON parsed and written again, not the bytes
            body = json.dumps(json.loads(body), separators=(",", ":")).encode()
        if self._by_hand is not None:
            self._by_hand.verify(self._webhook, body, headers)
        else:
            self._webhook.verify(body, headers, json_parse=False)

    def _hand_check(self) -> HandCheck | None:
        """The hand-written check the faults put in the library's place; None (the library) without them."""
        check = HandCheck()
        if "accepts-forged-signature" in self.faults:  # PWH-2: looks at the timestamp, never the signature
            check = replace(check, signatures="none")
        if "accepts-stale-timestamp" in self.faults:  # PWH-2: checks the signature at whatever time it claims
            check = replace(check, behind=None, ahead=None)
        if "past-timestamps-only" in self.faults:  # PWH-2: only how old a timestamp is, not how far ahead
            check = replace(check, ahead=None)
        if "tolerance-6-minutes" in self.faults:  # PWH-2: a minute more than Standard Webhooks' 5
            check = replace(check, behind=timedelta(minutes=6), ahead=timedelta(minutes=6))
        if "tolerance-4-minutes" in self.faults:  # PWH-1: a minute less than Standard Webhooks' 5
            check = replace(check, behind=timedelta(minutes=4), ahead=timedelta(minutes=4))
        if "accepts-unknown-signature-version" in self.faults:  # PWH-2: with no v1 signature, checks none
            check = replace(check, signatures="v1 if any")
        if "first-signature-only" in self.faults:  # PWH-4: the header's first signature, never the others
            check = replace(check, signatures="first")
        if "every-signature-must-verify" in self.faults:  # PWH-4: any it cannot verify refuses the delivery
            check = replace(check, signatures="every")
        return None if check == HandCheck() else check

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


# -- what the faults put in place of the healthy code: a check by hand, and code that crashes ----------

class Unhandled(Exception):
    """An error a fault's code does not catch: the server answers 500, as a framework does."""


@dataclass(frozen=True)
class HandCheck:
    """What a consumer that verifies signatures by hand checks; each knob away from its default is one fault's
    mistake.  With every default it checks what the library does."""

    behind: timedelta | None = TOLERANCE  # how old a timestamp may be; None: its age is not checked
    ahead: timedelta | None = TOLERANCE  # how far ahead of the clock; None: not checked
    # Which of the header's signatures must verify: any one; the first (the others are never looked at); every
    # one; any one of version v1, with no check at all when there is none; none (the signature is never checked).
    signatures: Literal["any", "first", "every", "v1 if any", "none"] = "any"

    def verify(self, webhook: Webhook, body: bytes, headers: Mapping[str, str]) -> None:
        if not all(headers.get(name) for name in SIGNATURE_HEADERS):
            raise WebhookVerificationError("Missing required headers")
        try:
            sent = datetime.fromtimestamp(float(headers["webhook-timestamp"]), UTC)
        except (ValueError, OverflowError, OSError) as error:
            raise WebhookVerificationError("Invalid Signature Headers") from error
        now = datetime.now(UTC)
        if self.behind is not None and sent < now - self.behind:
            raise WebhookVerificationError("Message timestamp too old")
        if self.ahead is not None and sent > now + self.ahead:
            raise WebhookVerificationError("Message timestamp too new")
        expected = webhook.sign(headers["webhook-id"], sent, body).encode()
        if not self._matches(expected, [s.encode() for s in headers["webhook-signature"].split(" ")]):
            raise WebhookVerificationError("No matching signature found")

    def _matches(self, expected: bytes, given: list[bytes]) -> bool:
        def verifies(signature: bytes) -> bool:
            return hmac.compare_digest(expected, signature)

        if self.signatures == "first":
            return verifies(given[0])
        if self.signatures == "every":
            return all(map(verifies, given))
        if self.signatures == "v1 if any":
            v1 = [signature for signature in given if signature.startswith(b"v1,")]
            return not v1 or any(map(verifies, v1))
        if self.signatures == "none":
            return True
        return any(map(verifies, given))


def _read_blind(headers: Mapping[str, str]) -> None:
    """missing-header-answers-5xx: having seen a signature, takes the other two headers to be there."""
    for name in ("webhook-id", "webhook-timestamp"):
        if name not in headers:
            raise Unhandled(f"KeyError: {name!r}")


def _decode_blind(header: str) -> None:
    """malformed-signature-answers-5xx: splits each signature at its comma and decodes the rest, unguarded."""
    for signature in header.split(" "):
        try:
            base64.b64decode(signature.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error) as error:
            raise Unhandled(f"{type(error).__name__}: {error}") from None


def _unknown_fields(event: dict[str, Any]) -> list[str]:
    """refuses-unknown-fields: the fields of the event and its payload that the contract does not name."""
    payload = event.get("payload")
    found = [name for name in event if name not in EVENT_FIELDS]
    if isinstance(payload, dict):
        found += [f"payload.{name}" for name in payload if name not in PAYLOAD_FIELDS]
    return found


def serve(consumer: ReferenceConsumer, sock: socket.socket) -> None:
    """In the foreground until Ctrl-C; a stalled answer (``answers-after-20s``) does not hold up the stop."""
    config = uvicorn.Config(consumer.app, log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=1)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        consumer.release()
        sock.close()
