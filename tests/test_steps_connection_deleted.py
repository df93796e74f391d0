"""DEL-1's judgement (``sfc_conformance.core.profile._connection_deleted``), which the connection-deleted Then
steps call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfc_conformance.core.account import RUN_QUERY, SUBSCRIBER_QUERY, Delivery
from sfc_conformance.core.profile import (
    SeveredConnection,
    announcement_problems,
    announcing,
    heard_by_all,
)

RUN = "20260101T000000Z-abcdef"
AT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
SEVERED = SeveredConnection("company-1", "connection-1", AT, ("1", "2"))
OURS = ("1", "2")


def delivery(subscriber: str, *, after: float = 1.0, event_id: str = "event-1", connection: str = "connection-1",
             company: str = "company-1", run: str = RUN, event_type: str = "connection.deleted") -> Delivery:
    body: dict[str, Any] = {"id": event_id, "eventType": event_type, "generatedDate": AT.isoformat(),
                            "payload": {"referenceCompany": {"id": company}, "connection": {"id": connection}}}
    return Delivery(body, {}, {RUN_QUERY: [run], SUBSCRIBER_QUERY: [subscriber]}, AT + timedelta(seconds=after),
                    signed=False, verified=None)


def problems(*deliveries: Delivery, severed: SeveredConnection = SEVERED) -> list[str]:
    return announcement_problems(severed, list(deliveries), run_id=RUN, subscriptions=OURS, within=10)


def test_one_event_heard_by_every_subscription_in_time_holds() -> None:
    assert problems(delivery("1"), delivery("2", after=9.9)) == []


def test_a_retry_of_the_same_event_is_allowed() -> None:
    assert problems(delivery("1"), delivery("1", after=3), delivery("2")) == []


def test_an_unsigned_delivery_counts_for_del_1() -> None:  # signatures are DEL-4's alone
    unsigned = delivery("1")
    assert not unsigned.signed
    assert problems(unsigned, delivery("2")) == []


def test_a_subscription_that_heard_nothing_in_time_is_named() -> None:
    found = problems(delivery("1"), delivery("2", after=10.5))
    assert found == ["subscription 2 heard nothing of the deletion of connection connecti… within 10 s "
                     "(2 deliveries of it reached the run's subscriptions in all)"]


def test_two_events_for_one_deletion_break_the_rule() -> None:
    found = problems(delivery("1", event_id="a"), delivery("2", event_id="b"))
    assert found == ["the deletion of connection connecti… was announced as 2 events (a, b); one deletion is one "
                     "event, and a retry repeats its id"]


def test_an_event_naming_another_company_breaks_the_rule() -> None:
    found = problems(delivery("1", company="company-2"), delivery("2", company="company-2"))
    assert found == ["the event names company company-2, not company-1"]


@pytest.mark.parametrize("unrelated", [
    [delivery("1", run="20250101T000000Z-other"), delivery("2", run="20250101T000000Z-other")],  # another run's
    [delivery("1", connection="connection-2"), delivery("2", connection="connection-2")],  # another deletion
    [delivery("1", event_type="connection.created"), delivery("2", event_type="connection.created")],
], ids=["another run", "another connection", "another event type"])
def test_deliveries_that_are_not_this_announcement_count_for_nothing(unrelated: list[Delivery]) -> None:
    assert announcing(SEVERED, unrelated, run_id=RUN, subscriptions=OURS) == []
    assert len(problems(*unrelated)) == 2  # neither subscription heard of this deletion


def test_a_subscription_that_is_not_the_runs_counts_for_nothing() -> None:
    stranger = delivery("3")
    assert announcing(SEVERED, [stranger], run_id=RUN, subscriptions=OURS) == []


def test_the_wait_ends_once_every_subscription_that_must_hear_has_heard() -> None:
    heard = heard_by_all(SEVERED, run_id=RUN, subscriptions=OURS)
    assert not heard([delivery("1")])
    assert heard([delivery("1"), delivery("2", after=30)])  # late, but heard: the judgement says late
    assert heard_by_all(SeveredConnection("company-1", "connection-1", AT, ()), run_id=RUN, subscriptions=OURS)([])
