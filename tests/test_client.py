"""ApiClient without a network: auth, retries and backoff, redaction, one-line errors."""

from __future__ import annotations

import base64
import json
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TypedDict, Unpack

import httpx
import pytest

from sfc_conformance.core.errors import NotJson, TargetTimedOut, TargetUnreachable
from sfc_conformance.core.http import RETRY_STATUSES, ApiClient, Exchange
from sfc_conformance.core.http import _client as client_module
from sfc_conformance.core.secrets import Secret, redact
from tests.helpers import client_answered_by

KEY = "sk-unit-test-Zq7Wm3Rt9Xy"  # alphanumeric with dashes: what a Codat key looks like
KEY_B64 = base64.b64encode(KEY.encode()).decode()
BASE = "http://target.test"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """The requests a MockTransport saw, answered from a script of responses (the last one repeats)."""

    def __init__(self, *answers: httpx.Response | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(request) if callable(answer) else answer


class ClientOptions(TypedDict, total=False):
    retries: int
    max_backoff: float
    max_retry_after: float


def make_client(handler: Handler, **options: Unpack[ClientOptions]) -> tuple[ApiClient, list[float]]:
    pauses: list[float] = []
    return client_answered_by(handler, KEY, BASE, sleep=pauses.append, **options), pauses


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"ok": status}, headers=headers)


# -- auth -----------------------------------------------------------------------


def test_sends_basic_auth_of_the_key_alone() -> None:
    seen = Recorder(answer(200))
    client, _ = make_client(seen)
    client.request("GET", "/companies")
    header = seen.requests[0].headers["authorization"]
    assert header == f"Basic {KEY_B64}"
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == KEY  # no "user:" and no trailing ":"
    assert seen.requests[0].headers["accept"] == "application/json"


def test_unauthenticated_request_sends_no_authorization() -> None:
    seen = Recorder(answer(200))
    client, _ = make_client(seen)
    client.request("GET", "/companies", authenticated=False)
    assert "authorization" not in seen.requests[0].headers


def test_json_body_is_sent_as_json() -> None:
    seen = Recorder(answer(200))
    client, _ = make_client(seen)
    client.request("POST", "/companies", json_body={"name": "Acme"})
    assert seen.requests[0].headers["content-type"] == "application/json"
    assert json.loads(seen.requests[0].content) == {"name": "Acme"}


# -- retries --------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_retries_transient_statuses(status: int) -> None:
    assert status in (408, 429, 500, 502, 503, 504)
    seen = Recorder(answer(status), answer(200))
    client, pauses = make_client(seen)
    response = client.request("POST", "/companies", json_body={"name": "Acme"})
    assert response.status_code == 200
    assert len(seen.requests) == 2
    assert pauses == [0.5]
    assert seen.requests[1].content == seen.requests[0].content  # the body goes again


def test_retry_statuses_are_exactly_the_transient_ones() -> None:
    assert RETRY_STATUSES == {408, 429, 500, 502, 503, 504}


def test_gives_up_after_retries_with_exponential_backoff() -> None:
    seen = Recorder(answer(503))
    client, pauses = make_client(seen, retries=3)
    response = client.request("GET", "/companies/x")
    assert response.status_code == 503
    assert len(seen.requests) == 4  # the first try and 3 retries
    assert pauses == [0.5, 0.75, 1.125]


def test_backoff_is_capped() -> None:
    seen = Recorder(answer(500))
    client, pauses = make_client(seen, retries=6, max_backoff=1.0)
    client.request("GET", "/companies/x")
    assert len(seen.requests) == 7
    assert pauses == [0.5, 0.75, 1.0, 1.0, 1.0, 1.0]


def test_zero_retries_means_one_try() -> None:
    seen = Recorder(answer(503))
    client, pauses = make_client(seen, retries=0)
    assert client.request("GET", "/x").status_code == 503
    assert len(seen.requests) == 1
    assert pauses == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_does_not_retry_other_statuses(status: int) -> None:
    seen = Recorder(answer(status, headers={"Retry-After": "3"}), answer(200))
    client, pauses = make_client(seen)
    assert client.request("GET", "/x").status_code == status
    assert len(seen.requests) == 1
    assert pauses == []


