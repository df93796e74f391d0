"""What the suite posts to a partner's endpoint: events as Codat sends them, signed as Standard Webhooks say.

Every event is a ``ConnectionWebhook`` of our contract for a made-up company and
connection (fresh uuids, the company named ``SFC conformance consumer check``, links
on the reserved ``.invalid`` domain), so an endpoint wired to real data can tell
them from real ones and finds nothing of its own deleted.

A :class:`Signer` signs with the partner's secret when it has it.  Without it, it
signs with a key of its own: the deliveries stay well-formed, but an endpoint
that verifies signatures rightly refuses them, and the checks say so (n/a).
The variants a consumer must refuse (PWH-2) are a delivery without the three
signature headers, one signed with another key, and one signed correctly
but for a moment well outside the 5-minute tolerance; a retry (PWH-3) is the
same ``webhook-id`` and body, signed again at the moment it is sent, as a
sender does for every attempt.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from sfc_conformance.core.account import generate_secret, webhook_for
from sfc_conformance.core.clock import Clock, SystemClock
from sfc_conformance.core.secrets import Secret

EVENT_TYPE = "connection.deleted"
# No consumer knows it: PWH-4 asks that such an event be acknowledged and ignored.
UNKNOWN_EVENT_TYPE = "sfc-conformance.unknown-event"
COMPANY_NAME = "SFC conformance consumer check"
FAKE_HOST = "https://sfc-conformance.invalid"  # RFC 2606: never resolves, so no link in an event leads anywhere
# PWH-2's stale delivery: 5 minutes past the tolerance, so an endpoint whose clock is a few minutes off
# still sees it as stale, and one that checks no timestamp at all accepts it.
STALE_BY = timedelta(minutes=10)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def connection_deleted_event(now: datetime) -> dict[str, Any]:
    """A ``connection.deleted`` event (a ``ConnectionWebhook``) for a company and connection made up now."""
    company_id, connection_id = str(uuid.uuid4()), str(uuid.uuid4())
    created = _iso(now - timedelta(days=30))
    return {
        "id": str(uuid.uuid4()),
        "eventType": EVENT_TYPE,
        "generatedDate": _iso(now),
        "payload": {
            "referenceCompany": {
                "id": company_id,
                "name": COMPANY_NAME,
                "description": "Made up by sfc-conformance to check a webhook endpoint; it does not exist.",
                "links": {"portal": f"{FAKE_HOST}/companies/{company_id}"},
            },
            "connection": {
                "id": connection_id,
                "integrationId": str(uuid.uuid4()),
                "integrationKey": "gbol",
                "sourceId": str(uuid.uuid4()),
                "sourceType": "Accounting",
                "platformName": "Xero",
                "linkUrl": f"{FAKE_HOST}/companies/{company_id}/connections/{connection_id}/start",
                "status": "Linked",
                "lastSync": created,
                "created": created,
            },
        },
    }


def unknown_event(now: datetime) -> dict[str, Any]:
    """A well-formed event of a type no consumer handles (PWH-4)."""
    event = connection_deleted_event(now)
    event["eventType"] = UNKNOWN_EVENT_TYPE
    del event["payload"]["connection"]
    return event


@dataclass(frozen=True)
class Delivery:
    """One POST to the endpoint: the exact body bytes and the headers sent with them."""

    what: str  # for messages: "a correctly signed connection.deleted event"
    webhook_id: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Signer:
    """Deliveries of events, signed with the partner's secret (or, without it, a key of the suite's own)."""

    def __init__(self, secret: Secret | None, clock: Clock | None = None) -> None:
        self.has_secret = bool(secret)
        self.clock: Clock = clock or SystemClock()  # signatures are checked against wall clocks: real time
        self._webhook = webhook_for(secret if secret else Secret(generate_secret()))

    def _delivery(self, what: str, event: dict[str, Any], webhook_id: str | None = None) -> Delivery:
        body = json.dumps(event, separators=(",", ":")).encode()
        return Delivery(what, webhook_id or f"msg_{uuid.uuid4().hex}", body, {"content-type": "application/json"})

    def _signed_with(self, webhook: Webhook, delivery: Delivery, at: datetime) -> Delivery:
        headers = {**delivery.headers, "webhook-id": delivery.webhook_id,
                   "webhook-timestamp": str(int(at.timestamp())),
                   "webhook-signature": webhook.sign(delivery.webhook_id, at, delivery.body.decode())}
        return Delivery(delivery.what, delivery.webhook_id, delivery.body, headers)

    def signed(self, event: dict[str, Any], what: str) -> Delivery:
        return self._signed_with(self._webhook, self._delivery(what, event), self.clock.now())

    def connection_deleted(self) -> Delivery:
        return self.signed(connection_deleted_event(self.clock.now()),
                           "a correctly signed connection.deleted delivery")

    def unknown_type(self) -> Delivery:
        return self.signed(unknown_event(self.clock.now()), f"a correctly signed {UNKNOWN_EVENT_TYPE} delivery")

    def retry(self, first: Delivery) -> Delivery:
        """``first`` again: the same ``webhook-id`` and body, signed at the moment of this attempt."""
        again = Delivery(f"the same delivery again (webhook-id {first.webhook_id})", first.webhook_id, first.body,
                         {"content-type": "application/json"})
        return self._signed_with(self._webhook, again, self.clock.now())

    # -- PWH-2: what a consumer must refuse --------------------------------------------

    def unsigned(self) -> Delivery:
        return self._delivery("a connection.deleted delivery without signature headers",
                              connection_deleted_event(self.clock.now()))

    def forged(self) -> Delivery:
        """Signed now, but with another key: the signature header is well-formed and wrong."""
        other = webhook_for(Secret(generate_secret()))
        delivery = self._delivery("a connection.deleted delivery with a wrong signature",
                                  connection_deleted_event(self.clock.now()))
        return self._signed_with(other, delivery, self.clock.now())

    def stale(self) -> Delivery:
        """Correctly signed, for a moment 10 minutes ago: only the timestamp check refuses it."""
        now = self.clock.now()
        delivery = self._delivery(f"a connection.deleted delivery signed {STALE_BY.seconds // 60} minutes ago",
                                  connection_deleted_event(now - STALE_BY))
        return self._signed_with(self._webhook, delivery, now - STALE_BY)
