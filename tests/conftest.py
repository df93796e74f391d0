"""Fixtures for the project's own tests: the sandbox in-process, every answer contract-checked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from sfc_conformance.contract import load_contract
from sfc_conformance.sync_flow_api import SyncFlowApi
from sfc_conformance.targets import EmbeddedTarget


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SFC_* setting of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SFC_"):
            monkeypatch.delenv(name)


def assert_conforms(response: httpx.Response) -> None:
    """Every API answer of the sandbox must validate against our contract."""
    path = urlsplit(str(response.request.url)).path
    if path.startswith("/sync-flow/"):
        return  # the merchant's HTML pages are not API calls
    response.read()
    body = json.loads(response.content) if response.content else None
    problems = load_contract().check_answer(response.request.method, path, response.status_code, body)
    assert not problems, f"{response.request.method} {path} -> {response.status_code}: {problems}"


@pytest.fixture
def target() -> Iterator[EmbeddedTarget]:
    embedded = EmbeddedTarget()
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
def api(target: EmbeddedTarget) -> Iterator[SyncFlowApi]:
    client = target.client()
    client.http.event_hooks["response"].append(assert_conforms)
    yield SyncFlowApi(client)
    client.close()


@pytest.fixture
def served_sandbox() -> Iterator[tuple[str, str]]:
    """The sandbox served over HTTP on 127.0.0.1 with real time: (base URL, API key)."""
    import threading

    import uvicorn

    from sfc_conformance.sandbox import serve

    sandbox = serve.build("served-test-key", None, ())
    sock = serve.bind(0)
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.02)  # start-up only; no test logic waits on the wall clock
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", "served-test-key"
    server.should_exit = True
    thread.join(timeout=10)
    sandbox.close()
    sock.close()
