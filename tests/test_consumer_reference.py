"""The reference consumer: what a correct endpoint does with each delivery, and what each fault changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from sfc_conformance.consumer.deliveries import Delivery, Signer
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


@pytest.mark.parametrize("make", [Signer.unsigned, Signer.forged, Signer.stale], ids=["unsigned", "forged", "stale"])
def test_it_refuses_what_does_not_verify_and_records_nothing(
        reference: Callable[..., Reference], signer: Signer, make: Callable[[Signer], Delivery]) -> None:
    served = reference()
    assert served.status(make(signer)) == 401
    assert served.status(Signer(None).connection_deleted()) == 401  # signed with another secret
    assert served.consumer.deleted == {}


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


# What each fault changes: (a delivery the check sends, its answer from the healthy consumer, with the fault).
CHANGES: dict[str, tuple[Callable[[Signer], Delivery], int, int]] = {
    "accepts-unsigned": (Signer.unsigned, 401, 200),
    "accepts-forged-signature": (Signer.forged, 401, 200),
    "accepts-stale-timestamp": (Signer.stale, 401, 200),
    "unknown-type-answers-5xx": (Signer.unknown_type, 200, 500),
}


@pytest.mark.parametrize("fault", sorted(CHANGES))
def test_each_signature_or_type_fault_changes_one_answer(reference: Callable[..., Reference], signer: Signer,
                                                          fault: str) -> None:
    make, healthy, broken = CHANGES[fault]
    assert reference().status(make(signer)) == healthy
    assert reference(fault).status(make(signer)) == broken


@pytest.mark.parametrize("fault", [f for f, (rule, _) in FAULTS.items() if rule == "PWH-2"])
def test_a_signature_fault_leaves_the_other_refusals_alone(reference: Callable[..., Reference], signer: Signer,
                                                           fault: str) -> None:
    served = reference(fault)
    others = [make for other, (make, _, _) in CHANGES.items() if FAULTS[other][0] == "PWH-2" and other != fault]
    assert [served.status(make(signer)) for make in others] == [401, 401]
    assert served.status(signer.connection_deleted()) == 200


def test_retry_answers_5xx_breaks_only_the_second_attempt(reference: Callable[..., Reference],
                                                          signer: Signer) -> None:
    served = reference("retry-answers-5xx")
    first = signer.connection_deleted()
    assert served.status(first) == 200
    assert served.status(signer.retry(first)) == 500


def test_falls_over_under_burst_past_its_limit(reference: Callable[..., Reference], signer: Signer) -> None:
    served = reference("falls-over-under-burst")
    answers = [served.status(signer.connection_deleted()) for _ in range(BURST_LIMIT + 3)]
    assert answers == [200] * BURST_LIMIT + [503] * 3


def test_unknown_faults_are_refused(consumer_secret: str) -> None:
    with pytest.raises(ValueError, match="unknown consumer fault 'accepts-everything'"):
        ReferenceConsumer(Secret(consumer_secret), ["accepts-everything"])
    with pytest.raises(KeyError):
        "accepts-everything" in ReferenceConsumer(Secret(consumer_secret)).faults  # noqa: B015 - a typo at a call site raises
