"""The steps of ``features/consumer/``, bound to its scenarios: loaded by ``sfc-conformance consumer`` alone.

``sfc-conformance run`` binds only the top-level feature files and never
imports this module; the consumer command hands pytest this file, so its name
need not look like a test module's.  Steps send through the run's
:class:`~sfc_conformance.consumer.plugin.ConsumerCheck` and judge with
:mod:`sfc_conformance.consumer.checks`; a judgement that is n/a is a skip
with its reason.
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from sfc_conformance.consumer import checks
from sfc_conformance.consumer.deliveries import KINDS
from sfc_conformance.consumer.endpoint import BURST, Reply
from sfc_conformance.consumer.plugin import ConsumerCheck, check_of
from sfc_conformance.core.resources import resource_dir
from sfc_conformance.verdicts import rule_ids

scenarios(str(resource_dir("features") / "consumer"))


@pytest.fixture(scope="session")
def check(pytestconfig: pytest.Config) -> ConsumerCheck:
    return check_of(pytestconfig)


def _first(check: ConsumerCheck) -> Reply:
    if check.first is None:
        raise RuntimeError("the first delivery was not sent: ConsumerCheck.reach() comes before the scenarios")
    return check.first


def _verdict(judgement: checks.Judgement) -> None:
    if judgement.status == checks.NA:
        pytest.skip(judgement.text)
    assert judgement.status == checks.PASS, judgement.text


def _rule(request: pytest.FixtureRequest) -> str:
    return ", ".join(rule_ids(request.node))


# -- given ---------------------------------------------------------------------------------------

@given("the signing secret")
def _(check: ConsumerCheck) -> None:
    if not check.has_secret:
        pytest.skip("give --secret (or SFC_WEBHOOK_SECRET): only with the endpoint's signing secret can the suite "
                    "sign a delivery the endpoint must accept, and so tell a refusal from a broken endpoint")


@given("the endpoint takes the suite's signatures")
def _(check: ConsumerCheck, request: pytest.FixtureRequest) -> None:
    _verdict(checks.accepts_our_signatures(_first(check), check.has_secret, _rule(request)))


@given("a connection.deleted delivery the endpoint acknowledged", target_fixture="first")
def _(check: ConsumerCheck) -> Reply:
    first = _first(check)
    _verdict(checks.retry_possible(first, check.has_secret))
    return first


# -- when ----------------------------------------------------------------------------------------

@when("the suite delivers a correctly signed connection.deleted event", target_fixture="reply")
def _(check: ConsumerCheck) -> Reply:
    first = _first(check)  # sent before the scenarios, as the probe: judged here
    check.judged(first)
    return first


@when(parsers.parse("the suite delivers a connection.deleted event {delivery}"), target_fixture="reply")
def _(check: ConsumerCheck, delivery: str) -> Reply:
    """Each kind of delivery an outline names (:data:`~sfc_conformance.consumer.deliveries.KINDS`), made the
    moment it is sent: its timestamp is as far from now as its row says."""
    reply = check.endpoint.deliver(KINDS[delivery].make(check.signer, _first(check).delivery))
    check.judged(reply)
    return reply


@when("the suite delivers it again with the same webhook-id", target_fixture="reply")
def _(check: ConsumerCheck, first: Reply) -> Reply:
    reply = check.endpoint.deliver(check.signer.retry(first.delivery))
    check.judged(first, reply)
    return reply


@when("the suite delivers a correctly signed event of a type the endpoint does not know", target_fixture="reply")
def _(check: ConsumerCheck) -> Reply:
    reply = check.endpoint.deliver(check.signer.unknown_type())
    check.judged(reply)
    return reply


@when(parsers.parse("the suite delivers {count:d} correctly signed connection.deleted events at once"),
      target_fixture="replies")
def _(check: ConsumerCheck, count: int) -> list[Reply]:
    if count != BURST:
        raise ValueError(f"the feature asks for a burst of {count}, the suite sends {BURST}")
    replies = check.endpoint.deliver_at_once([check.signer.connection_deleted() for _ in range(count)])
    check.judged(*sorted(replies, key=lambda r: not r.acknowledged))  # the report shows the last, unanswered ones
    check.note("PWH-5", checks.slowest(replies))
    return replies


# -- then ----------------------------------------------------------------------------------------

@then("the endpoint answers 2xx within 15 seconds")
def _(check: ConsumerCheck, reply: Reply, request: pytest.FixtureRequest) -> None:
    """PWH-1, PWH-4: a correctly signed delivery (PWH-1), also one with what the endpoint does not handle (PWH-4),
    is answered 2xx within 15 s."""
    rule = _rule(request)
    if reply.status is not None:
        check.timed(rule, reply)
    _verdict(checks.acknowledged(reply, check.has_secret, rule))


@then("the endpoint refuses it with a 4xx")
def _(reply: Reply) -> None:
    """PWH-2: a delivery without signature headers, with a wrong signature, or with a timestamp more than 5 minutes
    off is refused with a 4xx: never 2xx, never 5xx."""
    _verdict(checks.refused(reply))


@then("the endpoint acknowledges the retry")
def _(check: ConsumerCheck, first: Reply, reply: Reply) -> None:
    """PWH-3: the same delivery again (same webhook-id) is answered 2xx."""
    _verdict(checks.retry_acknowledged(first, reply, check.has_secret))


@then("every delivery is answered 2xx within 15 seconds")
def _(check: ConsumerCheck, replies: list[Reply]) -> None:
    """PWH-5: under a burst, every delivery is still answered 2xx within 15 s."""
    _verdict(checks.burst_acknowledged(replies, check.has_secret))
