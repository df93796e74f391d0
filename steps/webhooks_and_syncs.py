"""Connection-deleted steps: the event, its signatures, and the syncs after the deletion.

Every delivery that reaches one of the run's subscriptions counts for the
event, signed or not: signatures are judged apart, so a SHOULD-level defect
never fails the MUST rule.  A scenario waits only until every subscription
has heard of its deletion; whether a deletion became a second event later in
its window is judged once at the end of the run, when every window has
surely passed (:mod:`sfc_conformance.core.profile._connection_deleted`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.core.account import RunId, WebhookReceiver
from sfc_conformance.core.clock import Clock
from sfc_conformance.core.profile import announcement_problems, announcing, heard_by_all, load_contract
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.rule_notes import RuleNotes, shortened
from sfc_conformance.suite.subscriptions import Subscriptions
from sfc_conformance.suite.target_api import TargetApi

from .common import error_message


@given(parsers.parse("the partner has {count:d} subscriptions to connection.deleted events"))
def _(subscriptions: Subscriptions, count: int) -> None:
    subscriptions.subscribe(count)


@when("the partner requests a sync", target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    return api.request_sync(merchant.company_id)


@when("the partner reads the latest sync status", target_fixture="answer")
def _(api: TargetApi, merchant: Merchant) -> httpx.Response:
    return api.latest_sync(merchant.company_id)


@when(parsers.re(r"(?P<days>\d+) days? pass(es)?"))
def _(move_time: Callable[[float], None], days: str) -> None:
    move_time(int(days) * 86400)


@then(parsers.parse("every subscription receives the connection.deleted event within {seconds:g} seconds, for that "
                    "company and connection"))
def _(subscriptions: Subscriptions, receiver: WebhookReceiver, run_id: RunId, merchant: Merchant,
      seconds: float) -> None:
    """DEL-1: every subscription hears of the deletion within the seconds the feature names, as one event naming
    the company and the connection."""
    subscriptions.skip_unless_reachable()
    severed = subscriptions.severed(merchant)
    heard = heard_by_all(severed, run_id=str(run_id), subscriptions=subscriptions.names)
    deliveries = receiver.wait_until(heard, severed.at + timedelta(seconds=seconds))
    problems = announcement_problems(severed, deliveries, run_id=str(run_id), subscriptions=subscriptions.names,
                                     within=seconds)
    assert not problems, "; ".join(problems) + f" (the receiver listens at {subscriptions.receiver_url})"


@then("the event is a ConnectionWebhook")
def _(subscriptions: Subscriptions, receiver: WebhookReceiver, run_id: RunId, rule_notes: RuleNotes,
      merchant: Merchant) -> None:
    """DEL-1: the event is a ConnectionWebhook; fields the contract does not know are allowed, and noted."""
    contract = load_contract()
    schema = contract.schema_named("ConnectionWebhook")
    announced = announcing(subscriptions.severed(merchant), receiver.seen(), run_id=str(run_id),
                           subscriptions=subscriptions.names)
    assert announced, "no connection.deleted event arrived to check"
    for delivery in announced:
        problems = contract.validate_schema(schema, delivery.body)
        assert not problems, f"the event is not a ConnectionWebhook: {problems}"
        unknown = contract.unknown_in(schema, delivery.body)
        if unknown:  # allowed (new fields are not breaking), worth knowing
            rule_notes.note("DEL-1", f"fields the contract does not know (allowed): {shortened(unknown)}")


@then(parsers.parse("every connection severed during the run was announced to every subscription as one event "
                    "within {seconds:g} seconds"))
def _(subscriptions: Subscriptions, receiver: WebhookReceiver, run_id: RunId, clock: Clock,
      long_wait: Callable[[float, str], None], seconds: float) -> None:
    """DEL-1: every deletion of the run was one event, heard by every subscription in time (judged once every
    window has passed)."""
    subscriptions.skip_unless_reachable()
    deletions = [d for d in subscriptions.deletions if d.subscribers]
    if not deletions:
        pytest.skip("no connection was severed while the run was subscribed")
    last = max(d.at for d in deletions) + timedelta(seconds=seconds)
    # Every window must be over before "one event" can be judged; at the end of a run it usually is.
    long_wait((last - clock.now()).total_seconds(), "for the last webhook window to close")
    seen = receiver.seen()
    judged = {d: announcement_problems(d, seen, run_id=str(run_id), subscriptions=subscriptions.names,
                                       within=seconds) for d in deletions}
    problems = [problem for found in judged.values() for problem in found]
    assert not problems, (f"{sum(1 for found in judged.values() if found)} of the run's {len(deletions)} deletions "
                          "were not announced as DEL-1 asks:\n" + "\n".join(problems[:10]))


@then(parsers.parse("every delivery of the event within {seconds:g} seconds carries Standard Webhooks headers "
                    "whose signature verifies"))
def _(subscriptions: Subscriptions, receiver: WebhookReceiver, run_id: RunId, merchant: Merchant,
      seconds: float) -> None:
    """DEL-4: every delivery is signed with Standard Webhooks headers; given the secret, each one verifies."""
    subscriptions.skip_unless_reachable()
    severed = subscriptions.severed(merchant)
    heard = heard_by_all(severed, run_id=str(run_id), subscriptions=subscriptions.names)
    arrived = receiver.wait_until(heard, severed.at + timedelta(seconds=seconds))
    deliveries = announcing(severed, arrived, run_id=str(run_id), subscriptions=subscriptions.names)
    if not deliveries:
        pytest.skip("no delivery of the event arrived to judge its signature (DEL-1 judges the delivery itself)")
    unsigned = [d for d in deliveries if not d.signed]
    assert not unsigned, (f"{len(unsigned)} of {len(deliveries)} deliveries came without webhook-id, "
                          "webhook-timestamp and webhook-signature headers")
    if receiver.secret is None:
        pytest.skip("signed, but not verifiable: no webhook signing secret was given (--webhook-secret)")
    forged = [d for d in deliveries if not d.verified]
    assert not forged, f"{len(forged)} of {len(deliveries)} deliveries' signatures did not verify with the secret"


@then("the sync does not succeed")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """DEL-2: a sync requested after the deletion is refused as an ErrorMessage, or fails (syncStatusCode >= 4000);
    a 5xx is no answer."""
    status = answer.status_code
    assert status < 500, f"a sync requested after the deletion answered {status}: a server error is no answer"
    if status >= 400:
        error_message(api, answer)  # a refusal, as an ErrorMessage
        return
    body = api.expect(answer, 200, "requesting a sync")
    code = body.get("syncStatusCode") if isinstance(body, dict) else None
    assert isinstance(code, int) and code >= 4000, (
        f"a sync requested after the deletion answered syncStatusCode {code!r} ({body.get('syncStatus')!r})")


@then("the latest sync status is not Complete for any sync after the deletion")
def _(api: TargetApi, merchant: Merchant) -> None:
    """DEL-2: no sync after the deletion is Complete."""
    answer = api.latest_sync(merchant.company_id)
    if answer.status_code == 404:
        return
    status = api.expect(answer, 200, "reading the latest sync status")
    if status.get("syncId") == merchant.severed_after_sync:
        return  # still the sync from before the deletion
    assert status.get("syncStatus") != "Complete", (
        f"sync {status.get('syncId')} after the deletion is Complete: {status}")


@then("a scheduled sync has run")
def _(api: TargetApi, merchant: Merchant) -> None:
    """DEL-3: before the deletion the schedule runs (the ground the next steps stand on)."""
    assert api.latest_sync_id(merchant), "a day passed on the sandbox clock and no scheduled sync ran"


@then("the next scheduled sync has run and failed")
def _(api: TargetApi, merchant: Merchant) -> None:
    """DEL-3: after the deletion the next scheduled sync is attempted, and fails."""
    answer = api.latest_sync(merchant.company_id)
    status = api.expect(answer, 200, "reading the latest sync status") if answer.status_code != 404 else {}
    assert status.get("syncId") and status.get("syncId") != merchant.severed_after_sync, (
        "a scheduled sync fell due after the deletion and none was attempted: the seed says it runs and fails "
        f"(the latest sync is still {merchant.severed_after_sync or 'none'})")
    code = status.get("syncStatusCode")
    assert status.get("syncStatus") != "Complete" and isinstance(code, int) and code >= 4000, (
        f"the scheduled sync after the deletion did not fail: {status}")
    merchant.failed_after_severing = status["syncId"]


@then("no further scheduled sync has been attempted")
def _(api: TargetApi, merchant: Merchant) -> None:
    """DEL-3: after the failed one, no further scheduled sync is attempted."""
    latest = api.latest_sync_id(merchant)
    assert latest == merchant.failed_after_severing, (
        f"sync {latest} was attempted after the failed one ({merchant.failed_after_severing}): "
        "after the deletion no further syncs are attempted")