def test_retry_false_disables_retries() -> None:
    seen = Recorder(answer(503), answer(200))
    client, pauses = make_client(seen)
    assert client.request("GET", "/x", retry=False).status_code == 503
    assert len(seen.requests) == 1
    assert pauses == []


def test_honours_retry_after_seconds() -> None:
    seen = Recorder(answer(429, headers={"Retry-After": "7"}), answer(429, headers={"Retry-After": " 2 "}),
                    answer(200))
    client, pauses = make_client(seen)
    assert client.request("GET", "/x").status_code == 200
    assert pauses == [7.0, 2.0]


def test_retry_after_seconds_is_capped() -> None:
    seen = Recorder(answer(503, headers={"Retry-After": "3600"}), answer(200))
    client, pauses = make_client(seen, max_retry_after=60.0)
    client.request("GET", "/x")
    assert pauses == [60.0]


def test_retry_after_zero_retries_at_once() -> None:
    seen = Recorder(answer(429, headers={"Retry-After": "0"}), answer(200))
    client, pauses = make_client(seen)
    client.request("GET", "/x")
    assert pauses == [0.0]


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The client's idea of "now" (for Retry-After dates), fixed: no wall clock in the assertions."""
    now = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(client_module, "time", types.SimpleNamespace(time=now.timestamp, sleep=None))
    return now


def test_honours_retry_after_http_date(fixed_now: datetime) -> None:
    later = format_datetime(fixed_now + timedelta(seconds=30), usegmt=True)
    seen = Recorder(answer(503, headers={"Retry-After": later}), answer(200))
    client, pauses = make_client(seen)
    assert client.request("GET", "/x").status_code == 200
    assert pauses == [30.0]


def test_retry_after_http_date_is_capped(fixed_now: datetime) -> None:
    much_later = format_datetime(fixed_now + timedelta(hours=2), usegmt=True)
    seen = Recorder(answer(429, headers={"Retry-After": much_later}), answer(200))
    client, pauses = make_client(seen, max_retry_after=45.0)
    client.request("GET", "/x")
    assert pauses == [45.0]


def test_retry_after_http_date_in_the_past_is_no_pause(fixed_now: datetime) -> None:
    earlier = format_datetime(fixed_now - timedelta(minutes=5), usegmt=True)
    seen = Recorder(answer(429, headers={"Retry-After": earlier}), answer(200))
    client, pauses = make_client(seen)
    client.request("GET", "/x")
    assert pauses == [0.0]


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    seen = Recorder(answer(503, headers={"Retry-After": "soon-ish"}), answer(200))
    client, pauses = make_client(seen)
    client.request("GET", "/x")
    assert pauses == [0.5]


def test_rate_limited_answers_are_kept() -> None:
    seen = Recorder(answer(429, headers={"Retry-After": "1"}), answer(200))
    client, _ = make_client(seen)
    client.request("GET", "/x")
    assert [(e.status, e.response_headers.get("retry-after")) for e in client.exchanges] == [(429, "1"), (200, None)]


# -- redaction ------------------------------------------------------------------


def _leaky(request: httpx.Request) -> httpx.Response:
    """A target that echoes the key everywhere it can."""
    return httpx.Response(
        500 if "fail" in request.url.path else 200,
        headers={"x-api-key-used": KEY, "x-auth-echo": f"Basic {KEY_B64}"},
        json={"echo": KEY, "b64": KEY_B64, "auth": request.headers.get("authorization")},
    )


def _all_text(exchange: Exchange) -> str:
    return "\n".join([exchange.describe(), exchange.as_curl(), exchange.url, exchange.request_body,
                      exchange.response_body, json.dumps(exchange.request_headers),
                      json.dumps(exchange.response_headers), repr(exchange)])


