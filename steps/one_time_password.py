"""One-time password steps: the flow URL opened within its 30 s window, after it, and by someone else.

On the embedded target "N seconds after it was issued" moves the sandbox's
clock; a live target has no such clock, so exact-boundary scenarios are
embedded-only and the live expiry checks share one real wait
(:mod:`sfc_conformance.suite.timed_opens`).

"Opens" and "refuses" are what the merchant sees (profile, "What the merchant
sees"): the run looks at each flow URL in its browser, or with a plain HTTP
GET where that can judge (:mod:`sfc_conformance.suite.flow_viewer`).  Where
neither can — a browser-app flow and no browser — the scenario is n/a with
the reason and the option that fixes it: never pass, never FAIL.

A live open whose timing a busy machine spoiled (it reached the target
outside the band it judges) is tried once more with a new flow URL, then is
*not judged*, with the figures: never pass, never FAIL (profile, "Verdicts
that do not bend").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.core.clock import Clock
from sfc_conformance.core.profile import LATE_OPEN_BAND, LIVE_VALID_WITHIN, progression
from sfc_conformance.suite.flow_viewer import FlowViewer, OpenedFlow, changed_otp
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.rule_notes import RuleNotes
from sfc_conformance.suite.timed_opens import TimedOpens
from sfc_conformance.verdicts import not_judged, rule_ids


def _judgeable(flow_viewer: FlowViewer) -> None:
    """Skip now (n/a) when the run already knows it cannot judge what the merchant sees: no wait for nothing."""
    reason = flow_viewer.unjudged()
    if reason:
        pytest.skip(reason)


def _judged(opened: OpenedFlow) -> OpenedFlow:
    if opened.judgement is None:
        pytest.skip(opened.reason)
    return opened


def _seen(rule_notes: RuleNotes, request: pytest.FixtureRequest, opened: OpenedFlow) -> str:
    """Note how the rule was judged (in a browser, or with plain GETs); the lines a failure shows."""
    for rule in rule_ids(request.node):
        rule_notes.note(rule, f"seen with {opened.seen_with}")
    return f"\n{opened.detail}" if opened.detail else ""


@given("a flow URL that has expired", target_fixture="merchant")
def _(flow_viewer: FlowViewer, timed_opens: TimedOpens) -> Merchant:
    _judgeable(flow_viewer)
    merchant, _flow = timed_opens.expired_flow()
    return merchant


@given("a new merchant company whose flow URL will be opened late", target_fixture="merchant")
def _(flow_viewer: FlowViewer, timed_opens: TimedOpens) -> Merchant:
    _judgeable(flow_viewer)
    return timed_opens.late_flow()


@when("the merchant opens the flow URL late in its window", target_fixture="opened")
def _(timed_opens: TimedOpens, merchant: Merchant) -> OpenedFlow:
    opened = _judged(timed_opens.open_late(merchant))
    flow = merchant.flow
    assert flow.opened_at is not None
    late = (flow.opened_at - flow.sent_at).total_seconds()
    if late < LATE_OPEN_BAND[0]:
        raise AssertionError(f"the suite opened the flow URL {late:.1f} s after the start call, before the "
                             f"{LATE_OPEN_BAND[0]:g}-{LATE_OPEN_BAND[1]:g} s it means to judge")
    return opened


@when("the merchant opens the flow URL straight away", target_fixture="opened")
def _(timed_opens: TimedOpens, merchant: Merchant) -> OpenedFlow:
    return _judged(timed_opens.open_straight_away(merchant))


@when("the merchant opens the flow URL again", target_fixture="opened")
def _(flow_viewer: FlowViewer, merchant: Merchant) -> OpenedFlow:
    flow = merchant.flow
    opened = flow_viewer.look(flow.url)
    flow.opened_at = opened.opened_at
    return _judged(opened)


@given("a new merchant company whose flow URL will be opened once its window has closed", target_fixture="merchant")
def _(flow_viewer: FlowViewer, timed_opens: TimedOpens) -> Merchant:
    _judgeable(flow_viewer)
    return timed_opens.expiring_flow()


@when("the merchant opens the flow URL just after its window closed", target_fixture="opened")
def _(timed_opens: TimedOpens, merchant: Merchant) -> OpenedFlow:
    return _judged(timed_opens.open_expired(merchant))


@when(parsers.parse("the merchant opens the flow URL {seconds:g} seconds after it was issued"),
      target_fixture="opened")
def _(flow_viewer: FlowViewer, clock: Clock, move_time: Callable[[float], None], merchant: Merchant,
      seconds: float) -> OpenedFlow:
    due = merchant.flow.received_at + timedelta(seconds=seconds)
    move_time((due - clock.now()).total_seconds())
    return _judged(flow_viewer.look(merchant.flow.url))


@when("the merchant opens the flow URL with the other merchant's identifier", target_fixture="opened")
def _(flow_viewer: FlowViewer, merchant: Merchant, other: Merchant) -> OpenedFlow:
    url = httpx.URL(merchant.flow.url).copy_set_param("merchantIdentifier", other.company_id)
    return _judged(flow_viewer.look(str(url)))


@when("the merchant opens the flow URL with one digit of the one-time password changed", target_fixture="opened")
def _(flow_viewer: FlowViewer, merchant: Merchant) -> OpenedFlow:
    otp = merchant.flow.otp
    assert otp and otp[-1].isdigit(), f"the flow URL has no numeric otp: {merchant.flow.url}"
    return _judged(flow_viewer.look(changed_otp(merchant.flow.url)))


@then("the flow opens")
def _(timed_opens: TimedOpens, rule_notes: RuleNotes, request: pytest.FixtureRequest, merchant: Merchant,
      opened: OpenedFlow) -> None:
    """OTP-1, OTP-3: a flow URL opened inside its window is not refused."""
    shown = _seen(rule_notes, request, opened)
    flow = merchant.flow
    after = f" {(flow.opened_at - flow.sent_at).total_seconds():.1f} s after the start call" if flow.opened_at else ""
    answered = timed_opens.answered_after_start(flow, opened)
    if opened.refused and answered is not None and answered > LIVE_VALID_WITHIN:
        # The profile's live allowance: a link answered more than LIVE_VALID_WITHIN s after the start call was
        # sent may fairly be refused, so this refusal proves nothing either way (the opens above retried once).
        not_judged(f"the flow URL's refusal came {answered:.1f} s after the start call; only "
                   f"<= {LIVE_VALID_WITHIN:g} s is judged live")
    if opened.refused:
        raise AssertionError(f"the flow URL was refused{after}, inside its 30 s window: {opened.reason}{shown}")
    assert opened.opens, f"the flow URL opened{after} did not show the flow: {opened.reason}{shown}"


@then("the flow refuses the link with 401")
def _(rule_notes: RuleNotes, request: pytest.FixtureRequest, opened: OpenedFlow) -> None:
    """OTP-2, OTP-4, OTP-5: a flow URL opened after its window, with another merchant's identifier or a changed
    digit, or a second time, meets a 401."""
    shown = _seen(rule_notes, request, opened)
    if opened.opens:
        raise AssertionError(f"the flow URL opened where the merchant must meet a 401: {opened.reason}{shown}")
    assert opened.refused, f"the merchant did not meet the 401 this flow URL must answer: {opened.reason}{shown}"


@then("the one-time passwords never repeat and form no arithmetic progression")
def _(merchant: Merchant) -> None:
    """OTP-6: no repeats, no progression (modulo 10^digits too: a counter that wraps)."""
    otps = [flow.otp or "" for flow in merchant.flows]
    assert all(o.isdigit() for o in otps), f"not every flow URL carries a numeric otp: {otps}"
    assert len(set(otps)) == len(otps), f"one-time passwords repeat: {otps}"
    found = progression(otps)
    assert found is None, f"the one-time passwords {found}: {otps}"
