"""What ``sfc-conformance consumer`` sends: contract-valid events, signed (or not) exactly as each check needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sfc_conformance.consumer.deliveries import (
    EVENT_TYPE,
    INSIDE,
    KINDS,
    OUTSIDE,
    TOLERANCE,
    UNKNOWN_EVENT_TYPE,
    UNKNOWN_FIELD,
    UNKNOWN_SIGNATURE_VERSION,
    Delivery,
    Signer,
    connection_deleted_event,
    span,
)
from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.profile import load_contract
from sfc_conformance.core.secrets import Secret
from tests.helpers import CONSUMER_SECRET as SECRET

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# Why Standard Webhooks' own library refuses each kind of delivery PWH-2 names.
REFUSED_BECAUSE = {
    "without signature headers": "Missing required headers",
    "without its webhook-id header": "Missing required headers",
    "without its webhook-timestamp header": "Missing required headers",
    "without its webhook-signature header": "Missing required headers",
    "with a wrong signature": "No matching signature",
    "whose body is not the one signed": "No matching signature",
    "signed for another webhook-id": "No matching signature",
    "signed for another timestamp": "No matching signature",
    "whose signature has no v1 prefix": "No matching signature",
    "whose signature is not base64": "No matching signature",
    "signed only with an unknown signature version": "No matching signature",
    "with a wrong signature under the first delivery's webhook-id": "No matching signature",
    f"signed {span(OUTSIDE)} ago": "too old",
    f"signed for {span(OUTSIDE)} from now": "too new",
}


def verify(delivery: Delivery) -> object:
    return Webhook(SECRET).verify(delivery.body, delivery.headers)


def make(kind: str, signer: Signer) -> Delivery:
    return KINDS[kind].make(signer, signer.connection_deleted())


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


# -- every kind the outlines name ------------------------------------------------------------------

def test_every_kind_is_judged_by_a_rule_of_the_partner_endpoint() -> None:
    assert {kind.rule for kind in KINDS.values()} == {"PWH-1", "PWH-2", "PWH-4"}
    assert {kind for kind, made in KINDS.items() if made.rule == "PWH-2"} == set(REFUSED_BECAUSE)


@pytest.mark.parametrize("kind", [kind for kind, made in KINDS.items() if made.rule != "PWH-2"])
def test_what_must_be_acknowledged_verifies_with_the_library(signer: Signer, kind: str) -> None:
    """PWH-1 and PWH-4's kinds are correctly signed, as Standard Webhooks' own library verifies them."""
    delivery = make(kind, signer)
    assert verify(delivery) == json.loads(delivery.body)
    assert delivery.event["eventType"] == EVENT_TYPE


@pytest.mark.parametrize("kind", sorted(REFUSED_BECAUSE))
def test_what_must_be_refused_fails_the_library_for_its_own_reason(signer: Signer, kind: str) -> None:
    delivery = make(kind, signer)
    with pytest.raises(WebhookVerificationError, match=REFUSED_BECAUSE[kind]):
        verify(delivery)
    assert delivery.event["eventType"] == EVENT_TYPE  # the body is a well-formed event: only the signing is wrong


@pytest.mark.parametrize("header", SIGNATURE_HEADERS)
def test_a_missing_header_is_the_only_one_missing(signer: Signer, header: str) -> None:
    delivery = make(f"without its {header} header", signer)
    assert [name for name in SIGNATURE_HEADERS if name not in delivery.headers] == [header]


def test_each_wrong_signature_is_wrong_in_one_way_only(signer: Signer) -> None:
    """Put right the one thing a kind changed, and the library verifies it: nothing else is wrong."""
    another_id = make("signed for another webhook-id", signer)
    signed_for = another_id.what.rsplit("(", 1)[1].rstrip(")")
    assert another_id.headers["webhook-id"] == another_id.webhook_id != signed_for
    verify(Delivery("", "", another_id.body, {**another_id.headers, "webhook-id": signed_for}))
    another_moment = make("signed for another timestamp", signer)
    moved = str(int(another_moment.headers["webhook-timestamp"]) - 60)
    verify(Delivery("", "", another_moment.body, {**another_moment.headers, "webhook-timestamp": moved}))


def test_malformed_and_unknown_signatures_are_not_the_secret_s(signer: Signer) -> None:
    """Even read leniently (prefix dropped or version ignored), these carry no valid signature: no reading of the
    profile could call them correctly signed."""
    for kind in ("whose signature has no v1 prefix", "signed only with an unknown signature version"):
        delivery = make(kind, signer)
        mac = delivery.headers["webhook-signature"].split(",")[-1]
        with pytest.raises(WebhookVerificationError):
            verify(Delivery("", "", delivery.body, {**delivery.headers, "webhook-signature": f"v1,{mac}"}))
    assert not make("whose signature has no v1 prefix", signer).headers["webhook-signature"].startswith("v1,")
    assert make("signed only with an unknown signature version", signer).headers["webhook-signature"].startswith(
        f"{UNKNOWN_SIGNATURE_VERSION},")


def test_a_forged_delivery_under_the_first_webhook_id(signer: Signer) -> None:
    first = signer.connection_deleted()
    forged = KINDS["with a wrong signature under the first delivery's webhook-id"].make(signer, first)
    assert forged.headers["webhook-id"] == forged.webhook_id == first.webhook_id
    assert forged.event["id"] != first.event["id"]


def test_several_signatures_carry_exactly_one_valid(signer: Signer) -> None:
    for kind, valid_at in (("signed with a retired key and with the secret", 1),
                           ("signed with the secret and with an unknown signature version", 0)):
        delivery = make(kind, signer)
        signatures = delivery.headers["webhook-signature"].split(" ")
        assert len(signatures) == 2
        for at, signature in enumerate(signatures):
            alone = Delivery("", "", delivery.body, {**delivery.headers, "webhook-signature": signature})
            if at == valid_at:
                verify(alone)
            else:
                with pytest.raises(WebhookVerificationError):
                    verify(alone)


def test_unknown_fields_are_in_every_object_and_the_event_stays_contract_valid(signer: Signer) -> None:
    event = make("with fields the contract does not know", signer).event
    assert UNKNOWN_FIELD in event and UNKNOWN_FIELD in event["payload"]["connection"]
    contract = load_contract()
    assert contract.validate_schema(contract.schema_named("ConnectionWebhook"), event) == []


def test_the_indented_body_is_signed_as_sent(signer: Signer) -> None:
    delivery = make("written as indented JSON", signer)
    assert b"\n  " in delivery.body and delivery.body != json.dumps(delivery.event, separators=(",", ":")).encode()


# -- the 5-minute bound, from both sides --------------------------------------------------------------

def test_the_bound_is_tried_just_inside_and_just_outside() -> None:
    assert timedelta(0) < TOLERANCE - INSIDE == OUTSIDE - TOLERANCE <= timedelta(minutes=1)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(skew=st.floats(-15, 15), transit=st.floats(0, 14))
def test_a_few_seconds_of_skew_or_transit_leave_each_timestamp_on_its_side(skew: float, transit: float) -> None:
    """The endpoint's clock off the suite's by up to 15 s either way, a delivery up to 14 s on the wire: whatever
    the endpoint's clock reads on arrival, a delivery signed inside the tolerance still is, and one outside too."""
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, 0, 500000, tzinfo=UTC))
    signer = Signer(Secret(SECRET), clock)
    arrives = clock.now() + timedelta(seconds=transit + skew)
    for offset, inside in ((-INSIDE, True), (INSIDE, True), (-OUTSIDE, False), (OUTSIDE, False)):
        sent = datetime.fromtimestamp(int(signer.signed_at(offset).headers["webhook-timestamp"]), UTC)
        assert (abs(arrives - sent) <= TOLERANCE) is inside, (offset, sent, arrives)


def test_every_delivery_is_a_new_message_but_the_retry_and_the_forgery_under_the_first(signer: Signer) -> None:
    first = signer.connection_deleted()
    made = [first, signer.unknown_type(),
            *(kind.make(signer, first) for name, kind in KINDS.items() if "first delivery" not in name)]
    assert len({d.headers.get("webhook-id", d.webhook_id) for d in made}) == len(made)
    assert len({d.event["id"] for d in made}) == len(made)
    assert signer.retry(first).event["id"] == first.event["id"]


def test_without_the_secret_deliveries_are_well_formed_but_signed_with_a_key_of_its_own() -> None:
    signer = Signer(None)
    assert not signer.has_secret
    delivery = signer.connection_deleted()
    assert all(header in delivery.headers for header in SIGNATURE_HEADERS)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verify(delivery)