def test_recorded_exchanges_mask_the_key_and_its_base64() -> None:
    client, _ = make_client(_leaky)
    client.request("POST", f"/companies?apiKey={KEY}", json_body={"key": KEY, "b64": KEY_B64})
    client.request("GET", f"/fail/{KEY}")
    assert len(client.exchanges) == 5  # one POST, then the failing GET tried four times
    for exchange in client.exchanges:
        shown = _all_text(exchange)
        assert KEY not in shown
        assert KEY_B64 not in shown
        assert "**********" in shown
        assert exchange.request_headers["authorization"] == "Basic **********"
    first = client.exchanges[0]
    assert "-H 'authorization: Basic **********'" in first.as_curl()
    assert first.as_curl().startswith("curl -X POST ")
    assert first.describe().startswith("request:  curl -X POST")
    assert "\nanswer:   200 " in first.describe()


def test_long_bodies_are_cut_after_masking() -> None:
    body = "x" * (client_module.MAX_SHOWN_BODY - 5) + KEY + "y" * 100
    client, _ = make_client(lambda request: httpx.Response(200, text=body))
    client.request("GET", "/x")
    shown = client.exchanges[0].response_body
    assert KEY[:5] not in shown  # not even the key's start survives the cut
    assert shown.endswith("…")


def test_secret_repr_and_str_show_no_value() -> None:
    secret = Secret("hunter2-very-secret")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"
    assert repr(secret) == "Secret('**********')"
    assert secret.reveal() == "hunter2-very-secret"


def test_redact_masks_known_secrets_and_their_base64() -> None:
    Secret("another-secret-value")
    encoded = base64.b64encode(b"another-secret-value").decode()
    assert redact(f"a another-secret-value b {encoded} c") == "a ********** b ********** c"
    assert redact("nothing here") == "nothing here"


# -- one-line errors ----------------------------------------------------------


def _one_line_without_key(error: BaseException) -> str:
    message = str(error)
    assert message
    assert "\n" not in message and "\r" not in message
    assert KEY not in message and KEY_B64 not in message
    return message


def test_connection_refused_is_target_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"[Errno 111] Connection refused\nwhile sending {KEY}", request=request)

    client, pauses = make_client(refuse)
    with pytest.raises(TargetUnreachable) as caught:
        client.request("GET", f"/companies?key={KEY}")
    message = _one_line_without_key(caught.value)
    assert "Connection refused" in message
    assert "target.test" in message
    assert pauses == []


def test_a_closed_local_port_is_target_unreachable(closed_port: int) -> None:
    client = ApiClient(f"http://127.0.0.1:{closed_port}", Secret(KEY), sleep=lambda _: None)
    try:
        with pytest.raises(TargetUnreachable) as caught:
            client.request("GET", "/companies")
    finally:
        client.close()
    assert f"127.0.0.1:{closed_port}" in _one_line_without_key(caught.value)


def test_timeout_is_target_timed_out() -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out\nreading {KEY}", request=request)

    client, _ = make_client(stall)
    with pytest.raises(TargetTimedOut) as caught:
        client.request("GET", f"/companies/{KEY}")
    message = _one_line_without_key(caught.value)
    assert "no answer within" in message
    assert "ReadTimeout" in message


def test_connect_timeout_is_target_timed_out() -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    client, _ = make_client(stall)
    with pytest.raises(TargetTimedOut):
        client.request("GET", "/x")


def test_non_json_answer_is_not_json() -> None:
    page = f"<!doctype html>\n<html>\n  <body>Sign in, {KEY}</body>\n</html>\n"
    client, _ = make_client(lambda request: httpx.Response(200, text=page, headers={"content-type": "text/html"}))
    response = client.request("GET", f"/companies?apiKey={KEY}")
    with pytest.raises(NotJson) as caught:
        client.json(response)
    message = _one_line_without_key(caught.value)
    assert "text/html" in message
    assert "200" in message
    assert "<!doctype html> <html> <body>" in message


def test_not_json_never_shows_part_of_a_cut_key() -> None:
    page = "<p>" + "a" * 50 + KEY + "</p>"  # the key straddles the 60 characters shown
    client, _ = make_client(lambda request: httpx.Response(502, text=page))
    response = client.request("GET", "/x", retry=False)
    with pytest.raises(NotJson) as caught:
        client.json(response)
    message = _one_line_without_key(caught.value)
    assert KEY[:7] not in message


def test_json_answer_is_parsed() -> None:
    client, _ = make_client(lambda request: answer(200, {"results": []}))
    assert client.json(client.request("GET", "/x")) == {"results": []}
