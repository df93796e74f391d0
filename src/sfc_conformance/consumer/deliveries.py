"""What the suite posts to a partner's endpoint: events as Codat sends them, signed as Standard Webhooks say.

Every event is a ``ConnectionWebhook`` of our contract for a made-up company and
connection (fresh uuids, the company named ``SFC conformance consumer check``, links
on the reserved ``.invalid`` domain), so an endpoint wired to real data can tell
them from real ones and finds nothing of its own deleted.

A :class:`Signer` signs with the partner's secret when it has it.  Without it, it
signs with a key of its own: the deliveries stay well-formed, but an endpoint
that verifies signatures rightly refuses them, and the checks say so (n/a).

:data:`KINDS` is every other kind of delivery one check makes, by the words of
``features/consumer/``, each under the rule that says what the endpoint does
with it:

* PWH-1 (acknowledged): correctly signed just inside the 5-minute tolerance, in
  the past and in the future; with fields the contract does not know (API-1
  allows them in events); written as indented JSON rather than minified (a
  signature covers the body's bytes, however the sender lays them out).
* PWH-2 (refused with a 4xx): each way a delivery can fail Standard Webhooks'
  verification: without one or all of the three headers; signed with another
  key, over another body, for another ``webhook-id`` or timestamp; a signature
  header that is malformed (no ``v1,`` prefix, not base64) or of an unknown
  version only, none of them carrying the secret's signature, so that no
  lenient reading of the header finds one; a wrong signature under a
  ``webhook-id`` the endpoint has seen; correctly signed just outside the
  tolerance, in the past and in the future.
* PWH-4 (acknowledged; consumers ignore what they don't handle): several
  signatures in the header, as Standard Webhooks allows for key rotation, of
  which one is valid: the other made with a retired key, or of an unknown
  version.  The profile does not say whether such a delivery is correctly
  signed; Standard Webhooks (and its library) says it is, so refusing it is
  judged under this SHOULD rule: a warning, never a failure without ``--strict``.

A retry (PWH-3) is the same ``webhook-id`` and body, signed again at the moment
it is sent, as a sender does for every attempt.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from sfc_conformance.core.account import SIGNATURE_HEADERS, generate_secret, webhook_for
from sfc_conformance.core.clock import Clock, SystemClock
from sfc_conformance.core.secrets import Secret

EVENT_TYPE = "connection.deleted"
# No consumer knows it: PWH-4 asks that such an event be acknowledged and ignored.
UNKNOWN_EVENT_TYPE = "sfc-conformance.unknown-event"
# A signature scheme Standard Webhooks does not define (it defines v1, HMAC, and v1a, ed25519).
UNKNOWN_SIGNATURE_VERSION = "v2"
COMPANY_NAME = "SFC conformance consumer check"
FAKE_HOST = "https://sfc-conformance.invalid"  # RFC 2606: never resolves, so no link in an event leads anywhere
# A field no version of the contract has, in every object of an event (API-1: allowed, and to be ignored).
UNKNOWN_FIELD = "sfcAddedLater"

# Standard Webhooks' timestamp tolerance, the same on both sides of the receiver's clock (PWH-2).
TOLERANCE = timedelta(minutes=5)
# How far inside and outside the tolerance the bound is tried.  Every delivery is signed the moment it
# is sent, so the endpoint sees its timestamp off by the offset give or take the time on the wire and
# the difference between the two clocks: 30 s covers a clock a few seconds off (any clock kept by NTP)
# and a slow network, while a tolerance a minute too short or too long still lands on the wrong side.
MARGIN = timedelta(seconds=30)
INSIDE, OUTSIDE = TOLERANCE - MARGIN, TOLERANCE + MARGIN
ANOTHER_MOMENT = timedelta(minutes=1)  # a signature for another timestamp: both well inside the tolerance


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def span(offset: timedelta) -> str:
    """"4 min 30 s", "10 min": how far off a timestamp is, in the words of the feature and the messages."""
    minutes, seconds = divmod(int(abs(offset).total_seconds()), 60)
    return " ".join(part for part in (f"{minutes} min" if minutes else "", f"{seconds} s" if seconds else "")
                    if part) or "0 s"


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


def with_unknown_fields(value: Any) -> Any:
    """``value`` with a field no contract lists in each of its objects, as a newer version of the API may send."""
    if not isinstance(value, dict):
        return value
    return {**{key: with_unknown_fields(item) for key, item in value.items()},
            UNKNOWN_FIELD: {"note": "a field from a newer version of the API"}}


def compact(event: dict[str, Any]) -> bytes:
    """An event as the suite sends it: minified JSON, as Standard Webhooks recommends."""
    return json.dumps(event, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Delivery:
    """One POST to the endpoint: the exact body bytes and the headers sent with them."""

    what: str  # for messages: "a correctly signed connection.deleted delivery"
    webhook_id: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    hint: str = ""  # when the endpoint's answer is not the one its rule asks: what the delivery tried

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
        self._retired = webhook_for(Secret(generate_secret()))  # "another key": never the endpoint's

    # -- the parts every delivery is made of -------------------------------------------------

    def _unsigned(self, what: str, body: bytes, hint: str = "", webhook_id: str | None = None) -> Delivery:
        return Delivery(what, webhook_id or f"msg_{uuid.uuid4().hex}", body, {"content-type": "application/json"},
                        hint)

    def _signed_with(self, webhook: Webhook, delivery: Delivery, at: datetime) -> Delivery:
        headers = {**delivery.headers, "webhook-id": delivery.webhook_id,
                   "webhook-timestamp": str(int(at.timestamp())),
                   "webhook-signature": webhook.sign(delivery.webhook_id, at, delivery.body)}
        return replace(delivery, headers=headers)

    def _signed(self, what: str, body: bytes | None = None, hint: str = "", offset: timedelta = timedelta(0),
                webhook: Webhook | None = None) -> Delivery:
        """A new connection.deleted event (or ``body``), signed for now + ``offset``."""
        now = self.clock.now()
        delivery = self._unsigned(what, body if body is not None else compact(connection_deleted_event(now)), hint)
        return self._signed_with(webhook or self._webhook, delivery, now + offset)

    def signed(self, event: dict[str, Any], what: str) -> Delivery:
        return self._signed(what, compact(event))

    @staticmethod
    def _with_headers(delivery: Delivery, changed: dict[str, str | None]) -> Delivery:
        """``delivery`` with some headers replaced, or left out (``None``)."""
        headers = {name: value for name, value in {**delivery.headers, **changed}.items() if value is not None}
        return replace(delivery, headers=headers)

    def _mac_with_another_key(self, delivery: Delivery) -> str:
        """The base64 part of a signature of ``delivery`` made with a key that is not the endpoint's."""
        signature = self._retired.sign(delivery.webhook_id, self._moment(delivery), delivery.body)
        return signature.split(",", 1)[1]

    @staticmethod
    def _moment(delivery: Delivery) -> datetime:
        return datetime.fromtimestamp(int(delivery.headers["webhook-timestamp"]), UTC)

    # -- PWH-1: what a consumer must acknowledge ---------------------------------------------

    def connection_deleted(self) -> Delivery:
        return self._signed("a correctly signed connection.deleted delivery")

    def signed_at(self, offset: timedelta) -> Delivery:
        """Correctly signed for a moment ``offset`` from now: before it when negative."""
        if offset < timedelta(0):
            when = f"{span(offset)} ago"
        else:
            when = f"for {span(offset)} from now"
        inside = abs(offset) <= TOLERANCE
        hint = (f"signed {when}, {'inside' if inside else 'outside'} Standard Webhooks' {span(TOLERANCE)} "
                "tolerance, which holds on both sides of the endpoint's clock"
                + ("; is the endpoint's tolerance shorter, or its clock more than "
                   f"{span(MARGIN)} off the suite's?" if inside else ""))
        return self._signed(f"a connection.deleted delivery signed {when}", hint=hint, offset=offset)

    def with_unknown_fields(self) -> Delivery:
        event = with_unknown_fields(connection_deleted_event(self.clock.now()))
        return self._signed(f"a correctly signed connection.deleted delivery with a field {UNKNOWN_FIELD!r} in "
                            "each object, which the contract does not know",
                            compact(event), hint="fields the contract does not know are allowed in events (API-1): "
                                                 "ignore them, as Codat counts a new field as a non-breaking change")

    def indented(self) -> Delivery:
        body = json.dumps(connection_deleted_event(self.clock.now()), indent=2).encode()
        return self._signed("a correctly signed connection.deleted delivery written as indented JSON", body,
                            hint="the signature covers the body's bytes as sent: verify those, not the JSON parsed "
                                 "and written again")

    # -- PWH-2: what a consumer must refuse ---------------------------------------------------

    def unsigned(self) -> Delivery:
        return self._with_headers(self._signed("a connection.deleted delivery without signature headers"),
                                  dict.fromkeys(SIGNATURE_HEADERS))

    def without(self, header: str) -> Delivery:
        """Correctly signed, then one of the three headers left out."""
        if header not in SIGNATURE_HEADERS:
            raise ValueError(f"{header!r} is not one of the signature headers {SIGNATURE_HEADERS}")
        delivery = self._signed(f"a connection.deleted delivery signed correctly, but sent without its {header} "
                                "header", hint="without its three headers a delivery cannot be verified")
        return self._with_headers(delivery, {header: None})

    def forged(self) -> Delivery:
        """Signed now, but with another key: the signature header is well-formed and wrong."""
        return self._signed("a connection.deleted delivery with a wrong signature (another key's)",
                            webhook=self._retired)

    def tampered(self) -> Delivery:
        """The signature of one event, sent with the body of another: as if changed on the way."""
        signed = self._signed("a connection.deleted delivery whose body is not the one signed",
                              hint="the signature covers the body: verify it over the body received")
        return replace(signed, body=compact(connection_deleted_event(self.clock.now())))

    def for_another_id(self) -> Delivery:
        signed = self._signed("", hint="the signature covers the webhook-id: verify it with the webhook-id received")
        sent = f"msg_{uuid.uuid4().hex}"
        return replace(self._with_headers(signed, {"webhook-id": sent}), webhook_id=sent,
                       what=f"a connection.deleted delivery whose signature was made for another webhook-id "
                            f"({signed.webhook_id})")

    def for_another_timestamp(self) -> Delivery:
        signed = self._signed("a connection.deleted delivery whose signature was made for another timestamp "
                              f"({span(ANOTHER_MOMENT)} earlier; both inside the tolerance)",
                              hint="the signature covers the timestamp: verify it with the webhook-timestamp "
                                   "received", offset=-ANOTHER_MOMENT)
        return self._with_headers(signed, {"webhook-timestamp": str(int(self.clock.now().timestamp()))})

    def unprefixed(self) -> Delivery:
        signed = self._signed("a connection.deleted delivery whose webhook-signature is a bare base64 signature "
                              "(another key's), without its 'v1,' prefix",
                              hint="a malformed signature header is a wrong signature")
        return self._with_headers(signed, {"webhook-signature": self._mac_with_another_key(signed)})

    def not_base64(self) -> Delivery:
        signed = self._signed("a connection.deleted delivery whose webhook-signature is 'v1,~not~base64~', not base64",
                              hint="a malformed signature header is a wrong signature")
        return self._with_headers(signed, {"webhook-signature": "v1,~not~base64~"})

    def unknown_version_only(self) -> Delivery:
        signed = self._signed("a connection.deleted delivery whose only signature is of a version Standard "
                              f"Webhooks does not define ({UNKNOWN_SIGNATURE_VERSION})",
                              hint="a signature the endpoint cannot verify is no signature: at least one v1 "
                                   "signature must verify")
        mac = self._mac_with_another_key(signed)
        return self._with_headers(signed, {"webhook-signature": f"{UNKNOWN_SIGNATURE_VERSION},{mac}"})

    def forged_under(self, first: Delivery) -> Delivery:
        """A wrong signature, under the ``webhook-id`` of an earlier delivery (``first``) the endpoint has seen."""
        delivery = self._unsigned(f"a connection.deleted delivery with a wrong signature (another key's), under the "
                                  f"webhook-id of the first delivery ({first.webhook_id})",
                                  compact(connection_deleted_event(self.clock.now())),
                                  hint="a webhook-id seen before is no reason to skip the signature check: verify "
                                       "first, then look the id up", webhook_id=first.webhook_id)
        return self._signed_with(self._retired, delivery, self.clock.now())

    # -- PWH-3, PWH-4 -----------------------------------------------------------------------

    def retry(self, first: Delivery) -> Delivery:
        """``first`` again: the same ``webhook-id`` and body, signed at the moment of this attempt."""
        again = self._unsigned(f"the same delivery again (webhook-id {first.webhook_id})", first.body,
                               webhook_id=first.webhook_id)
        return self._signed_with(self._webhook, again, self.clock.now())

    def unknown_type(self) -> Delivery:
        return self.signed(unknown_event(self.clock.now()), f"a correctly signed {UNKNOWN_EVENT_TYPE} delivery")

    def rotating_keys(self) -> Delivery:
        """Two signatures, as while a sender rotates its key: a retired key's first, then the valid one."""
        signed = self._signed("a connection.deleted delivery signed twice, with a retired key and then with the "
                              "secret (as while a key is rotated)",
                              hint="the signature header is a list: a delivery verifies when one of them does")
        retired = f"v1,{self._mac_with_another_key(signed)}"
        return self._with_headers(signed, {"webhook-signature": f"{retired} {signed.headers['webhook-signature']}"})

    def beside_unknown_version(self) -> Delivery:
        """The valid signature first, then one of a version the endpoint cannot know."""
        signed = self._signed("a connection.deleted delivery signed with the secret and also with a signature of a "
                              f"version Standard Webhooks does not define ({UNKNOWN_SIGNATURE_VERSION})",
                              hint="the signature header is a list: skip the signatures of a version you do not "
                                   "know, and accept when one you know verifies")
        unknown = f"{UNKNOWN_SIGNATURE_VERSION},{base64.b64encode(secrets.token_bytes(32)).decode()}"
        return self._with_headers(signed, {"webhook-signature": f"{signed.headers['webhook-signature']} {unknown}"})


