"""What ``sfc-conformance consumer`` sends: contract-valid events, signed (or not) exactly as each check needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sfc_conformance.consumer.deliveries import (
    EVENT_TYPE,
    STALE_BY,
    UNKNOWN_EVENT_TYPE,
    Delivery,
    Signer,
    connection_deleted_event,
)
from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.profile import load_contract
from sfc_conformance.core.secrets import Secret
from tests.helpers import CONSUMER_SECRET as SECRET

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(delivery: Delivery) -> object:
    return Webhook(SECRET).verify(delivery.body, delivery.headers)


def test_a_connection_deleted_event_is_a_connection_webhook_of_our_contract() -> None:
    contract = load_contract()
    event = connection_deleted_event(datetime.now(UTC))
    assert contract.validate_schema(contract.schema_named("ConnectionWebhook"), event) == []
    assert event["eventType"] == EVENT_TYPE
    assert event["payload"]["referenceCompany"]["name"] == "SFC conformance consumer check"
    assert ".invalid/" in event["payload"]["connection"]["linkUrl"]  # made up: leads nowhere


def test_every_event_is_for_a_company_and_connection_of_its_own() -> None:
    now = datetime.now(UTC)
    first, second = connection_deleted_event(now), connection_deleted_event(now)
    for key in ("referenceCompany", "connection"):
        assert first["payload"][key]["id"] != second["payload"][key]["id"]
    assert first["id"] != second["id"]


def test_a_signed_delivery_verifies_with_the_secret(signer: Signer) -> None:
    delivery = signer.connection_deleted()
    assert verify(delivery) == json.loads(delivery.body)
    assert delivery.headers["webhook-id"] == delivery.webhook_id
    assert delivery.headers["content-type"] == "application/json"


def test_the_unknown_type_is_signed_and_not_connection_deleted(signer: Signer) -> None:
    delivery = signer.unknown_type()
    event = verify(delivery)
    assert isinstance(event, dict) and event["eventType"] == UNKNOWN_EVENT_TYPE
    assert "connection" not in event["payload"]


def test_a_retry_is_the_same_webhook_id_and_body_signed_at_its_own_moment() -> None:
    clock = ManualClock(datetime.now(UTC))
    signer = Signer(Secret(SECRET), clock)
    first = signer.connection_deleted()
    clock.advance(61)
    again = signer.retry(first)
    assert again.webhook_id == first.webhook_id and again.body == first.body
    assert int(again.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 61
    assert again.headers["webhook-signature"] != first.headers["webhook-signature"]
    assert verify(again) == first.event


def test_the_deliveries_to_refuse_each_fail_verification_for_their_own_reason(signer: Signer) -> None:
    unsigned = signer.unsigned()
    assert not any(header in unsigned.headers for header in SIGNATURE_HEADERS)
    with pytest.raises(WebhookVerificationError, match="Missing required headers"):
        verify(unsigned)

    forged = signer.forged()
    assert all(header in forged.headers for header in SIGNATURE_HEADERS)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify(forged)

    stale = signer.stale()
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(stale)
    sent = datetime.fromtimestamp(int(stale.headers["webhook-timestamp"]), UTC)
    assert datetime.now(UTC) - sent >= STALE_BY > timedelta(minutes=5)
    # Correctly signed for the moment it claims: only its age is wrong.
    expected = Webhook(SECRET).sign(stale.webhook_id, sent, stale.body.decode())
    assert stale.headers["webhook-signature"] == expected


def test_every_delivery_is_a_new_message_but_the_retry(signer: Signer) -> None:
    first = signer.connection_deleted()
    made = [first, signer.unsigned(), signer.forged(), signer.stale(), signer.unknown_type()]
    assert len({d.webhook_id for d in made}) == len(made)
    assert len({d.event["id"] for d in made}) == len(made)
    assert signer.retry(first).event["id"] == first.event["id"]


def test_without_the_secret_deliveries_are_well_formed_but_signed_with_a_key_of_its_own() -> None:
    signer = Signer(None)
    assert not signer.has_secret
    delivery = signer.connection_deleted()
    assert all(header in delivery.headers for header in SIGNATURE_HEADERS)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify(delivery)
