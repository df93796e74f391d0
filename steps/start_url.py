"""Start URL steps (URL-1..URL-6)."""

from __future__ import annotations

import httpx
from pytest_bdd import parsers, then, when

from sfc_conformance.suite.world import Merchant, Suite


@when("the partner asks for the sync flow URL", target_fixture="answer")
@when("the partner asks for the sync flow URL again", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    return sfc.start_flow(merchant)


@when("the partner asks for the sync flow URL twice", target_fixture="answer")
def _(sfc: Suite, merchant: Merchant) -> httpx.Response:
    sfc.expect(sfc.start_flow(merchant), 200, "the first start call")
    return sfc.start_flow(merchant)


@when(parsers.parse("the partner asks for the sync flow URL {count:d} times"), target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, count: int) -> httpx.Response:
    answer = None
    for number in range(count):
        answer = sfc.start_flow(merchant)
        sfc.expect(answer, 200, f"start call {number + 1} of {count}")
    assert answer is not None
    return answer


# URL-4, URL-5
@when(parsers.parse('the partner asks for the sync flow URL with redirectUrl "{redirect}"'), target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, redirect: str) -> httpx.Response:
    return sfc.start_flow(merchant, redirect_url=redirect)


@when(parsers.parse('the partner asks for a sync flow URL with commerce key "{commerce}" and accounting key '
                    '"{accounting}"'), target_fixture="answer")
def _(sfc: Suite, merchant: Merchant, commerce: str, accounting: str) -> httpx.Response:
    keys = {"$commerce": sfc.commerce_key, "$accounting": sfc.accounting_key}
    return sfc.api.start_flow(keys.get(commerce, commerce), keys.get(accounting, accounting), merchant.company_id)


# URL-1
@then("the answer is an absolute http(s) flow URL")
def _(sfc: Suite, merchant: Merchant, answer: httpx.Response) -> None:
    body = sfc.expect(answer, 200, "the start call")
    url = body.get("url") if isinstance(body, dict) else None
    assert isinstance(url, str), f'the start call answered no "url" string: {body}'
    parts = httpx.URL(url)
    assert parts.scheme in ("http", "https") and parts.host, f"the flow URL is not an absolute http(s) URL: {url}"


# URL-2
@then("the flow URL carries a one-time password of six or more digits")
def _(merchant: Merchant) -> None:
    otp = merchant.flow.otp
    assert otp is not None, f"the flow URL has no otp parameter: {merchant.flow.url}"
    assert otp.isdigit() and len(otp) >= 6, f"the otp {otp!r} is not six or more digits"


@then("the flow URL carries the merchant identifier that was sent")
def _(merchant: Merchant) -> None:
    sent = merchant.flow.param("merchantIdentifier")
    assert sent == merchant.company_id, (
        f"merchantIdentifier in the flow URL is {sent!r}, not the company id {merchant.company_id}")


# URL-3
@then("the two flow URLs carry different one-time passwords")
def _(merchant: Merchant) -> None:
    first, second = (flow.otp for flow in merchant.flows[-2:])
    assert first and second and first != second, f"two start calls gave the one-time passwords {first} and {second}"


# URL-4: R comes back exactly, after decoding
@then(parsers.parse('the flow URL carries redirectUrl "{redirect}"'))
def _(sfc: Suite, merchant: Merchant, answer: httpx.Response, redirect: str) -> None:
    sfc.expect(answer, 200, "the start call")
    carried = merchant.flow.param("redirectUrl")
    assert carried == redirect, f"redirectUrl in the flow URL is {carried!r}, not {redirect!r}: {merchant.flow.url}"


@then("the flow URL carries no redirectUrl")
def _(sfc: Suite, merchant: Merchant, answer: httpx.Response) -> None:
    sfc.expect(answer, 200, "the start call")
    assert "redirectUrl" not in merchant.flow.query(), f"the flow URL carries a redirectUrl: {merchant.flow.url}"
