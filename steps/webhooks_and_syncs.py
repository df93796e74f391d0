"""Connection-deleted steps: the event (DEL-1), its signatures (DEL-4) and syncs after it (DEL-2, DEL-3).

DEL-1 counts every delivery that reaches one of the run's subscriptions, signed or
not: signatures are DEL-4's question alone, so a SHOULD-level defect never
fails the MUST rule.  A scenario waits only until every subscription has heard of
its deletion; whether a deletion became a second event later in its window is
judged once at the end of the run, when every window has surely passed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.core.contract import load_contract
from sfc_conformance.core.run_identity import RUN_QUERY
from sfc_conformance.core.webhook_receiver import Delivery
from sfc_conformance.suite.progress import countdown
from sfc_conformance.suite.world import Deletion, Merchant, Suite, shortened

from .common import error_message


def _receiver_reachable(sfc: Suite) -> None:
    """DEL-1 and DEL-4 need deliveries to reach the receiver; with --receiver-url the run checked that they can."""
    if sfc.receiver_unreachable:
        pytest.skip(sfc.receiver_unreachable)


def _deletion(merchant: Merchant) -> Deletion:
    assert merchant.severed_connection_id and merchant.severed_at, "no connection was severed in this scenario"
    return Deletion(merchant.company_id, merchant.severed_connection_id, merchant.severed_at, ())


def _announcing(sfc: Suite, deletion: Deletion, deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries to the run's own subscriptions that announce this deletion."""

    def announces(delivery: Delivery) -> bool:
        body = delivery.body if isinstance(delivery.body, dict) else {}
        connection = (body.get("payload") or {}).get("connection") or {}
        return (delivery.param(RUN_QUERY) == str(sfc.run) and delivery.subscriber in sfc.subscriptions
                and body.get("eventType") == "connection.deleted" and connection.get("id") == deletion.connection_id)

    return [d for d in deliveries if announces(d)]


def _heard_by_all(sfc: Suite, deletion: Deletion, subscribers: tuple[str, ...]) -> Callable[[list[Delivery]], bool]:
    return lambda seen: {d.subscriber for d in _announcing(sfc, deletion, seen)} >= set(subscribers)


def _problems(sfc: Suite, deletion: Deletion, subscribers: tuple[str, ...], seconds: float,
              deliveries: list[Delivery]) -> list[str]:
    """How the announcement of one deletion breaks DEL-1; [] when every subscription heard it once, in time."""
    announcing = _announcing(sfc, deletion, deliveries)
    deadline = deletion.at + timedelta(seconds=seconds)
    in_time = {d.subscriber for d in announcing if d.received_at <= deadline}
    short = f"connection {deletion.connection_id[:8]}…"
    problems = [f"subscription {s} heard nothing of the deletion of {short} within {seconds:g} s "
                f"({len(announcing)} deliveries of it reached the run's subscriptions in all)"
                for s in subscribers if s not in in_time]
    events = sorted({str(d.event_id) for d in announcing})
    if len(events) > 1:
        problems.append(f"the deletion of {short} was announced as {len(events)} events ({', '.join(events)}); "
                        "one deletion is one event, and a retry repeats its id")
    companies = sorted({str(((d.body.get("payload") or {}).get("referenceCompany") or {}).get("id"))
                        for d in announcing})
    if any(company != deletion.company_id for company in companies):
        problems.append(f"the event names company {', '.join(companies)}, not {deletion.company_id}")
    return problems


@given(parsers.parse("the partner has {count:d} subscriptions to connection.deleted events"))
def _(sfc: Suite, count: int) -> None:
    sfc.subscribe(count)


