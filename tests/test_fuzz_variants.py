"""The whole fuzz against variations of the embedded sandbox: targets that conform in ways the sandbox does not
(ignoring what they do not use, lacking the optional calls, Codat's date-times) pass it; targets that accept
what a rule demands refused, or answer a 2xx body that breaks the contract, are caught under that rule."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import respx

from sfc_conformance.core.clock import ManualClock, SystemClock
from sfc_conformance.core.http import ApiClient, AsgiBridge
from sfc_conformance.core.secrets import Secret
from sfc_conformance.fuzzing import Budget, FuzzReport, fuzz
from sfc_conformance.sandbox.app import Sandbox

HOST = "variant.embedded"
KEY = "variant-target-key-4e1b"
SEED = 3
INTEGER = re.compile(r"[+-]?[0-9]+")
PAGED = re.compile(r"/companies(/[^/]+/connections)?|/config/integrations")
Pairs = list[tuple[str, str]]


@dataclass
class Variant:
    """What a target does differently from the sandbox, each a hook on the way in or out (None: as the sandbox)."""

    query: Callable[[str, str, Pairs], Pairs] | None = None  # (method, path, pairs) -> pairs the sandbox sees
    body: Callable[[str, str, bytes], bytes] | None = None  # (method, path, body) -> body the sandbox sees
    answer: Callable[[str, str, int, Any], tuple[int, Any]] | None = None  # a JSON answer, changed
    instead: Callable[[str, str], tuple[int, Any] | None] = field(default=lambda method, path: None)

    def around(self, app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            method, path = scope["method"], scope["path"]
            early = self.instead(method, path)
            if early is not None:
                await _send_json(send, *early)
                return
            if self.query is not None:
                pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                scope = {**scope, "query_string": urlencode(self.query(method, path, pairs)).encode()}
            body = await _read(receive)
            if self.body is not None:
                body = self.body(method, path, body)
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            if self.answer is None:
                await app(scope, replay, send)
                return
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def keep(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                else:
                    chunks.append(message.get("body", b""))

            await app(scope, replay, keep)
            content = b"".join(chunks)
            try:
                status, changed = self.answer(method, path, start["status"], json.loads(content))
            except ValueError:  # not JSON (an empty 204): passed on as it is
                await send(start)
                await send({"type": "http.response.body", "body": content})
                return
            await _send_json(send, status, changed)

        return wrapped


async def _read(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


async def _send_json(send: Any, status: int, body: Any) -> None:
    content = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-length", str(len(content)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


@contextmanager
def variant_target(variant: Variant, *faults: str, slow: tuple[str, str] | None = None) -> Iterator[ApiClient]:
    """The sandbox, changed by ``variant``, in-process behind respx: a client of it.  ``slow``: the
    (method, path) whose every answer takes longer than the client waits."""
    clock = ManualClock(SystemClock().now().replace(microsecond=0))
    sandbox = Sandbox(api_key=KEY, clock=clock, faults=faults)
    bridge = AsgiBridge(variant.around(sandbox.app))
    with respx.mock(assert_all_called=False, assert_all_mocked=True, using="httpx") as router:
        if slow is not None:
            router.route(host=HOST, method=slow[0], path=slow[1]).mock(side_effect=httpx.ReadTimeout("no answer"))
        router.route(host=HOST).mock(side_effect=bridge)
        router.route(host="fuzz.invalid").mock(return_value=httpx.Response(204))  # where its events go
        client = ApiClient(f"http://{HOST}", Secret(KEY), sleep=clock.sleep)
        try:
            yield client
        finally:
            client.close()
            bridge.close()
            sandbox.close()


def fuzzed(variant: Variant, *faults: str, examples: int = 2, slow: tuple[str, str] | None = None) -> FuzzReport:
    with variant_target(variant, *faults, slow=slow) as client:
        return fuzz(client, Budget(examples, seed=SEED), contained=True)


def shown(report: FuzzReport) -> str:
    return "\n\n".join(finding.describe() for finding in report.findings)


# -- conforming variations -------------------------------------------------------------------------------------


def _reads_what_it_uses(method: str, path: str, pairs: Pairs) -> Pairs:
    """A target that ignores every query parameter it does not use, and paging values it cannot read."""
    if method == "GET" and path == "/webhooks":
        return []  # it does not page subscriptions at all
    if method == "GET" and PAGED.fullmatch(path):
        return [(name, value) for name, value in pairs if name in ("page", "pageSize") and INTEGER.fullmatch(value)]
    if path.endswith("/start"):
        return [(name, value) for name, value in pairs if name in ("merchantIdentifier", "redirectUrl")]
    if path == "/sync/commerce/config/ui/text":
        return [(name, value) for name, value in pairs if name == "locale"]
    return []


def _all_subscriptions_at_once(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    if method == "GET" and path == "/webhooks" and status == 200:
        return status, {"results": body["results"]}
    return status, body


def _no_housekeeping(method: str, path: str) -> tuple[int, Any] | None:
    if (method, path) == ("GET", "/webhooks") or (method == "DELETE" and re.fullmatch(r"/(companies|webhooks)/[^/]+",
                                                                                      path)):
        return 405, {"statusCode": 405, "service": "PublicApi", "error": "Method not allowed",
                     "correlationId": "c0ffee", "canBeRetried": "Unknown", "detailedErrorCode": 0}
    return None


def _codat_date_times(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    """Date-times as Codat writes some: seven-digit fractions, and local times without an offset."""
    text = json.dumps(body)
    text = re.sub(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z"', lambda m: f'"{m.group(1)}.1234567Z"', text, count=1)
    text = re.sub(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z"', lambda m: f'"{m.group(1)}"', text)
    return status, json.loads(text)


CONFORMING = {
    "without-optional-calls": Variant(instead=_no_housekeeping),
    "codat-date-times": Variant(answer=_codat_date_times),
}


@pytest.mark.parametrize("name", list(CONFORMING))
def test_a_conforming_variation_passes_the_fuzz(name: str) -> None:
    report = fuzzed(CONFORMING[name])
    assert report.findings == [], shown(report)
    assert report.requests > 150 and not report.out_of_time


def test_a_target_that_ignores_what_it_does_not_use_passes_the_fuzz() -> None:
    """The issue's request, ``GET /webhooks?pageSize=null&page=false``, answered 200 by a target that does not
    page subscriptions, and odd paging read as none on the paged lists: no verdict."""
    seen: list[Pairs] = []

    def recording(method: str, path: str, pairs: Pairs) -> Pairs:
        if (method, path) == ("GET", "/webhooks"):
            seen.append(pairs)
        return _reads_what_it_uses(method, path, pairs)

    report = fuzzed(Variant(query=recording, answer=_all_subscriptions_at_once))
    assert report.findings == [], shown(report)
    odd = [pairs for pairs in seen if any(not INTEGER.fullmatch(value) for _, value in pairs)]
    assert odd, f"no odd paging was sent to GET /webhooks: {seen}"


def test_a_deleted_connection_may_answer_200() -> None:
    def answers_200(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
        if method == "DELETE" and "/connections/" in path and status == 204:
            return 200, {"deleted": True}
        return status, body

    report = fuzzed(Variant(answer=answers_200))
    assert report.findings == [], shown(report)


# -- variations that break a rule: caught, under that rule only ------------------------------------------------


def _serves_page_zero(method: str, path: str, pairs: Pairs) -> Pairs:
    """As :func:`_reads_what_it_uses`, but a page below 1 of GET /companies is served as page 1 (API-4 broken)."""
    pairs = _reads_what_it_uses(method, path, pairs)
    if path == "/companies":
        pairs = [(name, value) for name, value in pairs if not (name == "page" and int(value) < 1)]
    return pairs


def _clamps_sync_hour(method: str, path: str, body: bytes) -> bytes:
    """An out-of-range syncHour is stored as the nearest hour, not refused (CONF-5 broken)."""
    if method != "POST" or not path.startswith("/config/companies/"):
        return body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON: the sandbox sees it as sent
        return body
    schedule = document.get("schedule") if isinstance(document, dict) else None
    if isinstance(schedule, dict) and type(schedule.get("syncHour")) is int and not 0 <= schedule["syncHour"] <= 23:
        schedule["syncHour"] = min(23, max(0, schedule["syncHour"]))
    return json.dumps(document).encode()


def _subscriptions_as_text(method: str, path: str, status: int, body: Any) -> tuple[int, Any]:
    status, body = _all_subscriptions_at_once(method, path, status, body)
    if method == "GET" and path == "/webhooks" and status == 200:
        return status, {"results": "none"}
    return status, body


@pytest.mark.parametrize(("variant", "rule", "operation", "title"), [
    (Variant(query=_serves_page_zero, answer=_all_subscriptions_at_once), "API-4", "GET /companies",
     "A page out of bounds was accepted"),
    (Variant(body=_clamps_sync_hour), "CONF-5", "POST /config/companies/{companyId}/sync/commerce",
     "An invalid configuration choice was accepted"),
    (Variant(query=_reads_what_it_uses, answer=_subscriptions_as_text), "API-1", "GET /webhooks",
     "Response violates schema"),
], ids=["accepts-page-0", "accepts-sync-hour-24", "2xx-with-an-invalid-body"])
def test_a_broken_rule_is_caught_under_that_rule_only(variant: Variant, rule: str, operation: str,
                                                      title: str) -> None:
    report = fuzzed(variant)
    assert {(f.rule, f.operation, f.title) for f in report.findings} == {(rule, operation, title)}, shown(report)
    assert report.failed()


def test_a_script_redirect_accepted_is_a_warning_unless_strict() -> None:
    report = fuzzed(Variant(), "javascript-redirect-accepted")
    assert {(f.rule, f.title) for f in report.findings} == {("URL-5", "A redirectUrl that runs a script was accepted")}
    assert report.findings[0].describe().startswith("warn URL-5 (SHOULD) GET /config/sync/commerce/")
    assert not report.failed() and report.failed(strict=True)


def test_an_answer_that_does_not_come_in_time_is_not_judged() -> None:
    """A verdict does not bend with the machine: a request that runs out of time is listed, not failed."""
    report = fuzzed(Variant(), slow=("GET", "/webhooks"))
    assert report.findings == [], shown(report)
    assert report.not_judged and all(line.startswith("GET /webhooks: ") for line in report.not_judged)
    assert all("curl -X GET" in line and "http://variant.embedded/webhooks" in line for line in report.not_judged)
