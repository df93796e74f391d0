"""The partner's account in the sandbox: listing every company, and the profile's optional housekeeping
calls (deleting a company, listing and deleting subscriptions); and webhook deliveries that a dead
subscriber cannot hold up.

Rules: API-3, API-4 (paging of the new lists), KEY-1, DEL-1 (every live subscriber, promptly).
"""

from __future__ import annotations

import base64
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sfc_conformance.core.account import SyncFlowApi
from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.sandbox import webhooks
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.webhooks import Delivery, ThreadDispatcher, build_delivery

if TYPE_CHECKING:
    from tests.conftest import SandboxSteps, ServedAccount

NOBODY = str(uuid.UUID(int=0x5678, version=4))


# -- GET /companies -------------------------------------------------------------------


def test_list_companies_pages_through_every_company(api: SyncFlowApi, steps: SandboxSteps) -> None:
    made = [steps.company(f"Lister {n}") for n in range(7)]
    seen: list[str] = []
    for page in (1, 2, 3):
        body = api.list_companies(page=page, page_size=3).json()
        assert body["pageNumber"] == page and body["pageSize"] == 3 and body["totalResults"] == 7
        assert ("next" in body["_links"]) == (page < 3)
        assert ("previous" in body["_links"]) == (page > 1)
        seen += [c["id"] for c in body["results"]]
    assert seen == made  # oldest first, each once


def test_listed_companies_carry_their_data_connections(api: SyncFlowApi, steps: SandboxSteps) -> None:
    merchant = steps.linked("Listed Ltd")
    listed = api.list_companies().json()["results"]
    assert listed == [api.get_company(merchant.company_id).json()]
    assert {c["status"] for c in listed[0]["dataConnections"]} == {"Linked"}


@pytest.mark.parametrize("query", ["page=0", "pageSize=0", "pageSize=5001", "page=x"])
def test_list_companies_refuses_bad_paging(api: SyncFlowApi, steps: SandboxSteps, query: str) -> None:
    steps.error(api.client.request("GET", f"/companies?{query}"), 400)


# -- DELETE /companies/{companyId} ---------------------------------------------------


def test_deleting_a_company_leaves_nothing_of_it(target: EmbeddedTarget, api: SyncFlowApi,
                                                 steps: SandboxSteps) -> None:
    kept = steps.configured("Kept Ltd")
    gone = steps.configured("Gone Ltd")
    api.request_sync(gone.company_id)
    flow_url = steps.flow_url(gone.company_id)
    response = api.delete_company(gone.company_id)
    assert response.status_code == 204 and response.content == b""
    for answer in (api.get_company(gone.company_id), api.list_connections(gone.company_id),
                   api.get_configuration(gone.company_id), api.latest_sync(gone.company_id),
                   api.delete_company(gone.company_id)):
        steps.error(answer, 404)
    assert target.sandbox.state.readiness_truth().keys() == {kept.company_id}
    assert [c["id"] for c in api.list_companies().json()["results"]] == [kept.company_id]
    assert api.client.http.get(flow_url).status_code == 401  # its OTPs went with it
    assert steps.configuration(kept.company_id)["configured"] is True


def test_deleting_a_company_ends_its_flow_sessions(target: EmbeddedTarget, api: SyncFlowApi,
                                                   steps: SandboxSteps) -> None:
    merchant = steps.started("Session Ltd")
    opened = api.client.http.get(merchant.flow.url)
    assert opened.status_code in (200, 303), opened.text[:200]
    page = opened if opened.status_code == 200 else api.client.http.get(
        str(opened.url.join(opened.headers["location"])))
    assert page.status_code == 200
    assert api.delete_company(merchant.company_id).status_code == 204
    assert api.client.http.get(str(page.url)).status_code == 401


def test_deleting_an_unknown_company_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.delete_company(NOBODY), 404)


# -- GET /webhooks and DELETE /webhooks/{webhookId} -----------------------------------


def test_list_webhooks_answers_every_subscription(api: SyncFlowApi) -> None:
    made = [api.subscribe(f"https://partner.example/hooks/{n}", ["connection.deleted"]).json() for n in range(5)]
    first = api.list_webhooks(page=1, page_size=3).json()
    second = api.list_webhooks(page=2, page_size=3).json()
    assert first["results"] + second["results"] == made
    assert first["totalResults"] == 5 and "next" in first["_links"] and "next" not in second["_links"]
    assert api.list_webhooks().json()["results"] == made


def test_a_deleted_subscription_gets_no_more_events(target: EmbeddedTarget, api: SyncFlowApi,
                                                    steps: SandboxSteps) -> None:
    kept = api.subscribe(target.receiver_url + "?kept", ["connection.deleted"]).json()
    dropped = api.subscribe(target.receiver_url + "?dropped", ["connection.deleted"]).json()
    response = api.delete_webhook(dropped["id"])
    assert response.status_code == 204 and response.content == b""
    assert api.list_webhooks().json()["results"] == [kept]
    merchant = steps.linked()
    api.delete_connection(merchant.company_id, merchant.accounting_id)
    assert len(target.receiver.deliveries) == 1