@when("the partner requests a sync", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.request_sync(merchant.company_id)


@when("the partner reads the latest sync status", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.api.latest_sync(merchant.company_id)


@when(parsers.re(r"(?P<days>\d+) days? pass(es)?"))
def _(sfc: Suite, days: str) -> None:
    sfc.move_time(int(days) * 86400)


@then(parsers.parse("every subscription receives the connection.deleted event within {seconds:g} seconds, for that "
                    "company and connection"))
def _(sfc: Suite, merchant: Merchant, seconds: float) -> None:
    _receiver_reachable(sfc)
    deletion = _deletion(merchant)
    subscribers = tuple(sfc.subscriptions)
    deliveries = sfc.target.receiver.wait_until(_heard_by_all(sfc, deletion, subscribers),
                                                deletion.at + timedelta(seconds=seconds))
    problems = _problems(sfc, deletion, subscribers, seconds, deliveries)
    assert not problems, "; ".join(problems) + f" (the receiver listens at {sfc.target.receiver_url})"


@then("the event is a ConnectionWebhook")
def _(sfc: Suite, merchant: Merchant) -> None:
    contract = load_contract()
    schema = contract.schema_named("ConnectionWebhook")
    announcing = _announcing(sfc, _deletion(merchant), sfc.target.receiver.seen())
    assert announcing, "no connection.deleted event arrived to check"
    for delivery in announcing:
        problems = contract.validate_schema(schema, delivery.body)
        assert not problems, f"the event is not a ConnectionWebhook: {problems}"
        unknown = contract.unknown_in(schema, delivery.body)
        if unknown:  # allowed (API-1), worth knowing
            sfc.note("DEL-1", f"fields the contract does not know (allowed): {shortened(unknown)}")


@then(parsers.parse("every connection severed during the run was announced to every subscription as one event "
                    "within {seconds:g} seconds"))
def _(sfc: Suite, seconds: float) -> None:
    _receiver_reachable(sfc)
    deletions = [d for d in sfc.deletions if d.subscribers]
    if not deletions:
        pytest.skip("no connection was severed while the run was subscribed")
    last = max(d.at for d in deletions) + timedelta(seconds=seconds)
    # Every window must be over before "one event" can be judged; at the end of a run it usually is.
    countdown(sfc.clock, (last - sfc.clock.now()).total_seconds(), "for the last webhook window to close", sfc.say)
    seen = sfc.target.receiver.seen()
    judged = {d: _problems(sfc, d, d.subscribers, seconds, seen) for d in deletions}
    problems = [problem for found in judged.values() for problem in found]
    assert not problems, (f"{sum(1 for found in judged.values() if found)} of the run's {len(deletions)} deletions "
                          "were not announced as DEL-1 asks:\n" + "\n".join(problems[:10]))


@then(parsers.parse("every delivery of the event within {seconds:g} seconds carries Standard Webhooks headers "
                    "whose signature verifies"))
def _(sfc: Suite, merchant: Merchant, seconds: float) -> None:
    _receiver_reachable(sfc)
    deletion = _deletion(merchant)
    deliveries = _announcing(sfc, deletion, sfc.target.receiver.wait_until(
        _heard_by_all(sfc, deletion, tuple(sfc.subscriptions)), deletion.at + timedelta(seconds=seconds)))
    if not deliveries:
        pytest.skip("no delivery of the event arrived to judge its signature (DEL-1 judges the delivery itself)")
    unsigned = [d for d in deliveries if not d.signed]
    assert not unsigned, (f"{len(unsigned)} of {len(deliveries)} deliveries came without webhook-id, "
                          "webhook-timestamp and webhook-signature headers")
    if sfc.target.receiver.secret is None:
        pytest.skip("signed, but not verifiable: no webhook signing secret was given (--webhook-secret)")
    forged = [d for d in deliveries if not d.verified]
    assert not forged, f"{len(forged)} of {len(deliveries)} deliveries' signatures did not verify with the secret"


@then("the sync does not succeed")
def _(sfc: Suite, answer: httpx.Response) -> None:
    status = answer.status_code
    assert status < 500, f"a sync requested after the deletion answered {status}: a server error is no answer"
    if status >= 400:
        error_message(sfc, answer)  # a refusal, as an ErrorMessage
        return
    body = sfc.expect(answer, 200, "requesting a sync")
    code = body.get("syncStatusCode") if isinstance(body, dict) else None
    assert isinstance(code, int) and code >= 4000, (
        f"a sync requested after the deletion answered syncStatusCode {code!r} ({body.get('syncStatus')!r})")


@then("the latest sync status is not Complete for any sync after the deletion")
def _(sfc: Suite, merchant: Merchant) -> None:
    answer = sfc.api.latest_sync(merchant.company_id)
    if answer.status_code == 404:
        return
    status = sfc.expect(answer, 200, "reading the latest sync status")
    if status.get("syncId") == merchant.severed_after_sync:
        return  # still the sync from before the deletion
    assert status.get("syncStatus") != "Complete", (
        f"sync {status.get('syncId')} after the deletion is Complete: {status}")


@then("a scheduled sync has run")
def _(sfc: Suite, merchant: Merchant) -> None:
    assert sfc.latest_sync_id(merchant), "a day passed on the sandbox clock and no scheduled sync ran"


@then("the next scheduled sync has run and failed")
def _(sfc: Suite, merchant: Merchant) -> None:
    answer = sfc.api.latest_sync(merchant.company_id)
    status = sfc.expect(answer, 200, "reading the latest sync status") if answer.status_code != 404 else {}
    assert status.get("syncId") and status.get("syncId") != merchant.severed_after_sync, (
        "a scheduled sync fell due after the deletion and none was attempted: the seed says it runs and fails "
        f"(the latest sync is still {merchant.severed_after_sync or 'none'})")
    code = status.get("syncStatusCode")
    assert status.get("syncStatus") != "Complete" and isinstance(code, int) and code >= 4000, (
        f"the scheduled sync after the deletion did not fail: {status}")
    merchant.failed_after_severing = status["syncId"]


@then("no further scheduled sync has been attempted")
def _(sfc: Suite, merchant: Merchant) -> None:
    latest = sfc.latest_sync_id(merchant)
    assert latest == merchant.failed_after_severing, (
        f"sync {latest} was attempted after the failed one ({merchant.failed_after_severing}): "
        "after the deletion no further syncs are attempted")
