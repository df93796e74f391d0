"""The gate every API call passes: the API key, unknown ids, malformed input, unknown routes and the rate limit.

Rules: KEY-1, KEY-2, READY-2, API-3, API-5, API-6.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.http import ApiClient
from sfc_conformance.sandbox.app import DEFAULT_API_KEY
from sfc_conformance.sandbox.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from tests.conftest import Browser, SandboxMerchant, SandboxSteps

NOBODY = str(uuid.UUID(int=0x1234, version=4))
KEY_B64 = base64.b64encode(DEFAULT_API_KEY.encode()).decode()


# -- the API key (KEY-1, KEY-2) --------------------------------------------------------

WRONG_KEYS = {
    "no header": None,
    "wrong key": "Basic " + base64.b64encode(b"not-the-key").decode(),
    "bearer": "Bearer " + DEFAULT_API_KEY,
    "bearer base64": "Bearer " + KEY_B64,
    "user:password form": "Basic " + base64.b64encode(f"{DEFAULT_API_KEY}:".encode()).decode(),
    "plain key": DEFAULT_API_KEY,
    "lower-case scheme": "basic " + KEY_B64,
    "empty": "",
}


def _send(api: SyncFlowApi, method: str, path: str, body: Any, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return api.client.request(method, path, json_body=body, headers=headers, authenticated=False)


@pytest.mark.parametrize("authorization", list(WRONG_KEYS.values()), ids=list(WRONG_KEYS))
def test_every_call_without_the_key_is_401(api: SyncFlowApi, steps: SandboxSteps,
                                           authorization: str | None) -> None:
    merchant = steps.linked()
    calls = _calls_on(merchant.company_id, merchant.accounting_id) + [
        ("POST", "/companies", {"name": "Sneaky Ltd"}),
        ("GET", f"/config/sync/commerce/lqai/gbol/start?merchantIdentifier={merchant.company_id}", None),
        ("POST", "/webhooks", {"url": "https://example.com/hook", "eventTypes": ["connection.deleted"]}),
    ]
    for method, path, body in calls:
        steps.error(_send(api, method, path, body, authorization), 401)


def test_refused_calls_change_nothing(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    before = (api.get_company(merchant.company_id).json(), steps.configuration(merchant.company_id))
    chosen = steps.choose(before[1])
    for authorization in WRONG_KEYS.values():
        for method, path, body in _calls_on(merchant.company_id, merchant.accounting_id):
            if method != "GET":
                _send(api, method, path, chosen if "config" in path else body, authorization)
        _send(api, "GET", f"/config/sync/commerce/lqai/qhyg/start?merchantIdentifier={merchant.company_id}",
              None, authorization)
    after = (api.get_company(merchant.company_id).json(), steps.configuration(merchant.company_id))
    assert after == before
    steps.error(api.latest_sync(merchant.company_id), 404)


def test_the_key_never_leaves_the_sandbox(target: EmbeddedTarget, api: SyncFlowApi, steps: SandboxSteps,
                                          browser: Browser) -> None:
    seen: list[httpx.Response] = []
    api.client.http.event_hooks["response"].append(lambda r: seen.append(r))
    merchant = steps.linked()
    api.subscribe(target.receiver_url, ["connection.deleted"])
    steps.configure(merchant.company_id, steps.choose(steps.configuration(merchant.company_id)))
    url = steps.flow_url(merchant.company_id, redirect_url="https://app.example.com/done")
    page = browser.open(url)
    api.request_sync(merchant.company_id)
    api.latest_sync(merchant.company_id)
    api.get_company(NOBODY)
    api.client.request("POST", "/companies", content=b"{")
    _send(api, "GET", f"/companies/{merchant.company_id}", None, "Bearer " + DEFAULT_API_KEY)
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert page.status_code == 200 and len(seen) > 10
    for response in seen:
        response.read()
        shown = [str(response.url) if "/sync-flow/" in str(response.url) else "", response.text,
                 *(f"{k}: {v}" for k, v in response.headers.items())]
        for text in shown:
            assert DEFAULT_API_KEY not in text and KEY_B64 not in text, f"{response.url} leaks the key"
    for delivery in target.receiver.deliveries:
        assert DEFAULT_API_KEY not in json.dumps(delivery.body) + json.dumps(delivery.headers)
    assert DEFAULT_API_KEY not in url and KEY_B64 not in url


# -- unknown ids (READY-2, API-3) ----------------------------------------------------


def _calls_on(company_id: str, connection_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/companies/{company_id}", None),
        ("GET", f"/companies/{company_id}/connections", None),
        ("PUT", f"/companies/{company_id}/connections/{connection_id}/authorization", {"code": "x"}),
        ("PATCH", f"/companies/{company_id}/connections/{connection_id}", {"status": "Unlinked"}),
        ("DELETE", f"/companies/{company_id}/connections/{connection_id}", None),
        ("GET", f"/config/companies/{company_id}/sync/commerce", None),
        ("POST", f"/config/companies/{company_id}/sync/commerce", {"enable": True}),
        ("POST", f"/companies/{company_id}/sync/commerce/latest", {"syncTo": None}),
        ("GET", f"/companies/{company_id}/sync/commerce/syncs/latest/status", None),
    ]


def test_every_call_on_an_unknown_company_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    for method, path, body in _calls_on(NOBODY, NOBODY):
        steps.error(api.client.request(method, path, json_body=body), 404)


def test_every_call_on_an_unknown_connection_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    for method, path, body in _calls_on(merchant.company_id, NOBODY):
        if NOBODY in path:
            steps.error(api.client.request(method, path, json_body=body), 404)


def test_latest_sync_of_a_company_without_syncs_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.latest_sync(steps.company()), 404)


# -- malformed input, unknown routes (API-3, API-5) ---------------------------------------

BODY_CALLS = [
    ("POST", "/companies"),
    ("PUT", "/companies/{company}/connections/{connection}/authorization"),
    ("PATCH", "/companies/{company}/connections/{connection}"),
    ("POST", "/config/companies/{company}/sync/commerce"),
    ("POST", "/webhooks"),
    ("POST", "/companies/{company}/sync/commerce/latest"),
]

MALFORMED = {
    "truncated": b'{"name": "Acme"',
    "not json": b"name=Acme",
    "NaN": b'{"name": NaN}',
    "Infinity": b"[Infinity]",
    "trailing comma": b'{"name": "Acme",}',
    "invalid utf-8": b'{"name": "\xff\xfe"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge number": b'{"syncTo": ' + b"9" * 5000 + b"}",
    "single quotes": b"{'name': 'Acme'}",
}


@pytest.fixture
def merchant(steps: SandboxSteps) -> SandboxMerchant:
    return steps.linked()


def _path(template: str, merchant: SandboxMerchant) -> str:
    return template.format(company=merchant.company_id, connection=merchant.accounting_id)


@pytest.mark.parametrize(("method", "template"), BODY_CALLS)
@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_json_is_400(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant, method: str,
                               template: str, raw: bytes) -> None:
    response = api.client.request(method, _path(template, merchant), content=raw,
                                  headers={"Content-Type": "application/json"})
    steps.error(response, 400)


@pytest.mark.parametrize(("method", "template"), BODY_CALLS)
def test_a_2_mib_body_is_413(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant, method: str,
                             template: str) -> None:
    huge = json.dumps({"name": "A" * (2 * 1024 * 1024)}).encode()
    response = api.client.request(method, _path(template, merchant), content=huge,
                                  headers={"Content-Type": "application/json"})
    steps.error(response, 413)


def test_a_2_mib_body_without_length_is_413(api: SyncFlowApi, steps: SandboxSteps) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(32):
            yield b"A" * 65_536
        yield b'"}'

    response = api.client.http.post(api.client.url("/companies"), content=chunks(),
                                     headers={"Authorization": "Basic " + KEY_B64})
    steps.error(response, 413)


@pytest.mark.parametrize(("method", "template"), BODY_CALLS)
@pytest.mark.parametrize("body", [[1, 2], "text", 12, True, 1.5])
def test_wrong_types_are_4xx(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant, method: str,
                             template: str, body: Any) -> None:
    response = api.client.request(method, _path(template, merchant), json_body=body)
    assert 400 <= response.status_code < 500
    steps.error(response, response.status_code)


@pytest.mark.parametrize(("method", "template"), BODY_CALLS)
@pytest.mark.parametrize("raw", [b'{"name": 1e999, "status": 1e999, "syncTo": 1e999, "url": 1e999}',
                                 b'{"schedule": {"syncHour": 1e999, "startDate": -1e999}, "enable": 1e999}',
                                 b'{"name": "' + b"A" * 500_000 + b'"}',
                                 b'{"syncTo": "' + b"9" * 100_000 + b'"}'],
                         ids=["infinite numbers", "infinite schedule", "long name", "long date"])
def test_huge_values_are_refused_not_crashed_on(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant,
                                                method: str, template: str, raw: bytes) -> None:
    response = api.client.request(method, _path(template, merchant), content=raw,
                                  headers={"Content-Type": "application/json"}, retry=False)
    assert response.status_code < 500
    if response.status_code >= 400:
        steps.error(response, response.status_code)


@pytest.mark.parametrize(("method", "template"), [c for c in BODY_CALLS if "config" not in c[1]])
def test_unexpected_fields_are_4xx(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant, method: str,
                                   template: str) -> None:
    body = {"unexpected": {"deeply": [1, {"x": None}]}}
    response = api.client.request(method, _path(template, merchant), json_body=body)
    assert 400 <= response.status_code < 500
    steps.error(response, response.status_code)


def test_configuration_ignores_unexpected_fields(api: SyncFlowApi, steps: SandboxSteps,
                                                 merchant: SandboxMerchant) -> None:
    before = steps.configuration(merchant.company_id)
    after = steps.configure(merchant.company_id, {"unexpected": {"deeply": [1, {"x": None}]}})
    assert after == before


@pytest.mark.parametrize(("method", "template", "body"), [
    ("POST", "/companies", {"name": "Acme", "description": "\ud800"}),
    ("POST", "/webhooks", {"url": "https://example.com/hook", "eventTypes": ["\udfff"]}),
    ("POST", "/webhooks", {"url": "https://\ud800.example.com/", "eventTypes": ["connection.deleted"]}),
    ("PUT", "/companies/{company}/connections/{connection}/authorization", {"code": "\ud800"}),
])
def test_lone_surrogates_are_refused_not_crashed_on(api: SyncFlowApi, steps: SandboxSteps, merchant: SandboxMerchant,
                                                     method: str, template: str, body: Any) -> None:
    response = api.client.request(method, _path(template, merchant), json_body=body)
    steps.error(response, 400)


@pytest.mark.parametrize("url", ["http://[", "http://[::1", "https://[nothing]/", "http://a:99999999/"])
def test_unparseable_webhook_urls_are_400(api: SyncFlowApi, steps: SandboxSteps, url: str) -> None:
    steps.error(api.subscribe(url, ["connection.deleted"]), 400)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/index.html"),
    ("GET", "/nothing/here"),
    ("POST", "/companies/x/y/z"),
    ("GET", "/config/sync/commerce/lqai/start"),
    ("GET", "/sync-flow/s/no-such-token/nothing"),
])
def test_unknown_routes_are_404(raw_client: ApiClient, steps: SandboxSteps, method: str, path: str) -> None:
    steps.error(raw_client.request(method, path), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/companies"),
    ("DELETE", "/companies"),
    ("PUT", f"/companies/{NOBODY}"),
    ("PUT", "/webhooks"),
    ("GET", f"/webhooks/{NOBODY}"),
    ("PUT", f"/companies/{NOBODY}/connections"),
    ("POST", "/config/integrations"),
    ("DELETE", "/sync/commerce/config/ui/text"),
])
def test_wrong_methods_are_405(raw_client: ApiClient, steps: SandboxSteps, method: str, path: str) -> None:
    steps.error(raw_client.request(method, path), 405)


@pytest.mark.parametrize(("path", "allowed"), [
    ("/companies", "GET, HEAD, POST"),
    (f"/companies/{NOBODY}/connections", "GET, HEAD, POST"),
    (f"/companies/{NOBODY}/connections/{NOBODY}", "DELETE, PATCH"),
    ("/sync/commerce/config/ui/text", "GET, HEAD, PATCH"),
])
def test_a_405_says_which_methods_the_path_takes(raw_client: ApiClient, steps: SandboxSteps, path: str,
                                                 allowed: str) -> None:
    refused = raw_client.request("TRACE", path)
    steps.error(refused, 405)
    assert refused.headers["Allow"] == allowed  # RFC 9110: every method of the path, whichever route has it


# -- the rate limit (API-6) -------------------------------------------------------------


def test_over_the_rate_limit_answers_429_with_retry_after(target: EmbeddedTarget, api: SyncFlowApi,
                                                          steps: SandboxSteps) -> None:
    company_id = steps.company()
    target.sandbox.rate_limit.per_second = 2
    target.clock.advance(1)
    assert api.client.request("GET", f"/companies/{company_id}", retry=False).status_code == 200
    assert api.client.request("GET", f"/companies/{company_id}", retry=False).status_code == 200
    refused = api.client.request("GET", f"/companies/{company_id}", retry=False)
    body = steps.error(refused, 429)
    assert body["canBeRetried"] == "True"
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_rate_limit_resets_the_next_second(target: EmbeddedTarget, api: SyncFlowApi,
                                               steps: SandboxSteps) -> None:
    company_id = steps.company()
    target.sandbox.rate_limit.per_second = 1
    target.clock.advance(1)
    api.client.request("GET", f"/companies/{company_id}", retry=False)
    assert api.client.request("GET", f"/companies/{company_id}", retry=False).status_code == 429
    target.clock.advance(1)
    assert api.client.request("GET", f"/companies/{company_id}", retry=False).status_code == 200


def test_the_client_waits_out_a_429_on_the_sandbox_clock(target: EmbeddedTarget, api: SyncFlowApi,
                                                         steps: SandboxSteps) -> None:
    company_id = steps.company()
    target.sandbox.rate_limit.per_second = 1
    target.clock.advance(1)
    before = target.clock.now()
    api.get_company(company_id)
    assert api.get_company(company_id).status_code == 200
    assert target.clock.now() - before >= timedelta(seconds=1)
    assert [e.status for e in api.client.exchanges].count(429) == 1


def test_the_rate_limit_is_off_by_default(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    statuses = {api.client.request("GET", f"/companies/{company_id}", retry=False).status_code
                for _ in range(50)}
    assert statuses == {200}
