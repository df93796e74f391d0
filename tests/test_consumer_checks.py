"""The PWH judgements on answers made up here: the cases a served consumer could only show slowly or rarely."""

from __future__ import annotations

import pytest

from sfc_conformance.consumer import checks
from sfc_conformance.consumer.checks import FAIL, NA, PASS
from sfc_conformance.consumer.deliveries import Delivery
from sfc_conformance.consumer.endpoint import Reply

DELIVERY = Delivery("a correctly signed connection.deleted delivery", "msg_1", b"{}")
NO_ANSWER = "POST http://127.0.0.1:9/hook got no answer within 15 s (ReadTimeout); the target is slow or stuck"


def reply(status: int | None, seconds: float = 0.05, body: str = "") -> Reply:
    return Reply(DELIVERY, status, seconds, shown="", problem=NO_ANSWER if status is None else "", body_start=body)


@pytest.mark.parametrize("has_secret", [True, False])
def test_a_2xx_in_time_is_acknowledged(has_secret: bool) -> None:
    for status in (200, 202, 204):
        assert checks.acknowledged(reply(status), has_secret, "PWH-1").status == PASS


def test_a_2xx_after_15_seconds_is_too_late() -> None:
    """With --timeout above 15 s the answer is waited for, and still judged against Codat's 15 s."""
    judged = checks.acknowledged(reply(200, seconds=17.25), True, "PWH-1")
    assert judged.status == FAIL and "after 17.2 s, later than the 15 s" in judged.text
    assert checks.acknowledged(reply(200, seconds=15.0), True, "PWH-1").status == PASS


def test_no_answer_and_server_errors_fail_with_or_without_the_secret() -> None:
    for has_secret in (True, False):
        judged = checks.acknowledged(reply(None), has_secret, "PWH-1")
        assert judged.status == FAIL and "got no answer within 15 s" in judged.text
        judged = checks.acknowledged(reply(503, body="down"), has_secret, "PWH-1")
        assert judged.status == FAIL and "answered 503" in judged.text and "'down'" in judged.text


@pytest.mark.parametrize("status", [400, 401, 403])
def test_without_the_secret_a_signature_refusal_is_not_applicable(status: int) -> None:
    judged = checks.acknowledged(reply(status), False, "PWH-4")
    assert judged.status == NA and "give --secret" in judged.text and "PWH-4" in judged.text


def test_with_the_secret_a_refusal_fails_and_points_at_the_secret() -> None:
    judged = checks.acknowledged(reply(401), True, "PWH-1")
    assert judged.status == FAIL and "is --secret the endpoint's signing secret" in judged.text


@pytest.mark.parametrize("status", [404, 405])
def test_a_wrong_path_fails_even_without_the_secret(status: int) -> None:
    judged = checks.acknowledged(reply(status), False, "PWH-1")
    assert judged.status == FAIL and "is this the URL of the endpoint" in judged.text


def test_a_delivery_to_refuse_must_get_a_4xx() -> None:
    assert checks.refused(reply(400)).status == PASS
    assert checks.refused(reply(401)).status == PASS
    assert checks.refused(reply(422)).status == PASS
    accepted = checks.refused(reply(200))
    assert accepted.status == FAIL and "was accepted" in accepted.text
    crashed = checks.refused(reply(500))
    assert crashed.status == FAIL and "refuse it with a 4xx" in crashed.text
    assert checks.refused(reply(None)).status == FAIL
    assert checks.refused(reply(302)).status == FAIL


def test_a_retry_needs_a_first_delivery_the_endpoint_acknowledged() -> None:
    assert checks.retry_possible(reply(200), True).status == PASS
    not_first = checks.retry_possible(reply(500), True)
    assert not_first.status == NA and "see PWH-1" in not_first.text
    assert checks.retry_possible(reply(401), False).status == NA
    judged = checks.retry_acknowledged(reply(200), reply(409), True)
    assert judged.status == FAIL and "the first attempt was answered 200" in judged.text


def test_a_burst_names_how_many_failed_and_how() -> None:
    replies = [reply(200)] * 12 + [reply(503)] * 6 + [reply(None)] * 2
    judged = checks.burst_acknowledged(replies, True)
    assert judged.status == FAIL
    assert judged.text.startswith("8 of 20 deliveries sent at once were not acknowledged")
    assert "503 ×6, no answer ×2" in judged.text
    assert checks.burst_acknowledged([reply(200)] * 20, True).status == PASS
    assert checks.burst_acknowledged([reply(401)] * 20, False).status == NA
    assert checks.burst_acknowledged([reply(401)] * 20, True).status == FAIL


def test_signatures_gate_what_is_sent_only_without_the_secret() -> None:
    assert checks.accepts_our_signatures(reply(401), False, "PWH-5").status == NA
    assert checks.accepts_our_signatures(reply(401), True, "PWH-5").status == PASS
    assert checks.accepts_our_signatures(reply(200), False, "PWH-5").status == PASS


def test_a_failure_says_what_the_delivery_tried() -> None:
    """A delivery that tries one thing (a bound, a layout, one way of being wrong) says it when the answer is wrong."""
    inside = Delivery("a connection.deleted delivery signed 4 min 30 s ago", "msg_2", b"{}",
                      hint="inside the 5 min tolerance; is the endpoint's clock off?")
    judged = checks.acknowledged(Reply(inside, 401, 0.01, shown=""), True, "PWH-1")
    assert judged.status == FAIL
    assert judged.text == ("a connection.deleted delivery signed 4 min 30 s ago: answered 401 after 0.01 s, not 2xx "
                           "(inside the 5 min tolerance; is the endpoint's clock off?)")
    ahead = Delivery("a connection.deleted delivery signed for 5 min 30 s from now", "msg_3", b"{}",
                     hint="the tolerance holds on both sides")
    accepted = checks.refused(Reply(ahead, 200, 0.01, shown=""))
    assert accepted.status == FAIL and accepted.text.startswith("a connection.deleted delivery signed for 5 min 30 s")
    assert accepted.text.endswith("(the tolerance holds on both sides)")
    crashed = checks.refused(Reply(ahead, 500, 0.01, shown=""))
    assert "refuse it with a 4xx" in crashed.text and crashed.text.endswith("(the tolerance holds on both sides)")
    assert checks.acknowledged(Reply(inside, 401, 0.01, shown=""), False, "PWH-1").status == NA  # without the secret
