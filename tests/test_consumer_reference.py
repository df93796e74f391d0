"""The reference consumer: what a correct endpoint does with each delivery, and what each fault changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from sfc_conformance.consumer.deliveries import KINDS, Delivery, Signer
from sfc_conformance.consumer.faults import FAULTS
from sfc_conformance.consumer.reference import BURST_LIMIT, PATH, ReferenceConsumer
from sfc_conformance.core.http import AsgiBridge
from sfc_conformance.core.secrets import Secret


@dataclass
class Reference:
    """One reference consumer, and a client posting to its webhook URL (in-process, through its ASGI app)."""

    consumer: ReferenceConsumer
    http: httpx.Client
    url: str = "http://consumer.test" + PATH

    def post(self, delivery: Delivery, body: bytes | None = None) -> httpx.Response:
        return self.http.post(self.url, content=delivery.body if body is None else body, headers=delivery.headers)

    def status(self, delivery: Delivery) -> int:
        return self.post(delivery).status_code


@pytest.fixture
def reference(consumer_secret: str) -> Iterator[Callable[..., Reference]]:
    """``reference(*faults)``; answers-after-20s answers at once here (its real wait: the command's tests)."""
    made: list[tuple[AsgiBridge, httpx.Client]] = []

    def make(*faults: str) -> Reference:
        consumer = ReferenceConsumer(Secret(consumer_secret), faults)
        consumer.release()
        bridge = AsgiBridge(consumer.app)
        made.append((bridge, httpx.Client(transport=httpx.MockTransport(bridge))))
        return Reference(consumer, made[-1][1])

    yield make
    for bridge, http in made:
        http.close()
        bridge.close()


def test_it_records_a_signed_connection_deleted_once_and_acknowledges_the_retry(
        reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference()
    first = signer.connection_deleted()
    answer = served.post(first)
    assert answer.status_code == 200 and answer.json() == {"status": "recorded"}
    again = served.post(signer.retry(first))
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert list(served.consumer.deleted) == [first.event["id"]]


REFUSED = [kind for kind, made in KINDS.items() if made.rule == "PWH-2"]
ACKNOWLEDGED = [kind for kind, made in KINDS.items() if made.rule != "PWH-2"]


def answers(served: Reference, signer: Signer) -> dict[str, int]:
    """Every kind of delivery the check makes, after a first one (which the last of PWH-2's kinds reuses)."""
    first = signer.connection_deleted()
    assert served.status(first) == 200
    return {kind: served.status(KINDS[kind].make(signer, first)) for kind in KINDS}


def test_it_refuses_what_does_not_verify_and_acknowledges_the_rest(reference: Callable[..., Reference],
                                                                   signer: Signer) -> None:
    served = reference()
    assert answers(served, signer) == {kind: 401 if kind in REFUSED else 200 for kind in KINDS}
    assert len(served.consumer.deleted) == 1 + len(ACKNOWLEDGED)  # nothing it refused was recorded
    assert served.status(Signer(None).connection_deleted()) == 401  # signed with another secret


@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=st.one_of(st.integers(-(5 * 60 - 3), 5 * 60 - 3), st.integers(5 * 60 + 3, 60 * 60),
                         st.integers(-60 * 60, -(5 * 60 + 3))))
def test_its_tolerance_is_5_minutes_on_both_sides_of_its_clock(reference: Callable[..., Reference], signer: Signer,
                                                              seconds: int) -> None:
    """Any moment within 5 minutes of now, before or after it (3 s spared either side of the bound, for the time
    the test itself takes), is acknowledged; any moment beyond is refused."""
    expected = 200 if abs(seconds) < 5 * 60 else 401
    assert reference().status(signer.signed_at(timedelta(seconds=seconds))) == expected


def test_it_acknowledges_and_ignores_an_unknown_type(reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference()
    answer = served.post(signer.unknown_type())
    assert answer.status_code == 200 and answer.json() == {"status": "ignored"}
    assert served.consumer.deleted == {}


def test_it_verifies_the_body_exactly_as_received(reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference()
    delivery = signer.connection_deleted()
    assert served.post(delivery, body=delivery.body.replace(b'","', b'", "', 1)).status_code == 401  # same JSON
    assert served.consumer.deleted == {}


def test_a_verified_body_that_is_not_json_is_a_bad_request(reference: Callable[..., Reference],
                                                            consumer_secret: str) -> None:
    sent = datetime.now(UTC)
    headers = {"webhook-id": "msg_not_json", "webhook-timestamp": str(int(sent.timestamp())),
               "webhook-signature": Webhook(consumer_secret).sign("msg_not_json", sent, "not json")}
    served = reference()
    assert served.http.post(served.url, content=b"not json", headers=headers).status_code == 400
    assert served.consumer.deleted == {}


def test_it_takes_only_post_on_its_path(reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference()
    assert served.http.get(served.url).status_code == 405
    assert served.http.post(served.url.replace("/webhooks/codat", "/elsewhere"), content=b"{}").status_code == 404


# What each fault of how a delivery is verified or read changes: the kinds of delivery whose answer it changes,
# and its answer to them (the healthy consumer's: 401 to PWH-2's kinds, 200 to the others).
CHANGES: dict[str, tuple[tuple[str, ...], int]] = {
    "tolerance-4-minutes": (("signed 4 min 30 s ago", "signed for 4 min 30 s from now"), 401),
    "refuses-unknown-fields": (("with fields the contract does not know",), 422),
    "verifies-reserialized-body": (("written as indented JSON",), 401),
    "accepts-unsigned": (("without signature headers", "without its webhook-id header",
                          "without its webhook-timestamp header", "without its webhook-signature header"), 200),
    "accepts-forged-signature": (("with a wrong signature", "whose body is not the one signed",
                                  "signed for another webhook-id", "signed for another timestamp",
                                  "whose signature has no v1 prefix", "whose signature is not base64",
                                  "signed only with an unknown signature version",
                                  "with a wrong signature under the first delivery's webhook-id"), 200),
    "accepts-stale-timestamp": (("signed 5 min 30 s ago", "signed for 5 min 30 s from now"), 200),
    "past-timestamps-only": (("signed for 5 min 30 s from now",), 200),
    "tolerance-6-minutes": (("signed 5 min 30 s ago", "signed for 5 min 30 s from now"), 200),
    # A bare signature has no version either: skipped too.
    "accepts-unknown-signature-version": (("whose signature has no v1 prefix",
                                           "signed only with an unknown signature version"), 200),
    "trusts-a-known-webhook-id": (("with a wrong signature under the first delivery's webhook-id",), 200),
    "missing-header-answers-5xx": (("without its webhook-id header", "without its webhook-timestamp header"), 500),
    "malformed-signature-answers-5xx": (("whose signature has no v1 prefix", "whose signature is not base64"), 500),
    "first-signature-only": (("signed with a retired key and with the secret",), 401),
    "every-signature-must-verify": (("signed with a retired key and with the secret",
                                     "signed with the secret and with an unknown signature version"), 401),
}


def test_every_fault_of_verifying_or_reading_a_delivery_is_listed() -> None:
    others = {"answers-after-20s", "retry-answers-5xx", "unknown-type-answers-5xx", "falls-over-under-burst"}
    assert set(CHANGES) == set(FAULTS) - others
    assert all(set(kinds) <= set(KINDS) for kinds, _ in CHANGES.values())


@pytest.mark.parametrize("fault", sorted(CHANGES))
def test_each_fault_changes_the_answers_to_its_kinds_and_no_other(reference: Callable[..., Reference],
                                                                  signer: Signer, fault: str) -> None:
    changed, broken = CHANGES[fault]
    rule = FAULTS[fault][0]
    assert all(KINDS[kind].rule == rule for kind in changed), "a fault's kinds are judged under its rule"
    healthy = {kind: 401 if kind in REFUSED else 200 for kind in KINDS}
    assert answers(reference(fault), signer) == {**healthy, **dict.fromkeys(changed, broken)}


def test_unknown_type_answers_5xx_changes_only_the_unknown_type(reference: Callable[..., Reference],
                                                                signer: Signer) -> None:
    served = reference("unknown-type-answers-5xx")
    assert served.status(signer.unknown_type()) == 500
    assert answers(served, signer) == {kind: 401 if kind in REFUSED else 200 for kind in KINDS}


def test_retry_answers_5xx_breaks_only_the_second_attempt(reference: Callable[..., Reference],
                                                          signer: Signer) -> None:
    served = reference("retry-answers-5xx")
    first = signer.connection_deleted()
    assert served.status(first) == 200
    assert served.status(signer.retry(first)) == 500


def test_falls_over_under_burst_past_its_limit(reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference("falls-over-under-burst")
    got = [served.status(signer.connection_deleted()) for _ in range(BURST_LIMIT + 3)]
    assert got == [200] * BURST_LIMIT + [503] * 3


@pytest.mark.parametrize("fault", ["falls-over-under-burst", "answers-after-20s", "retry-answers-5xx"])
def test_the_faults_of_time_and_retries_leave_every_kind_alone(reference: Callable[..., Reference], signer: Signer,
                                                              fault: str) -> None:
    """What the check sends one after another before its burst (fewer than 10 new events) stays within
    falls-over-under-burst's limit; answers-after-20s answers at once here (released)."""
    assert answers(reference(fault), signer) == {kind: 401 if kind in REFUSED else 200 for kind in KINDS}


def test_unknown_faults_are_refused(consumer_secret: str) -> None:
    with pytest.raises(ValueError, match="unknown consumer fault 'accepts-everything'"):
        ReferenceConsumer(Secret(consumer_secret), ["accepts-everything"])
    with pytest.raises(KeyError):
        "accepts-everything" in ReferenceConsumer(Secret(consumer_secret)).faults  # noqa: B015 - a typo at a call site raises
