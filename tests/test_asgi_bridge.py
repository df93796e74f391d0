"""The embedded target's bridge: each request one ASGI call, answered as a served app would answer it."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sfc_conformance.core.http import AsgiBridge
from sfc_conformance.sandbox.embedded import EmbeddedTarget


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"method": request.method, "path": request.url.path, "query": request.url.query,
                         "body": (await request.body()).decode(), "client": list(request.client or ())})


async def _crash(request: Request) -> JSONResponse:
    raise RuntimeError("the app failed")


async def _slow(request: Request) -> JSONResponse:
    await asyncio.sleep(0.05)
    return JSONResponse({})


APP: Any = Starlette(routes=[Route("/echo", _echo, methods=["GET", "POST", "HEAD"]), Route("/crash", _crash),
                             Route("/slow", _slow)])


def test_a_request_reaches_the_app_whole_and_its_answer_is_read_and_timed_by_the_client() -> None:
    bridge = AsgiBridge(APP)
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://app.test") as client:
        answer = client.post("/echo?a=1", content=b"hello")
        started = time.perf_counter()
        slow = client.get("/slow")
        waited = timedelta(seconds=time.perf_counter() - started)
    bridge.close()
    assert answer.json() == {"method": "POST", "path": "/echo", "query": "a=1", "body": "hello",
                             "client": ["127.0.0.1", 123]}
    # Timed as a served answer is: from the request to the end of its body, the app's own time included.
    assert timedelta(seconds=0.05) <= slow.elapsed <= waited


def test_a_crash_answers_500_and_a_head_no_body() -> None:
    bridge = AsgiBridge(APP)
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://app.test") as client:
        assert client.get("/crash").status_code == 500
        head = client.head("/echo")
    bridge.close()
    assert head.status_code == 200 and head.content == b""


def test_through_respx_the_suites_client_is_answered_and_timed_and_a_browser_gets_a_read_answer() -> None:
    target = EmbeddedTarget()
    target.start()
    client = target.client()
    try:
        started = time.perf_counter()
        answer = client.request("POST", "/companies", json_body={"name": "bridge"})
        waited = timedelta(seconds=time.perf_counter() - started)
        assert answer.status_code == 200 and answer.json()["name"] == "bridge"
        assert timedelta(0) < answer.elapsed <= waited  # timed by the client: the contract fuzz hands it on
        page = target.answer(httpx.Request("GET", f"{target.base_url}/companies/{answer.json()['id']}",
                                           headers={"Authorization": client.http.headers.get("authorization", "")}))
        assert page is not None and page.content  # a browser's route reads it without a client
    finally:
        client.close()
        target.stop()
