"""Start URL steps: the partner's start call, and the flow URL it answers."""

from __future__ import annotations

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.run_merchants import Merchants
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi


@when("the partner asks for the sync flow URL", target_fixture="answer")
@when("the partner asks for the sync flow URL again", target_fixture="answer")
def _(merchants: Merchants, merchant: Merchant) -> httpx.Response:
    return merchants.start_flow(merchant)


@when("the partner asks for the sync flow URL twice", target_fixture="answer")
def _(merchants: Merchants, merchant: Merchant) -> httpx.Response:
    merchants.issue_flow_url(merchant, "the first start call")
    return merchants.start_flow(merchant)


@when(parsers.parse("the partner asks for the sync flow URL {count:d} times"), target_fixture="answer")
def _(merchants: Merchants, merchant: Merchant, count: int) -> httpx.Response:
    answer = None
    for number in range(count):
        answer = merchants.issue_flow_url(merchant, f"start call {number + 1} of {count}")
    assert answer is not None
    return answer


@when(parsers.parse('the partner asks for the sync flow URL with redirectUrl "{redirect}"'), target_fixture="answer")
def _(merchants: Merchants, merchant: Merchant, redirect: str) -> httpx.Response:
    return merchants.start_flow(merchant, redirect_url=redirect)


@when(parsers.parse('the partner asks for a sync flow URL with commerce key "{commerce}" and accounting key '
                    '"{accounting}"'), target_fixture="answer")
def _(api: TargetApi, settings: Settings, merchant: Merchant, commerce: str, accounting: str) -> httpx.Response:
    keys = {"$commerce": settings.commerce_key, "$accounting": settings.accounting_key}
    return api.start_flow(keys.get(commerce, commerce), keys.get(accounting, accounting), merchant.company_id)


@then("the answer is an absolute http(s) flow URL")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """URL-1: a valid start call answers 200 with an absolute http(s) URL."""
    body = api.expect(answer, 200, "the start call")
    url = body.get("url") if isinstance(body, dict) else None
    assert isinstance(url, str), f'the start call answered no "url" string: {body}'
    parts = httpx.URL(url)
    assert parts.scheme in ("http", "https") and parts.host, f"the flow URL is not an absolute http(s) URL: {url}"


@then("the flow URL carries a one-time password of six or more digits")
def _(merchant: Merchant) -> None:
    """URL-2: the flow URL's otp is six or more digits."""
    otp = merchant.flow.otp
    assert otp is not None, f"the flow URL has no otp parameter: {merchant.flow.url}"
    assert otp.isdigit() and len(otp) >= 6, f"the otp {otp!r} is not six or more digits"


@then("the flow URL carries the merchant identifier that was sent")
def _(merchant: Merchant) -> None:
    """URL-2: the flow URL's merchantIdentifier is the one sent, after decoding."""
    sent = merchant.flow.param("merchantIdentifier")
    assert sent == merchant.company_id, (
        f"merchantIdentifier in the flow URL is {sent!r}, not the company id {merchant.company_id}")


@then("the two flow URLs carry different one-time passwords")
def _(merchant: Merchant) -> None:
    """URL-3: each start call issues a fresh OTP."""
    first, second = (flow.otp for flow in merchant.flows[-2:])
    assert first and second and first != second, f"two start calls gave the one-time passwords {first} and {second}"


@then(parsers.parse('the flow URL carries redirectUrl "{redirect}"'))
def _(api: TargetApi, merchant: Merchant, answer: httpx.Response, redirect: str) -> None:
    """URL-4: the redirect URL comes back exactly, after decoding."""
    api.expect(answer, 200, "the start call")
    carried = merchant.flow.param("redirectUrl")
    assert carried == redirect, f"redirectUrl in the flow URL is {carried!r}, not {redirect!r}: {merchant.flow.url}"


@then("the flow URL carries no redirectUrl")
def _(api: TargetApi, merchant: Merchant, answer: httpx.Response) -> None:
    """URL-4: without a redirect URL the flow URL carries none."""
    api.expect(answer, 200, "the start call")
    assert "redirectUrl" not in merchant.flow.query(), f"the flow URL carries a redirectUrl: {merchant.flow.url}"