# -- every kind of delivery the scenario outlines name, by the words of the feature ----------------

Make = Callable[[Signer, Delivery], Delivery]  # (the signer, the check's first delivery) -> a new delivery


@dataclass(frozen=True)
class Kind:
    """One row of an outline of ``features/consumer/``: the rule that says what the endpoint does with it."""

    rule: str
    make: Make


KINDS: dict[str, Kind] = {
    # PWH-1: correctly signed, so acknowledged: on both sides of now, inside the tolerance; as a sender may write it.
    f"signed {span(INSIDE)} ago": Kind("PWH-1", lambda signer, _: signer.signed_at(-INSIDE)),
    f"signed for {span(INSIDE)} from now": Kind("PWH-1", lambda signer, _: signer.signed_at(INSIDE)),
    "with fields the contract does not know": Kind("PWH-1", lambda signer, _: signer.with_unknown_fields()),
    "written as indented JSON": Kind("PWH-1", lambda signer, _: signer.indented()),
    # PWH-2: without signature headers, all of them or one.
    "without signature headers": Kind("PWH-2", lambda signer, _: signer.unsigned()),
    "without its webhook-id header": Kind("PWH-2", lambda signer, _: signer.without("webhook-id")),
    "without its webhook-timestamp header": Kind("PWH-2", lambda signer, _: signer.without("webhook-timestamp")),
    "without its webhook-signature header": Kind("PWH-2", lambda signer, _: signer.without("webhook-signature")),
    # PWH-2: with a wrong signature, every way it can be wrong.
    "with a wrong signature": Kind("PWH-2", lambda signer, _: signer.forged()),
    "whose body is not the one signed": Kind("PWH-2", lambda signer, _: signer.tampered()),
    "signed for another webhook-id": Kind("PWH-2", lambda signer, _: signer.for_another_id()),
    "signed for another timestamp": Kind("PWH-2", lambda signer, _: signer.for_another_timestamp()),
    "whose signature has no v1 prefix": Kind("PWH-2", lambda signer, _: signer.unprefixed()),
    "whose signature is not base64": Kind("PWH-2", lambda signer, _: signer.not_base64()),
    "signed only with an unknown signature version": Kind("PWH-2", lambda signer, _: signer.unknown_version_only()),
    "with a wrong signature under the first delivery's webhook-id":
        Kind("PWH-2", lambda signer, first: signer.forged_under(first)),
    # PWH-2: with a timestamp more than 5 minutes off, on both sides of now.
    f"signed {span(OUTSIDE)} ago": Kind("PWH-2", lambda signer, _: signer.signed_at(-OUTSIDE)),
    f"signed for {span(OUTSIDE)} from now": Kind("PWH-2", lambda signer, _: signer.signed_at(OUTSIDE)),
    # PWH-4: a signature the endpoint cannot verify, beside one it can, is ignored.
    "signed with a retired key and with the secret": Kind("PWH-4", lambda signer, _: signer.rotating_keys()),
    "signed with the secret and with an unknown signature version":
        Kind("PWH-4", lambda signer, _: signer.beside_unknown_version()),
}
