"""The sandbox says what it serves: its operations, its platform keys and its client id, on its start page (``GET /``)
and at start-up, never its API key."""

from __future__ import annotations

import html
import queue
import signal
import subprocess
import threading
from typing import IO
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.profile import load_contract
from sfc_conformance.sandbox.embedded import EmbeddedTarget
from sfc_conformance.sandbox.platforms import PLATFORMS
from tests.helpers import COMMAND, basic_auth, child_environment

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
CONTRACT_OPERATIONS = {(method.upper(), path, op["operationId"])
                       for path, item in load_contract().document["paths"].items()
                       for method, op in item.items() if method in HTTP_METHODS}


def browser(target: EmbeddedTarget) -> httpx.Client:
    """A client of the embedded sandbox that sends no API key, as a browser does."""

    def answer(request: httpx.Request) -> httpx.Response:
        answered = target.answer(request)
        assert answered is not None, request.url
        return answered

    return httpx.Client(transport=httpx.MockTransport(answer))


def _start_page(target: EmbeddedTarget) -> httpx.Response:
    with browser(target) as http:
        return http.get("http://sandbox.embedded/")  # no API key: a page for the partner's browser


def test_the_start_page_lists_every_operation_every_key_and_the_client_id(target: EmbeddedTarget) -> None:
    page = _start_page(target)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = html.unescape(page.text)
    for method, path, operation_id in CONTRACT_OPERATIONS:
        assert f"<td>{method}</td><td><code>{path}</code></td><td>{operation_id}</td>" in text, (method, path)
    for key, platform in PLATFORMS.items():
        assert f"<code>{key}</code></td><td>{platform.name}</td>" in text
    assert f"<code id=client-id>{target.sandbox.state.client_id}</code>" in text
    assert target.api_key.reveal() not in text


def test_the_client_id_shown_is_the_one_in_flow_urls(target: EmbeddedTarget) -> None:
    client = target.client()
    try:
        company = client.request("POST", "/companies", json_body={"name": "Start Page Ltd"}).json()["id"]
        url = client.request("GET", "/config/sync/commerce/lqai/gbol/start",
                             params={"merchantIdentifier": company}).json()["url"]
    finally:
        client.close()
    assert urlsplit(url).path.split("/")[2] in _start_page(target).text


def test_the_start_up_lines_say_the_same(target: EmbeddedTarget) -> None:
    lines = target.sandbox.directory.lines("http://127.0.0.1:8080")
    assert lines[0] == f"client id: {target.sandbox.state.client_id}"
    assert lines[1] == f"flow URLs: http://127.0.0.1:8080/sync-flow/{target.sandbox.state.client_id}" \
                       "/{commerceKey}/{accountingKey}/start"
    assert all(key in lines[2] for key in PLATFORMS)
    listed = {tuple(line.split()) for line in lines[4:]}
    assert listed == {(method, path, operation_id) for method, path, operation_id in CONTRACT_OPERATIONS}
    assert not any("base URL:" in line for line in lines)  # the scripts look for the command's own line


def _read(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_the_command_prints_what_the_sandbox_serves() -> None:
    key = "start-up-key-Qv3"
    out: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    with subprocess.Popen([*COMMAND, "sandbox", "--port", "0", "--api-key", key], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=child_environment()) as process:
        assert process.stdout is not None
        threading.Thread(target=_read, args=(process.stdout, out), daemon=True).start()
        try:
            while not seen or "Ctrl-C stops it." not in seen[-1]:
                line = out.get(timeout=60)
                assert line is not None, "".join(seen)
                seen.append(line)
            base_url = next(line for line in seen if "base URL:" in line).split("base URL:")[1].strip()
            with httpx.Client(timeout=10) as http:
                page = http.get(base_url + "/")
                assert http.get(base_url + "/config/integrations",
                                headers={"Authorization": basic_auth(key)}).status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    printed = "".join(seen)
    client_id = next(line for line in seen if "client id:" in line).split("client id:")[1].strip()
    assert f"<code id=client-id>{client_id}</code>" in page.text
    assert CONTRACT_OPERATIONS <= {tuple(line.split()) for line in seen}
    assert "lqai (Partner Commerce)" in printed and "gbol (Xero)" in printed
    assert key not in printed