def test_deleting_an_unknown_subscription_is_404(api: SyncFlowApi, steps: SandboxSteps) -> None:
    steps.error(api.delete_webhook(NOBODY), 404)
    hook = api.subscribe("https://partner.example/hook", ["connection.deleted"]).json()
    assert api.delete_webhook(hook["id"]).status_code == 204
    steps.error(api.delete_webhook(hook["id"]), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/companies"), ("DELETE", f"/companies/{NOBODY}"), ("GET", "/webhooks"), ("DELETE", f"/webhooks/{NOBODY}"),
])
def test_the_new_calls_need_the_key(api: SyncFlowApi, steps: SandboxSteps, method: str, path: str) -> None:
    merchant = steps.company("Untouched Ltd")
    hook = api.subscribe("https://partner.example/hook", ["connection.deleted"]).json()
    for authorization in (None, "Basic d3Jvbmc=", "Bearer sandbox-api-key"):
        headers: dict[str, str] = {} if authorization is None else {"Authorization": authorization}
        target_path = path.replace(NOBODY, merchant if "companies" in path else hook["id"])
        steps.error(api.client.request(method, target_path, headers=headers, authenticated=False), 401)
    assert api.get_company(merchant).status_code == 200
    assert api.list_webhooks().json()["results"] == [hook]


# -- deliveries: a dead subscriber holds up no one --------------------------------------


class Catcher:
    """A live subscriber on 127.0.0.1: records when each event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._event = threading.Condition()

        async def hook(request: Request) -> JSONResponse:
            body = await request.json()
            with self._event:
                self.arrived[body["id"]] = time.monotonic()
                self._event.notify_all()
            return JSONResponse({})

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def first(self, timeout: float) -> str | None:
        """The first event's id, once one arrived; None if none did within ``timeout``."""
        with self._event:
            self._event.wait_for(lambda: bool(self.arrived), timeout=timeout)
            return next(iter(self.arrived), None)

    def wait(self, event_id: str, timeout: float) -> float | None:
        """When ``event_id`` arrived (a condition wait, not a sleep), None if not within ``timeout``."""
        with self._event:
            self._event.wait_for(lambda: event_id in self.arrived, timeout=timeout)
            return self.arrived.get(event_id)


@pytest.fixture
def catcher() -> Iterator[tuple[Catcher, str]]:
    caught = Catcher()
    with BackgroundServer(caught.app) as server:
        yield caught, f"{server.url}/hook"


@pytest.fixture
def stalling_url() -> Iterator[str]:
    """A subscriber that takes the connection and never answers: each try costs the client's whole timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # connections queue in the backlog, never accepted, never answered
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"


def _event(event_id: str) -> dict[str, Any]:
    return {"id": event_id, "eventType": "connection.deleted"}


def test_a_dead_subscriber_does_not_delay_a_live_one(catcher: tuple[Catcher, str], stalling_url: str) -> None:
    caught, live_url = catcher
    dispatcher = ThreadDispatcher()
    try:
        sent = time.monotonic()
        dead: list[Delivery] = [build_delivery(stalling_url, _event("e1"), None) for _ in range(3)]
        dead += [build_delivery(f"http://127.0.0.1:1/gone/{n}", _event("e1"), None) for n in range(20)]
        for delivery in [*dead, build_delivery(live_url, _event("e1"), None)]:
            dispatcher.send(delivery)
        arrived = caught.wait("e1", timeout=10)
        assert arrived is not None, "the live subscriber never got the event"
        # One stalled try alone costs 5 s (the client's timeout); the live one must not wait behind it.
        assert arrived - sent < 2.0
        later = build_delivery(live_url, _event("e2"), None)
        sent = time.monotonic()
        dispatcher.send(later)
        arrived = caught.wait("e2", timeout=10)
        assert arrived is not None and arrived - sent < 2.0
    finally:
        started = time.monotonic()
        dispatcher.close()
        assert time.monotonic() - started < 5.0  # retries still pending are dropped, not waited for


def test_a_failed_delivery_is_tried_again(catcher: tuple[Catcher, str], monkeypatch: pytest.MonkeyPatch) -> None:
    caught, live_url = catcher
    attempts: list[str] = []
    real_post = webhooks._post_async

    async def fails_twice(client: httpx.AsyncClient, delivery: Delivery) -> bool:
        attempts.append(delivery.url)
        return len(attempts) > 2 and await real_post(client, delivery)

    monkeypatch.setattr(webhooks, "_post_async", fails_twice)
    dispatcher = ThreadDispatcher(backoff=(0.0, 0.0, 0.0))
    try:
        dispatcher.send(build_delivery(live_url, _event("e3"), None))
        assert caught.wait("e3", timeout=10) is not None
        assert attempts == [live_url] * 3
    finally:
        dispatcher.close()


def test_the_served_sandbox_delivers_to_live_subscribers_past_dead_ones(
        served_account: Callable[..., ServedAccount], catcher: tuple[Catcher, str]) -> None:
    caught, live_url = catcher
    account = served_account(20, dead_subscriptions=25, seed=3)
    auth = {"Authorization": "Basic " + base64.b64encode(account.api_key.encode()).decode()}
    ready = next(company_id for company_id, state in account.population.states.items() if state == "ready")
    with httpx.Client(base_url=account.base_url, headers=auth, timeout=10) as http:
        assert len(http.get("/webhooks", params={"pageSize": 100}).json()["results"]) == 25
        assert http.post("/webhooks", json={"url": live_url, "eventTypes": ["connection.deleted"]}).status_code == 201
        accounting = next(c for c in http.get(f"/companies/{ready}").json()["dataConnections"]
                          if c["sourceType"] == "Accounting")
        sent = time.monotonic()
        assert http.delete(f"/companies/{ready}/connections/{accounting['id']}").status_code in (200, 204)
    event_id = caught.first(timeout=10)
    assert event_id is not None, "the live subscriber never got the event"
    assert caught.arrived[event_id] - sent < 2.0
    assert len(caught.arrived) == 1
