"""The sandbox's JSON API: each endpoint's success and refusal paths, the API key,
paging, malformed input, the rate limit, concurrency — and every deliberate fault.

Rules: URL-1, URL-2, URL-4..6, LINK-1..3, KEY-1, KEY-2, READY-2, API-3..6.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sfc_conformance.core.client import ApiClient
from sfc_conformance.core.sync_flow_api import SyncFlowApi
from sfc_conformance.merchant.view import otp_of
from sfc_conformance.sandbox.app import DEFAULT_API_KEY
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.faults import FAULTS, VARIANTS

if TYPE_CHECKING:
    from tests.conftest import Browser, Embedded, SandboxMerchant, SandboxSteps

NOBODY = str(uuid.UUID(int=0x1234, version=4))
KEY_B64 = base64.b64encode(DEFAULT_API_KEY.encode()).decode()


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _connections(api: SyncFlowApi, company_id: str) -> list[dict[str, Any]]:
    return api.all_connections(company_id)


# -- companies (READY-2) -------------------------------------------------------


def test_create_company_answers_the_new_company(target: EmbeddedTarget, api: SyncFlowApi) -> None:
    response = api.create_company("Acme Trading Ltd")
    assert response.status_code == 200
    body = response.json()
    uuid.UUID(body["id"])
    assert body["name"] == "Acme Trading Ltd"
    assert body["dataConnections"] == []
    assert datetime.fromisoformat(body["created"]) == target.clock.now()


def test_create_company_keeps_a_description(api: SyncFlowApi) -> None:
    response = api.client.request("POST", "/companies", json_body={"name": "Acme", "description": "POS merchant"})
    assert response.status_code == 200
    assert response.json()["description"] == "POS merchant"


def test_created_companies_have_distinct_ids(steps: SandboxSteps) -> None:
    assert steps.company("Acme") != steps.company("Acme")


@pytest.mark.parametrize("body", [
    {},
    {"name": ""},
    {"name": "   "},
    {"name": 42},
    {"name": None},
    {"name": "acme_ltd"},
    {"name": "acme: ltd"},
    {"name": "acme/ltd"},
    {"name": "acme #1"},
    {"name": "A" * 257},
    {"name": "Acme", "description": 7},
    {"name": "Acme", "description": "d" * 2049},
    ["Acme"],
    "Acme",
])
def test_create_company_refuses_a_bad_body(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    steps.error(api.client.request("POST", "/companies", json_body=body), 400)


def test_create_company_refuses_an_empty_body(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.client.request("POST", "/companies", content=b""), 400)


def test_get_company_answers_the_company_with_its_connections(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    body = api.get_company(merchant.company_id).json()
    assert body["id"] == merchant.company_id
    assert {c["id"] for c in body["dataConnections"]} == {merchant.commerce_id, merchant.accounting_id}


def test_get_company_finds_an_upper_case_id_through_the_start_call(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    response = api.start_flow("lqai", "gbol", company_id.upper())
    assert response.status_code == 200
    assert len(_connections(api, company_id)) == 2


@pytest.mark.parametrize("company_id", [NOBODY, "not-a-uuid", "0" * 300])
def test_unknown_company_is_404(api: SyncFlowApi, steps: SandboxSteps, company_id: str) -> None:
    steps.error(api.get_company(company_id), 404)


# -- start the flow (URL-1, URL-2, URL-4..6, LINK-1, LINK-2) ---------------------


def test_start_answers_an_absolute_flow_url(api: SyncFlowApi, steps: SandboxSteps) -> None:
    company_id = steps.company()
    response = api.start_flow("lqai", "gbol", company_id)
    assert response.status_code == 200
    assert set(response.json()) == {"url"}
    url = urlsplit(response.json()["url"])
    assert url.scheme in ("http", "https") and url.netloc


def test_flow_url_carries_otp_and_merchant(steps: SandboxSteps) -> None:
    company_id = steps.company()
    query = _query(steps.flow_url(company_id))
    assert query["merchantIdentifier"] == company_id
    assert query["otp"].isdigit() and len(query["otp"]) >= 6


@pytest.mark.parametrize("redirect", [
    "https://app.example.com/sync/done?merchant=42&step=2",
    "app.codat.io",
    "https://example.com/path with spaces/é",
])
def test_flow_url_carries_redirect_url_when_given(steps: SandboxSteps, redirect: str) -> None:
    url = steps.flow_url(steps.company(), redirect_url=redirect)
    assert _query(url)["redirectUrl"] == redirect


def test_flow_url_has_no_redirect_url_when_none_given(steps: SandboxSteps) -> None:
    assert "redirectUrl" not in _query(steps.flow_url(steps.company()))


@pytest.mark.parametrize("redirect", [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://" + "a" * 2100,
])
def test_start_refuses_a_dangerous_or_huge_redirect_url(api: SyncFlowApi, steps: SandboxSteps,
                                                        redirect: str) -> None:
    company_id = steps.company()
    steps.error(api.start_flow("lqai", "gbol", company_id, redirect_url=redirect), 400)
    assert _connections(api, company_id) == []


@pytest.mark.parametrize(("commerce", "accounting"), [
    ("zzzz", "gbol"),      # unknown commerce key
    ("lqai", "zzzz"),      # unknown accounting key
    ("LQAI", "gbol"),      # malformed: upper case
    ("lqai", "gbo"),       # malformed: three letters
    ("lqai", "gb0l"),      # malformed: a digit
    ("lqai", "gbolx"),     # malformed: five letters
    ("lqai", "lqai"),      # commerce key in the accounting slot
    ("gbol", "gbol"),      # accounting key in the commerce slot
    ("lqai", "%20%20%20%20"),
])
def test_start_refuses_bad_platform_keys(api: SyncFlowApi, steps: SandboxSteps, commerce: str,
                                         accounting: str) -> None:
    company_id = steps.company()
    response = api.start_flow(commerce, accounting, company_id)
    assert response.status_code in (400, 404)
    steps.error(response, response.status_code)
    assert _connections(api, company_id) == []


def test_start_refuses_a_missing_merchant(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.client.request("GET", "/config/sync/commerce/lqai/gbol/start"), 400)


def test_start_refuses_an_unknown_company_id(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.start_flow("lqai", "gbol", NOBODY), 404)


def test_start_refuses_an_overlong_merchant(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.start_flow("lqai", "gbol", "m" * 300), 400)


@pytest.mark.parametrize("accounting", ["gbol", "qhyg", "fbrh", "mqjo"])
def test_start_creates_pending_commerce_and_accounting_connections(api: SyncFlowApi, steps: SandboxSteps,
                                                                   accounting: str) -> None:
    company_id = steps.company()
    api.start_flow("lqai", accounting, company_id)
    found = {(c["sourceType"], c["integrationKey"], c["status"]) for c in _connections(api, company_id)}
    assert found == {("Commerce", "lqai", "PendingAuth"), ("Accounting", accounting, "PendingAuth")}


def test_repeated_start_creates_no_further_connections(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    steps.flow_url(merchant.company_id)
    steps.flow_url(merchant.company_id)
    assert {c["id"] for c in _connections(api, merchant.company_id)} == {merchant.commerce_id,
                                                                          merchant.accounting_id}


# -- connections (LINK-3, REV-4) ---------------------------------------------------


def test_authorization_makes_the_connection_linked(steps: SandboxSteps) -> None:
    merchant = steps.started()
    connection = steps.authorize(merchant.company_id, merchant.accounting_id)
    assert connection["status"] == "Linked"
    assert connection["linkUrl"].startswith("http")
    assert connection["created"]


def test_authorization_links_only_that_connection(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    steps.authorize(merchant.company_id, merchant.accounting_id)
    status = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert status == {merchant.accounting_id: "Linked", merchant.commerce_id: "PendingAuth"}


def test_authorization_accepts_an_empty_object(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    assert api.authorize(merchant.company_id, merchant.accounting_id, {}).status_code == 200


@pytest.mark.parametrize("body", [[], "token", 5, {"token": 5}, {"token": None}, {"nested": {"a": "b"}}])
def test_authorization_refuses_anything_but_an_object_of_strings(api: SyncFlowApi, steps: SandboxSteps,
                                                                  body: Any) -> None:
    merchant = steps.started()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}/authorization"
    steps.error(api.client.request("PUT", path, json_body=body), 400)
    assert {c["status"] for c in _connections(api, merchant.company_id)} == {"PendingAuth"}


def test_authorization_refuses_an_empty_body(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.started()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}/authorization"
    steps.error(api.client.request("PUT", path, content=b""), 400)


@pytest.mark.parametrize("status", ["Deauthorized", "Unlinked"])
def test_deauthorizing_leaves_the_connection_not_linked(api: SyncFlowApi, steps: SandboxSteps,
                                                        status: str) -> None:
    merchant = steps.linked()
    response = api.update_connection(merchant.company_id, merchant.accounting_id, status)
    assert response.status_code == 200
    assert response.json()["status"] == status
    listed = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert listed[merchant.accounting_id] == status


def test_update_with_null_status_changes_nothing(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    response = api.update_connection(merchant.company_id, merchant.accounting_id, None)
    assert response.status_code == 200
    assert response.json()["status"] == "Linked"


@pytest.mark.parametrize("status", ["Linked", "PendingAuth"])
def test_update_cannot_link_a_connection(api: SyncFlowApi, steps: SandboxSteps, status: str) -> None:
    merchant = steps.started()
    api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    steps.error(api.update_connection(merchant.company_id, merchant.accounting_id, status), 400)


@pytest.mark.parametrize("body", [{"status": "Broken"}, {"status": 3}, {"status": "Unlinked", "extra": 1},
                                  ["Unlinked"], "Unlinked"])
def test_update_refuses_a_bad_body(api: SyncFlowApi, steps: SandboxSteps, body: Any) -> None:
    merchant = steps.linked()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}"
    steps.error(api.client.request("PATCH", path, json_body=body), 400)
    listed = {c["id"]: c["status"] for c in _connections(api, merchant.company_id)}
    assert listed[merchant.accounting_id] == "Linked"


def test_delete_removes_the_connection(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    response = api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert response.status_code in (200, 204)
    assert [c["id"] for c in _connections(api, merchant.company_id)] == [merchant.commerce_id]


def test_deleting_twice_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked()
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    steps.error(api.delete_connection(merchant.company_id, merchant.accounting_id), 404)


def test_connection_of_another_company_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    mine, theirs = steps.started("Mine"), steps.started("Theirs")
    steps.error(api.update_connection(mine.company_id, theirs.accounting_id, "Unlinked"), 404)
    steps.error(api.delete_connection(mine.company_id, theirs.accounting_id), 404)


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


# -- paging (API-4) ------------------------------------------------------------------


@pytest.fixture
def five_connections(api: SyncFlowApi, steps: SandboxSteps) -> str:
    """A company with one commerce and four accounting connections."""
    company_id = steps.company()
    for accounting in ("gbol", "qhyg", "fbrh", "mqjo"):
        assert api.start_flow("lqai", accounting, company_id).status_code == 200
    return company_id


def test_paging_defaults_to_page_1_of_100(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections).json()
    assert (body["pageNumber"], body["pageSize"], body["totalResults"], len(body["results"])) == (1, 100, 5, 5)
    assert "next" not in body["_links"] and "previous" not in body["_links"]


def test_paging_honours_page_and_page_size(api: SyncFlowApi, five_connections: str) -> None:
    pages = [api.list_connections(five_connections, page=p, page_size=2).json() for p in (1, 2, 3)]
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert [p["pageNumber"] for p in pages] == [1, 2, 3]
    assert {p["totalResults"] for p in pages} == {5}
    ids = [c["id"] for p in pages for c in p["results"]]
    assert len(set(ids)) == 5
    assert ids == [c["id"] for c in api.list_connections(five_connections).json()["results"]]


def test_next_link_exactly_when_a_later_page_exists(api: SyncFlowApi, five_connections: str) -> None:
    links = [api.list_connections(five_connections, page=p, page_size=2).json()["_links"] for p in (1, 2, 3, 4)]
    assert ["next" in link for link in links] == [True, True, False, False]
    assert ["previous" in link for link in links] == [False, True, True, True]
    assert all({"self", "current"} <= set(link) for link in links)
    assert links[0]["next"]["href"].endswith("page=2&pageSize=2")


def test_next_link_absent_when_the_last_page_is_exactly_full(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections, page=1, page_size=5).json()
    assert len(body["results"]) == 5
    assert "next" not in body["_links"]


def test_following_next_links_visits_every_connection(api: SyncFlowApi, five_connections: str) -> None:
    seen: list[str] = []
    href: str | None = f"/companies/{five_connections}/connections?page=1&pageSize=2"
    while href:
        body = api.client.request("GET", href).json()
        seen += [c["id"] for c in body["results"]]
        href = body["_links"].get("next", {}).get("href")
    assert len(seen) == len(set(seen)) == 5


def test_a_page_past_the_end_is_empty(api: SyncFlowApi, five_connections: str) -> None:
    body = api.list_connections(five_connections, page=99, page_size=10).json()
    assert body["results"] == [] and body["totalResults"] == 5


def test_page_size_5000_is_accepted(api: SyncFlowApi, five_connections: str) -> None:
    assert api.list_connections(five_connections, page_size=5000).json()["pageSize"] == 5000


@pytest.mark.parametrize("params", [
    {"page": "0"}, {"page": "-1"}, {"pageSize": "0"}, {"pageSize": "5001"}, {"pageSize": "-5"},
    {"page": "abc"}, {"page": "1.5"}, {"pageSize": "ten"}, {"page": "1e3"}, {"page": "9" * 40},
    {"pageSize": "0x10"},
])
def test_bad_paging_parameters_are_400(api: SyncFlowApi, steps: SandboxSteps, five_connections: str,
                                       params: dict[str, str]) -> None:
    path = f"/companies/{five_connections}/connections"
    steps.error(api.client.request("GET", path, params=params), 400)


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
    ("GET", "/"),
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
    ("POST", f"/companies/{NOBODY}/connections"),
])
def test_wrong_methods_are_405(raw_client: ApiClient, steps: SandboxSteps, method: str, path: str) -> None:
    steps.error(raw_client.request(method, path), 405)


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


# -- concurrency --------------------------------------------------------------------------


def test_twenty_merchants_at_once_get_distinct_ids_and_otps(api: SyncFlowApi, steps: SandboxSteps) -> None:
    def one(index: int) -> tuple[str, str]:
        company_id = steps.company(f"Merchant {index}")
        return company_id, otp_of(steps.flow_url(company_id))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert len({company_id for company_id, _ in results}) == 20
    assert len({otp for _, otp in results}) == 20
    for company_id, _ in results:
        assert len(_connections(api, company_id)) == 2


def test_concurrent_start_calls_for_one_company_create_its_connections_once(api: SyncFlowApi,
                                                                            steps: SandboxSteps) -> None:
    company_id = steps.company()
    with ThreadPoolExecutor(max_workers=20) as pool:
        otps = list(pool.map(lambda _: otp_of(steps.flow_url(company_id)), range(20)))
    assert len(set(otps)) == 20
    assert len(_connections(api, company_id)) == 2


# -- every deliberate fault really breaks its rule -------------------------------------------


def _open(e: Embedded, url: str) -> int:
    return e.api.client.http.get(url).status_code


def _walk_flow(e: Embedded, merchant: SandboxMerchant | None = None, *, choose: tuple[str, ...] = ()) -> httpx.Response:
    """Open, authorize and configure through the pages (first option of each field in ``choose`` too)."""
    merchant = merchant or e.steps.started()
    browser = e.browser
    page = browser.follow(browser.submit(browser.open(merchant.flow.url), "authorize", {"username": "u"}))
    fields = {f"account.{section}.{slot}": browser.options(page, f"account.{section}.{slot}")[0]
              for section, slot in [("sales", "sales"), ("payments", "cash"), ("payments", "card"), ("fees", "fees")]}
    fields.update({name: browser.options(page, name)[0] for name in choose})
    return browser.submit(page, "configure", {**fields, "syncHour": "0", "enable": "on"})


def _probe_otp_lasts_too_long(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30)
    return _open(e, url) != 401


def _probe_otp_reusable(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    _open(e, url)
    return _open(e, url) != 401


def _probe_otp_not_bound(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company("Mine"))
    other = url.replace(_query(url)["merchantIdentifier"], e.steps.company("Theirs"))
    return _open(e, other) != 401


def _probe_otp_predictable(e: Embedded) -> bool:
    company_id = e.steps.company()
    otps = [int(otp_of(e.steps.flow_url(company_id))) for _ in range(5)]
    return {b - a for a, b in zip(otps, otps[1:], strict=False)} == {1}


def _probe_redirect_dropped(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://app.example.com/done")
    return "redirectUrl" not in _query(url)


def _probe_javascript_redirect_accepted(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "gbol", e.steps.company(), "javascript:alert(1)").status_code == 200


def _probe_unknown_platform_accepted(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "zzzz", e.steps.company()).status_code == 200


def _probe_api_key_optional(e: Embedded) -> bool:
    return e.api.get_company(e.steps.company(), authenticated=False).status_code == 200


def _probe_api_key_echoed(e: Embedded) -> bool:
    response = e.api.create_company("Acme")
    return any(DEFAULT_API_KEY in value for value in response.headers.values())


def _probe_no_commerce_connection(e: Embedded) -> bool:
    merchant_id = e.steps.company()
    e.steps.flow_url(merchant_id)
    return "Commerce" not in {c["sourceType"] for c in _connections(e.api, merchant_id)}


def _probe_duplicate_connections(e: Embedded) -> bool:
    merchant_id = e.steps.company()
    e.steps.flow_url(merchant_id)
    e.steps.flow_url(merchant_id)
    return len(_connections(e.api, merchant_id)) > 2


def _probe_trust_configured_flag(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id))
    document["configuration"]["payments"]["accounts"]["cash"]["selectedAccountId"] = None
    document["configured"] = True
    return e.steps.configure(merchant.company_id, document)["configured"] is True


def _probe_sync_hour_unchecked(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), syncHour=24)
    return e.api.set_configuration(merchant.company_id, document).status_code == 200


def _probe_configure_before_link(e: Embedded) -> bool:
    merchant = e.steps.started()
    document = e.steps.configuration(merchant.company_id)
    return e.api.set_configuration(merchant.company_id, document).status_code == 200


def _probe_start_resets_configuration(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.steps.flow_url(merchant.company_id)
    return e.steps.configuration(merchant.company_id)["configured"] is not True


def _probe_disable_unconfigures(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    document["enable"] = False
    return e.steps.configure(merchant.company_id, document)["configured"] is not True


def _probe_no_webhook_on_delete(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return not e.target.receiver.deliveries


def _probe_sync_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return bool(e.api.request_sync(merchant.company_id).json()["syncStatusCode"] < 4000)


def _probe_scheduler_ignores_delete(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(86_400)
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(2 * 86_400)  # the next scheduled sync has run (and failed) by now
    after = e.api.latest_sync(merchant.company_id).json()["syncId"]
    e.target.clock.advance(86_400)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncId"] != after)


def _probe_unsigned_webhooks(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    (sent,) = [d.headers for d in e.target.receiver.deliveries]
    return "webhook-signature" not in sent


def _probe_unknown_company_found(e: Embedded) -> bool:
    return e.api.get_company(NOBODY).status_code == 200


def _probe_connection_missing_field(e: Embedded) -> bool:
    merchant = e.steps.started()
    return any("integrationKey" not in c for c in _connections(e.api, merchant.company_id))


def _probe_plain_text_errors(e: Embedded) -> bool:
    return not e.api.get_company(NOBODY).headers["content-type"].startswith("application/json")


def _probe_wrong_total_results(e: Embedded) -> bool:
    body = e.api.list_connections(e.steps.started().company_id).json()
    return bool(body["totalResults"] != len(body["results"]))


def _probe_crash_on_bad_json(e: Embedded) -> bool:
    return e.api.client.request("POST", "/companies", content=b"{", retry=False).status_code >= 500


def _probe_no_success_page(e: Embedded) -> bool:
    last = _walk_flow(e)
    return last.status_code == 204 and not last.content


def _probe_next_sync_off_schedule(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=0, timeZone="Etc/UTC")
    page = e.browser.open(e.steps.flow_url(merchant.company_id))
    now = e.target.clock.now()
    next_midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return e.browser.time(page, "next-sync") != next_midnight


def _probe_relative_flow_url(e: Embedded) -> bool:
    return not e.steps.flow_url(e.steps.company()).startswith("http")


def _probe_otp_five_digits(e: Embedded) -> bool:
    return len(otp_of(e.steps.flow_url(e.steps.company()))) < 6


def _probe_otp_repeated_while_valid(e: Embedded) -> bool:
    company_id = e.steps.company()
    return otp_of(e.steps.flow_url(company_id)) == otp_of(e.steps.flow_url(company_id))


def _probe_otp_expires_early(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(29.5)
    return _open(e, url) == 401


def _probe_expired_otp_resent(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.steps.flow_url(company_id)
    e.target.clock.advance(31)
    return _open(e, e.steps.flow_url(company_id)) == 401


def _probe_link_url_dropped(e: Embedded) -> bool:
    merchant = e.steps.linked()
    return any("linkUrl" not in c for c in _connections(e.api, merchant.company_id))


def _probe_configured_from_start(e: Embedded) -> bool:
    return e.steps.configuration(e.steps.started().company_id)["configured"] is True


def _probe_no_tax_rate_options(e: Embedded) -> bool:
    rates = e.steps.configuration(e.steps.linked().company_id)["configuration"]["sales"]["taxRates"]
    return not any(entry["taxRateOptions"] for entry in rates.values())


def _probe_grouping_period_not_stored(e: Embedded) -> bool:
    merchant = e.steps.configured()
    period = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["grouping"]["groupingPeriod"]
    return bool(period["selectedGroupingPeriod"] != period["groupingPeriodOptions"][-1])


def _probe_schedule_defaults_to_london(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=None, timeZone=None)
    return bool(e.steps.configuration(merchant.company_id)["schedule"]["timeZone"] != "Etc/UTC")


def _probe_enabled_instead_of_enable(e: Embedded) -> bool:
    document = e.steps.configuration(e.steps.configured().company_id)
    return "enable" not in document and document.get("enabled") is not True


def _probe_tax_rate_change_ignored(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    entry = next(iter(document["configuration"]["sales"]["taxRates"].values()))
    other = next(o["id"] for o in entry["taxRateOptions"] if o["id"] != entry["selectedTaxRateId"])
    entry["selectedTaxRateId"] = other
    stored = e.steps.configure(merchant.company_id, document)["configuration"]["sales"]["taxRates"]
    return bool(next(iter(stored.values()))["selectedTaxRateId"] != other)


def _probe_unlink_ignored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.accounting_id, "Unlinked")
    return answer.status_code == 200 and answer.json()["status"] == "Linked"


def _probe_commerce_deauthorize_ignored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.commerce_id, "Deauthorized")
    return answer.status_code == 200 and answer.json()["status"] == "Linked"


def _probe_webhook_wrong_company(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.subscribe(e.target.receiver_url, ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    (delivery,) = e.target.receiver.deliveries
    return bool(delivery.body["payload"]["referenceCompany"]["id"] != merchant.company_id)


def _probe_non_iso_dates(e: Embedded) -> bool:
    created = e.api.get_company(e.steps.company()).json()["created"]
    try:
        datetime.fromisoformat(created)
    except ValueError:
        return True
    return False


def _probe_json_as_text_plain(e: Embedded) -> bool:
    answer = e.api.list_connections(e.steps.started().company_id)
    return not answer.headers["content-type"].startswith("application/json")


def _probe_next_link_on_last_page(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.steps.flow_url(company_id)
    return "next" in e.api.list_connections(company_id).json()["_links"]


def _probe_no_retry_after(e: Embedded) -> bool:
    company_id = e.steps.company()
    e.target.sandbox.rate_limit.per_second = 1
    e.target.clock.advance(1)
    statuses = [e.api.client.request("GET", f"/companies/{company_id}", retry=False) for _ in range(3)]
    limited = [a for a in statuses if a.status_code == 429]
    assert limited
    return "retry-after" not in limited[0].headers


def _probe_pages_drop_invoice_status(e: Embedded) -> bool:
    merchant = e.steps.started()
    assert _walk_flow(e, merchant, choose=("invoiceStatus",)).status_code == 200
    status = e.steps.configuration(merchant.company_id)["configuration"]["sales"]["invoiceStatus"]
    return status["selectedInvoiceStatus"] is None


def _probe_api_key_in_link_url(e: Embedded) -> bool:
    merchant = e.steps.started()
    return any(DEFAULT_API_KEY in c["linkUrl"] for c in _connections(e.api, merchant.company_id))


def _probe_otp_lasts_31s(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30.5)
    return _open(e, url) != 401


def _probe_error_status_mismatch(e: Embedded) -> bool:
    return bool(e.api.get_company(NOBODY).json()["statusCode"] != 404)


def _probe_status_outside_enum(e: Embedded) -> bool:
    merchant = e.steps.linked()
    answer = e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    return bool(answer.json()["status"] not in ("PendingAuth", "Linked", "Unlinked", "Deauthorized"))


def _deleted_with_subscribers(e: Embedded, count: int = 2) -> tuple[SandboxMerchant, list[Any]]:
    """A linked merchant whose accounting connection was deleted with ``count`` subscribers; what they got."""
    merchant = e.steps.configured()
    for number in range(count):
        e.api.subscribe(f"{e.target.receiver_url}?subscriber={number}", ["connection.deleted"])
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return merchant, e.target.receiver.deliveries


def _probe_otp_dies_after_10s(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(20)
    return _open(e, url) == 401


def _probe_redirect_not_encoded(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://partner.example/done?a=1&b=2")
    return _query(url).get("redirectUrl") != "https://partner.example/done?a=1&b=2"


def _probe_redirect_non_ascii_dropped(e: Embedded) -> bool:
    url = e.steps.flow_url(e.steps.company(), redirect_url="https://partner.example/café")
    return _query(url).get("redirectUrl") != "https://partner.example/café"


def _probe_start_date_not_stored(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), startDate="2026-02-01T00:00:00Z")
    stored = e.steps.configure(merchant.company_id, document)["schedule"]["startDate"]
    return datetime.fromisoformat(stored) != datetime(2026, 2, 1, tzinfo=UTC)


def _probe_monthly_refused(e: Embedded) -> bool:
    merchant = e.steps.linked()
    document = e.steps.choose(e.steps.configuration(merchant.company_id), selectedFrequency="Monthly")
    return e.api.set_configuration(merchant.company_id, document).status_code == 400


def _probe_configure_before_link_404(e: Embedded) -> bool:
    merchant = e.steps.started()
    return e.api.set_configuration(merchant.company_id, e.steps.configuration(merchant.company_id)).status_code == 404


def _changed_on_review(e: Embedded, part: str, selected: str, options: str) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    entry = document["configuration"]["sales"][part]
    entry = entry["groupingPeriod"] if part == "grouping" else entry
    other = next(o for o in entry[options] if o != entry[selected])
    entry[selected] = other
    stored = e.steps.configure(merchant.company_id, document)["configuration"]["sales"][part]
    return bool((stored["groupingPeriod"] if part == "grouping" else stored)[selected] != other)


def _probe_invoice_status_change_ignored(e: Embedded) -> bool:
    return _changed_on_review(e, "invoiceStatus", "selectedInvoiceStatus", "invoiceStatusOptions")


def _probe_grouping_period_change_ignored(e: Embedded) -> bool:
    return _changed_on_review(e, "grouping", "selectedGroupingPeriod", "groupingPeriodOptions")


def _probe_webhook_first_subscriber_only(e: Embedded) -> bool:
    return len(_deleted_with_subscribers(e)[1]) < 2


def _probe_webhook_announced_twice(e: Embedded) -> bool:
    _, deliveries = _deleted_with_subscribers(e, 1)
    e.target.clock.advance(10)
    return len({d.event_id for d in deliveries}) > 1


def _probe_webhook_id_per_subscriber(e: Embedded) -> bool:
    return len({d.event_id for d in _deleted_with_subscribers(e)[1]}) > 1


def _probe_webhook_late(e: Embedded) -> bool:
    _, deliveries = _deleted_with_subscribers(e, 1)
    e.target.clock.advance(10)
    return not deliveries


def _probe_webhook_signature_wrong(e: Embedded) -> bool:
    (delivery,) = _deleted_with_subscribers(e, 1)[1]
    return delivery.signed and delivery.verified is False


def _probe_sync_after_delete_500(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return e.api.client.request("POST", f"/companies/{merchant.company_id}/sync/commerce/latest",
                                json_body={"syncTo": None}, retry=False).status_code >= 500


def _probe_schedule_stops_silently(e: Embedded) -> bool:
    merchant = e.steps.configured(syncHour=12, timeZone="Etc/UTC")
    e.target.clock.advance(86_400)
    before = e.api.latest_sync(merchant.company_id).json()["syncId"]
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.target.clock.advance(3 * 86_400)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncId"] == before)


def _probe_company_without_connections(e: Embedded) -> bool:
    return bool(e.api.get_company(e.steps.linked().company_id).json()["dataConnections"] == [])


def _probe_company_shows_stale_links(e: Embedded) -> bool:
    merchant = e.steps.linked()
    e.api.update_connection(merchant.company_id, merchant.accounting_id, "Deauthorized")
    reported = e.api.get_company(merchant.company_id).json()["dataConnections"]
    return any(c["id"] == merchant.accounting_id and c["status"] == "Linked" for c in reported)


def _probe_page_ignored(e: Embedded) -> bool:
    company_id = e.steps.started().company_id
    first, second = (e.api.list_connections(company_id, page=n, page_size=1).json()["results"] for n in (1, 2))
    return bool(first == second)


def _probe_crash_on_unknown_connection(e: Embedded) -> bool:
    merchant = e.steps.linked()
    return e.api.client.request("DELETE", f"/companies/{merchant.company_id}/connections/{NOBODY}",
                                retry=False).status_code >= 500


def _probe_flow_url_without_merchant(e: Embedded) -> bool:
    return "merchantIdentifier" not in _query(e.steps.flow_url(e.steps.company()))


def _probe_crash_on_malformed_key(e: Embedded) -> bool:
    return e.api.start_flow("lqai", "GB", e.steps.company(), retry=False).status_code >= 500


def _probe_bearer_accepted(e: Embedded) -> bool:
    return _send(e.api, "GET", f"/companies/{e.steps.company()}", None, "Bearer " + DEFAULT_API_KEY).status_code == 200


def _probe_refused_delete_still_deletes(e: Embedded) -> bool:
    merchant = e.steps.linked()
    path = f"/companies/{merchant.company_id}/connections/{merchant.accounting_id}"
    assert _send(e.api, "DELETE", path, None, "Basic " + base64.b64encode(b"wrong").decode()).status_code == 401
    return merchant.accounting_id not in {c["id"] for c in _connections(e.api, merchant.company_id)}


def _probe_webhook_without_date(e: Embedded) -> bool:
    (delivery,) = _deleted_with_subscribers(e, 1)[1]
    return "generatedDate" not in delivery.body


def _probe_latest_complete_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    e.api.request_sync(merchant.company_id)
    return bool(e.api.latest_sync(merchant.company_id).json()["syncStatus"] == "Complete")


FAULT_PROBES: dict[str, Callable[[Embedded], bool]] = {
    "flow-url-without-merchant": _probe_flow_url_without_merchant,
    "crash-on-malformed-key": _probe_crash_on_malformed_key,
    "bearer-accepted": _probe_bearer_accepted,
    "refused-delete-still-deletes": _probe_refused_delete_still_deletes,
    "webhook-without-date": _probe_webhook_without_date,
    "latest-complete-after-delete": _probe_latest_complete_after_delete,
    "otp-dies-after-10s": _probe_otp_dies_after_10s,
    "redirect-not-encoded": _probe_redirect_not_encoded,
    "redirect-non-ascii-dropped": _probe_redirect_non_ascii_dropped,
    "start-date-not-stored": _probe_start_date_not_stored,
    "monthly-refused": _probe_monthly_refused,
    "configure-before-link-404": _probe_configure_before_link_404,
    "invoice-status-change-ignored": _probe_invoice_status_change_ignored,
    "grouping-period-change-ignored": _probe_grouping_period_change_ignored,
    "webhook-first-subscriber-only": _probe_webhook_first_subscriber_only,
    "webhook-announced-twice": _probe_webhook_announced_twice,
    "webhook-id-per-subscriber": _probe_webhook_id_per_subscriber,
    "webhook-late": _probe_webhook_late,
    "webhook-signature-wrong": _probe_webhook_signature_wrong,
    "sync-after-delete-500": _probe_sync_after_delete_500,
    "schedule-stops-silently": _probe_schedule_stops_silently,
    "company-without-connections": _probe_company_without_connections,
    "company-shows-stale-links": _probe_company_shows_stale_links,
    "page-ignored": _probe_page_ignored,
    "crash-on-unknown-connection": _probe_crash_on_unknown_connection,
    "otp-lasts-too-long": _probe_otp_lasts_too_long,
    "otp-reusable": _probe_otp_reusable,
    "otp-not-bound": _probe_otp_not_bound,
    "otp-predictable": _probe_otp_predictable,
    "redirect-dropped": _probe_redirect_dropped,
    "javascript-redirect-accepted": _probe_javascript_redirect_accepted,
    "unknown-platform-accepted": _probe_unknown_platform_accepted,
    "api-key-optional": _probe_api_key_optional,
    "api-key-echoed": _probe_api_key_echoed,
    "no-commerce-connection": _probe_no_commerce_connection,
    "duplicate-connections": _probe_duplicate_connections,
    "trust-configured-flag": _probe_trust_configured_flag,
    "sync-hour-unchecked": _probe_sync_hour_unchecked,
    "configure-before-link": _probe_configure_before_link,
    "start-resets-configuration": _probe_start_resets_configuration,
    "disable-unconfigures": _probe_disable_unconfigures,
    "no-webhook-on-delete": _probe_no_webhook_on_delete,
    "sync-after-delete": _probe_sync_after_delete,
    "scheduler-ignores-delete": _probe_scheduler_ignores_delete,
    "unsigned-webhooks": _probe_unsigned_webhooks,
    "unknown-company-found": _probe_unknown_company_found,
    "connection-missing-field": _probe_connection_missing_field,
    "plain-text-errors": _probe_plain_text_errors,
    "wrong-total-results": _probe_wrong_total_results,
    "crash-on-bad-json": _probe_crash_on_bad_json,
    "no-success-page": _probe_no_success_page,
    "next-sync-off-schedule": _probe_next_sync_off_schedule,
    "relative-flow-url": _probe_relative_flow_url,
    "otp-five-digits": _probe_otp_five_digits,
    "otp-repeated-while-valid": _probe_otp_repeated_while_valid,
    "otp-expires-early": _probe_otp_expires_early,
    "expired-otp-resent": _probe_expired_otp_resent,
    "link-url-dropped": _probe_link_url_dropped,
    "configured-from-start": _probe_configured_from_start,
    "no-tax-rate-options": _probe_no_tax_rate_options,
    "grouping-period-not-stored": _probe_grouping_period_not_stored,
    "schedule-defaults-to-london": _probe_schedule_defaults_to_london,
    "enabled-instead-of-enable": _probe_enabled_instead_of_enable,
    "tax-rate-change-ignored": _probe_tax_rate_change_ignored,
    "unlink-ignored": _probe_unlink_ignored,
    "commerce-deauthorize-ignored": _probe_commerce_deauthorize_ignored,
    "webhook-wrong-company": _probe_webhook_wrong_company,
    "non-iso-dates": _probe_non_iso_dates,
    "json-as-text-plain": _probe_json_as_text_plain,
    "next-link-on-last-page": _probe_next_link_on_last_page,
    "no-retry-after": _probe_no_retry_after,
    "pages-drop-invoice-status": _probe_pages_drop_invoice_status,
    "api-key-in-link-url": _probe_api_key_in_link_url,
    "otp-lasts-31s": _probe_otp_lasts_31s,
    "error-status-mismatch": _probe_error_status_mismatch,
    "status-outside-enum": _probe_status_outside_enum,
}


def test_every_fault_has_a_probe() -> None:
    assert set(FAULT_PROBES) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULT_PROBES))
def test_fault_breaks_the_behaviour_it_names(embedded: Callable[..., Embedded], fault: str) -> None:
    probe = FAULT_PROBES[fault]
    assert probe(embedded(checked=False)) is False, f"the healthy sandbox already shows {fault}"
    assert probe(embedded(faults=[fault], checked=False)) is True, f"{fault} changes nothing: {FAULTS[fault][1]}"


def _probe_enabled_spelling(e: Embedded) -> bool:
    merchant = e.steps.configured()
    document = e.steps.configuration(merchant.company_id)
    spelled = "enabled" in document and "enable" not in document
    document.pop("enabled", None)
    document["enable"] = False  # the OAS name is still read
    return spelled and e.steps.configure(merchant.company_id, document)["enabled"] is False


def _probe_unknown_fields(e: Embedded) -> bool:
    merchant, (delivery,) = _deleted_with_subscribers(e, 1)
    company = e.api.get_company(merchant.company_id).json()
    return "sfcAddedLater" in company and "sfcAddedLater" in delivery.body


def _probe_webhook_retried(e: Embedded) -> bool:
    deliveries = _deleted_with_subscribers(e, 1)[1]
    return len(deliveries) == 2 and len({d.headers["webhook-id"] for d in deliveries}) == 1


def _probe_sync_refused_after_delete(e: Embedded) -> bool:
    merchant = e.steps.configured()
    e.api.delete_connection(merchant.company_id, merchant.accounting_id)
    return e.api.request_sync(merchant.company_id).status_code == 409


VARIANT_PROBES: dict[str, Callable[[Embedded], bool]] = {
    "enabled-spelling": _probe_enabled_spelling,
    "unknown-fields": _probe_unknown_fields,
    "webhook-retried": _probe_webhook_retried,
    "sync-refused-after-delete": _probe_sync_refused_after_delete,
}


def test_every_variant_has_a_probe() -> None:
    assert set(VARIANT_PROBES) == set(VARIANTS)


@pytest.mark.parametrize("variant", sorted(VARIANT_PROBES))
def test_variant_does_what_it_names(embedded: Callable[..., Embedded], variant: str) -> None:
    """Variants stay within the profile; the suite's runs prove that, here only that each does something."""
    probe = VARIANT_PROBES[variant]
    assert probe(embedded(checked=False)) is False, f"the plain sandbox already shows {variant}"
    assert probe(embedded(faults=[variant], checked=False)) is True, f"{variant} changes nothing: {VARIANTS[variant]}"


def test_an_unknown_fault_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sandbox fault 'otp-forever'"):
        EmbeddedTarget(faults=("otp-forever",))
