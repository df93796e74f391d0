"""Judging what the merchant sees (profile, "What the merchant sees"), without a browser.

The judgement from a browser's observations, the OTP found in a request, and
the plain HTTP view with its detection of flows a plain GET cannot judge —
against both styles of the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest

from sfc_conformance.merchant.view import (
    OPENS,
    REFUSED,
    UNDECIDED,
    PageRequest,
    PlainView,
    carries_otp,
    judge,
    otp_of,
    plain_http_can_judge,
    plain_open,
)
from tests.helpers import with_query

if TYPE_CHECKING:
    from tests.conftest import Embedded

OTP = "204981"
FLOW = f"http://flow.example/sync-flow/c/lqai/gbol/start?merchantIdentifier=m&otp={OTP}"


def _request(url: str, status: int | None, *, kind: str = "fetch", otp: bool = True, method: str = "POST",
             navigation: bool = False) -> PageRequest:
    return PageRequest(method, url, kind, status, otp, "" if status is not None else "net::ERR_FAILED",
                       navigation=navigation)


DOCUMENT = _request(FLOW, 200, kind="document", method="GET", navigation=True)


# -- the judgement --------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "requests", "shown", "expected", "says"), [
    (401, [], True, REFUSED, "document answered 401"),
    (401, [], False, REFUSED, "document answered 401"),
    (200, [DOCUMENT, _request("http://flow.example/api/session", 401)], True, REFUSED,
     "own request carrying the OTP answered 401: POST /api/session (fetch) -> 401"),
    (200, [DOCUMENT, _request("http://flow.example/api/me", 401, otp=False)], True, OPENS, "first screen"),
    (200, [DOCUMENT, _request("http://flow.example/api/session", 200)], True, OPENS,
     "1 more of its requests carried the OTP, none refused"),
    (200, [DOCUMENT], False, UNDECIDED, "shows nothing"),
    (200, [DOCUMENT, _request("http://flow.example/api/session", 403)], True, UNDECIDED,
     "answered 403, neither 401 nor success"),
    (200, [DOCUMENT, _request("http://flow.example/api/session", None)], True, UNDECIDED, "got no answer"),
    (403, [], True, UNDECIDED, "answered 403: neither 401 nor 2xx"),
    (500, [_request("http://flow.example/api/session", 401)], True, UNDECIDED, "answered 500"),
    (None, [], False, UNDECIDED, "never answered (net::ERR_NAME_NOT_RESOLVED)"),
])
def test_the_judgement(status: int | None, requests: list[PageRequest], shown: bool, expected: str,
                       says: str) -> None:
    judgement, reason = judge(status, requests, shown=shown, failure="net::ERR_NAME_NOT_RESOLVED")
    assert judgement == expected
    assert says in reason


@pytest.mark.parametrize(("url", "headers", "body", "expected"), [
    (FLOW, {}, None, True),
    ("http://flow.example/api/session", {}, f'{{"otp": "{OTP}"}}'.encode(), True),
    ("http://flow.example/api/session", {}, f"otp={OTP}&m=1".encode(), True),
    ("http://flow.example/api/session", {"X-Flow-Otp": OTP}, None, True),
    ("http://flow.example/api/session", {"Cookie": f"flow={OTP}"}, None, True),
    (f"http://flow.example/api/check/{OTP}", {}, None, True),
    ("http://flow.example/api/session?q=otp%3D" + OTP, {}, None, True),
    # The browser's own Referer names the page, OTP and all, on every same-origin request.
    ("http://flow.example/favicon.ico", {"Referer": FLOW}, None, False),
    ("http://flow.example/api/me", {"Authorization": "Bearer s3ss10n"}, b"{}", False),
    (f"http://flow.example/api/item/1{OTP}7", {}, None, False),  # inside a longer number: not the OTP
])
def test_a_request_carries_the_otp(url: str, headers: dict[str, str], body: bytes | None, expected: bool) -> None:
    assert carries_otp(OTP, url, headers, body) is expected


def test_no_otp_is_carried_by_nothing() -> None:
    assert carries_otp("", FLOW) is False
    assert otp_of(FLOW) == OTP and otp_of("http://flow.example/x") == ""


# -- a plain GET, against both styles -----------------------------------------------------------------


def _expired_and_fresh(e: Embedded) -> tuple[str, str]:
    company = e.steps.company()
    expired = e.steps.flow_url(company)
    e.target.clock.advance(30)
    return e.steps.flow_url(company), expired


def test_plain_http_judges_the_pages_style(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="pages")
    fresh_url, expired_url = _expired_and_fresh(e)
    fresh, expired = plain_open(fresh_url), plain_open(expired_url)
    assert (fresh.judgement, fresh.status, fresh.scripted) == (OPENS, 200, False)
    assert "Connect your accounting software" in fresh.text
    assert (expired.judgement, expired.status) == (REFUSED, 401)
    verdict = plain_http_can_judge(fresh, expired)
    assert verdict.can_judge and "answers 401" in verdict.reason and verdict.reason.startswith("an expired flow URL")


def test_plain_http_cannot_judge_the_app_style(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app")
    fresh_url, expired_url = _expired_and_fresh(e)
    fresh, expired = plain_open(fresh_url), plain_open(expired_url)
    assert (fresh.status, expired.status) == (200, 200) and fresh.scripted and expired.scripted
    assert fresh.text == expired.text == "Loading your sync settings…"
    verdict = plain_http_can_judge(fresh, expired)
    assert not verdict.can_judge
    assert "loads its document (200) just as a fresh one's does (200)" in verdict.reason
    assert "browser app" in verdict.reason


def test_an_expired_document_that_runs_no_script_is_judged(embedded: Callable[..., Embedded]) -> None:
    # The pages style with an OTP that never expires: 200 for both, and no script that could refuse later.
    e = embedded(flow_style="pages", faults=["otp-lasts-too-long"])
    fresh_url, expired_url = _expired_and_fresh(e)
    fresh, expired = plain_open(fresh_url), plain_open(expired_url)
    assert expired.opens
    verdict = plain_http_can_judge(fresh, expired)
    assert verdict.can_judge and "runs no script" in verdict.reason


def test_another_refusal_status_is_judged() -> None:
    fresh = PlainView("u", 200, OPENS, "")
    expired = PlainView("u", 403, UNDECIDED, "")
    verdict = plain_http_can_judge(fresh, expired)
    assert verdict.can_judge and "403" in verdict.reason and "not the 401" in verdict.reason
    assert not plain_http_can_judge(fresh, PlainView("u", None, UNDECIDED, "refused")).can_judge


def _transport(answers: dict[str, httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(lambda request: answers[request.url.path]))


def test_plain_open_follows_redirects_like_a_browser() -> None:
    client = _transport({"/start": httpx.Response(302, headers={"location": "/app"}),
                         "/app": httpx.Response(401, text="<p>expired</p>", headers={"content-type": "text/html"})})
    view = plain_open("http://flow.example/start", client)
    assert view.refused and view.redirects == ("302 -> http://flow.example/app",)


@pytest.mark.parametrize(("body", "scripted", "expected"), [
    ("<html><body><div id=root></div><script src=/app.js></script></body></html>", True, UNDECIDED),
    ("<html><body onload='go()'><p>Welcome</p></body></html>", True, OPENS),
    ('<html><head><meta http-equiv="refresh" content="0;url=/x"></head><body></body></html>', True, UNDECIDED),
    ("<html><head><title>Flow</title><style>p{}</style></head><body></body></html>", False, UNDECIDED),
    ("<html><body><form><input name=u></form><noscript>Enable JavaScript</noscript><p>Sign in</p></body></html>",
     False, OPENS),
])
def test_what_a_document_shows_without_script(body: str, scripted: bool, expected: str) -> None:
    client = _transport({"/start": httpx.Response(200, text=body, headers={"content-type": "text/html"})})
    view = plain_open("http://flow.example/start", client)
    assert (view.scripted, view.judgement) == (scripted, expected)
    assert "Enable JavaScript" not in view.text


def test_no_answer_is_undecided() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    view = plain_open("http://flow.example/start", httpx.Client(transport=httpx.MockTransport(refuse)))
    assert view.judgement == UNDECIDED and view.status is None and "Connection refused" in view.reason


def test_a_tampered_app_url_also_loads(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app")
    url = e.steps.started().flow.url
    tampered = plain_open(with_query(url, otp="000000"))
    assert not plain_http_can_judge(plain_open(url), tampered).can_judge
