"""``sfc-conformance run`` against targets that misbehave: one line, the documented exit code, no traceback.

Each case serves a small misbehaving target on 127.0.0.1 (a Starlette app or a
raw socket) and drives the real command.  Before any rule runs a problem is
exit code 2 with one line and no report left behind; once rules run, the
scenario that meets it fails with that line as its reason and the others
still run (exit code 1).  Every message checked here is documented in the
README's table, and the tests check that too.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sfc_conformance.core.clock import SystemClock
from sfc_conformance.core.http import MAX_ANSWER_BYTES, ApiClient, BackgroundServer
from sfc_conformance.core.secrets import Secret
from tests.helpers import child_environment, in_child, refused, verdict_table

KEY = "k-hostile/Xy7+Q="  # changes under URL-encoding: its every form must stay out of the output
README = Path(__file__).resolve().parent.parent / "README.md"
ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MEGABYTE = 1024 * 1024


def app_answering(handler: Callable[[Request], Any]) -> Starlette:
    return Starlette(routes=[Route("/{path:path}", handler, methods=ANY)])


def refused_before_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path, base_url: str, says: str,
                         *extra: str) -> str:
    """Run against ``base_url``: exit 2, one line saying ``says`` (documented in the README), no report."""
    reports, junit = tmp_path / "reports", tmp_path / "junit.xml"
    line = refused(capsys, "run", "--base-url", base_url, "--api-key", KEY, "--report-dir", str(reports),
                   "--junitxml", str(junit), *extra)
    assert says in line, line
    assert KEY not in line and "Xy7" not in line
    assert not reports.exists(), "a run that stopped before any rule left a report folder"
    assert not junit.exists(), "a run that stopped before any rule left a JUnit file"
    assert says in README.read_text(encoding="utf-8"), f"the message {says!r} is not in the README's table"
    return line


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry pauses of the run's clock, recorded instead of slept: no wall-clock wait in a test."""
    seen: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: seen.append(seconds))
    return seen


class RawServer:
    """A TCP server on 127.0.0.1 that answers each connection with ``respond(connection)`` in a thread."""

    def __init__(self, respond: Callable[[socket.socket], None], backlog: int = 8) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(backlog)
        self.port: int = self._listener.getsockname()[1]
        self._respond = respond
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed: the test is over
            with connection:
                try:
                    self._respond(connection)
                except OSError:
                    pass  # the client gave up first: that is the point of several cases

    def close(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        self._listener.close()
        self._thread.join(timeout=5)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    started: list[RawServer] = []

    def start(respond: Callable[[socket.socket], None]) -> RawServer:
        started.append(RawServer(respond))
        return started[-1]

    yield start
    for server in started:
        server.close()


def _read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return
        data += chunk


# -- no connection --------------------------------------------------------------


def test_connection_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, closed_port: int) -> None:
    line = refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{closed_port}", "cannot reach")
    assert f"127.0.0.1:{closed_port}" in line
    assert "Connection refused" in line
    assert "check the base URL and that the target is running" in line


def test_host_name_that_does_not_resolve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # .invalid is reserved (RFC 2606): it never resolves, and no query leaves the machine for it.
    line = refused_before_rules(capsys, tmp_path, "http://no-such-host.invalid", "cannot resolve the host")
    assert "'no-such-host.invalid'" in line
    assert "check the base URL" in line


def test_connect_timeout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A port whose accept queue is full: the handshake is never answered, as behind a dropping firewall."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            line = refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{port}", "could not connect to",
                                        "--connect-timeout", "0.3")
        finally:
            for filler in fillers:
                filler.close()
    assert f"could not connect to 127.0.0.1:{port} within 0.3 s" in line


# -- TLS ---------------------------------------------------------------------------


@pytest.fixture
def json_404_app() -> Starlette:
    async def not_found(request: Request) -> JSONResponse:
        return JSONResponse({"statusCode": 404, "error": "Company not found"}, status_code=404)

    return app_answering(not_found)


def test_https_to_a_plain_http_server(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      serve_asgi: Callable[[Any], str], json_404_app: Starlette) -> None:
    base_url = serve_asgi(json_404_app).replace("http://", "https://")
    line = refused_before_rules(capsys, tmp_path, base_url, "TLS handshake with")
    assert "does it speak https?" in line


@pytest.fixture
def tls_server(raw_server: Callable[[Callable[[socket.socket], None]], RawServer]) -> tuple[int, trustme.CA]:
    """HTTPS on 127.0.0.1 with a certificate from a CA nobody trusts; answers a JSON 404."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)

    def respond(connection: socket.socket) -> None:
        try:
            tls = context.wrap_socket(connection, server_side=True)
        except ssl.SSLError:
            return  # the client refused the certificate
        with tls:
            _read_request(tls)
            body = b'{"statusCode": 404, "error": "Company not found"}'
            tls.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    return raw_server(respond).port, authority


def test_untrusted_certificate(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               tls_server: tuple[int, trustme.CA]) -> None:
    port, _ = tls_server
    line = refused_before_rules(capsys, tmp_path, f"https://127.0.0.1:{port}", "its certificate is not trusted")
    assert f"TLS with 127.0.0.1:{port} failed" in line
    assert "SSL_CERT_FILE" in line


def test_the_advice_for_an_untrusted_certificate_works(tls_server: tuple[int, trustme.CA],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    port, authority = tls_server
    with authority.cert_pem.tempfile() as bundle:
        monkeypatch.setenv("SSL_CERT_FILE", bundle)
        client = ApiClient(f"https://127.0.0.1:{port}", Secret(KEY), retries=0)
        try:
            answer = client.request("GET", "/companies/x")
        finally:
            client.close()
    assert answer.status_code == 404
    assert client.json(answer) == {"statusCode": 404, "error": "Company not found"}


# -- answers that are not the API's ------------------------------------------------------


def test_html_instead_of_json(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              serve_asgi: Callable[[Any], str]) -> None:
    async def sign_in(request: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html><html><body><h1>Please sign in</h1></body></html>")

    line = refused_before_rules(capsys, tmp_path, serve_asgi(app_answering(sign_in)), "not JSON")
    assert "answered 200 with text/html; charset=utf-8, not JSON: '<!doctype html>" in line


def test_truncated_json(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                        serve_asgi: Callable[[Any], str]) -> None:
    async def half(request: Request) -> Response:
        return Response('{"statusCode": 404, "err', status_code=404, media_type="application/json")

    line = refused_before_rules(capsys, tmp_path, serve_asgi(app_answering(half)), "does not parse as JSON")
    assert "answered 404 with application/json that does not parse as JSON (cut short?)" in line


def test_answer_cut_short(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                          raw_server: Callable[[Callable[[socket.socket], None]], RawServer]) -> None:
    def promise_more(connection: socket.socket) -> None:
        _read_request(connection)
        connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1000\r\n\r\n{\"statusCode\": 404, ")

    port = raw_server(promise_more).port
    line = refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{port}", "the answer was cut short")
    assert "expected 1000" in line


def test_a_port_that_does_not_speak_http(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         raw_server: Callable[[Callable[[socket.socket], None]], RawServer]) -> None:
    def ssh_banner(connection: socket.socket) -> None:
        connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        _read_request(connection)

    port = raw_server(ssh_banner).port
    line = refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{port}", "did not answer in HTTP")
    assert "check the base URL and its port" in line


# -- slow, limited, failing --------------------------------------------------------------


@pytest.fixture
def hanging_target(serve_asgi: Callable[[Any], str]) -> Iterator[str]:
    """Accepts, then answers nothing until the test is over."""
    released = threading.Event()

    async def stall(request: Request) -> JSONResponse:
        while not released.is_set():
            await asyncio.sleep(0.01)
        return JSONResponse({}, status_code=404)

    yield serve_asgi(app_answering(stall))
    released.set()


def test_answer_timeout(capsys: pytest.CaptureFixture[str], tmp_path: Path, hanging_target: str) -> None:
    line = refused_before_rules(capsys, tmp_path, hanging_target, "got no answer within", "--timeout", "0.4")
    assert "got no answer within 0.4 s (ReadTimeout); the target is slow or stuck" in line


class Counted:
    """A target app that counts the requests it answers."""

    def __init__(self, handler: Callable[[Request], Any]) -> None:
        self.seen = 0
        self._handler = handler
        self.app = app_answering(self._count)

    async def _count(self, request: Request) -> Any:
        self.seen += 1
        return await self._handler(request)


@pytest.mark.parametrize(("headers", "expected_pauses", "says"), [
    ({"Retry-After": "7"}, [7.0, 7.0, 7.0], "last asking to wait 7 s (Retry-After)"),
    ({"Retry-After": "86400"}, [60.0, 60.0, 60.0], "last asking to wait 86400 s (Retry-After)"),  # capped pause
    ({}, [0.5, 0.75, 1.125], "without Retry-After"),  # Codat's SDKs' backoff
], ids=["retry-after", "retry-after-capped", "no-retry-after"])
def test_rate_limited_to_every_try(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   serve_asgi: Callable[[Any], str], pauses: list[float],
                                   headers: dict[str, str], expected_pauses: list[float], says: str) -> None:
    async def too_many(request: Request) -> JSONResponse:
        return JSONResponse({"statusCode": 429, "error": "Too many requests"}, status_code=429, headers=headers)

    target = Counted(too_many)
    line = refused_before_rules(capsys, tmp_path, serve_asgi(target.app), "429 Too Many Requests")
    assert says in line
    assert "it is rate-limiting this key: run again later" in line
    assert target.seen == 4  # the first try and three retries
    assert pauses == expected_pauses


def test_rate_limited_once_then_served(serve_asgi: Callable[[Any], str]) -> None:
    """A flaky proxy's single 429 is waited out (Retry-After honoured), not reported."""
    async def once(request: Request) -> JSONResponse:
        if target.seen == 1:
            return JSONResponse({"statusCode": 429, "error": "slow down"}, status_code=429,
                                headers={"Retry-After": "3"})
        return JSONResponse({"statusCode": 404, "error": "Company not found"}, status_code=404)

    target = Counted(once)
    waited: list[float] = []
    client = ApiClient(serve_asgi(target.app), Secret(KEY), sleep=waited.append)
    try:
        answer = client.request("GET", "/companies/x")
    finally:
        client.close()
    assert answer.status_code == 404
    assert waited == [3.0]
    assert [e.status for e in client.exchanges] == [429, 404]


def test_failing_target(capsys: pytest.CaptureFixture[str], tmp_path: Path, serve_asgi: Callable[[Any], str],
                        pauses: list[float]) -> None:
    async def broken(request: Request) -> JSONResponse:
        return JSONResponse({"statusCode": 503, "error": "Service unavailable"}, status_code=503)

    target = Counted(broken)
    line = refused_before_rules(capsys, tmp_path, serve_asgi(target.app), "the target is failing")
    assert "answered 503 4 times" in line
    assert target.seen == 4
    assert pauses == [0.5, 0.75, 1.125]


# -- redirects ---------------------------------------------------------------------


def test_redirect_loop(capsys: pytest.CaptureFixture[str], tmp_path: Path, serve_asgi: Callable[[Any], str]) -> None:
    visits: list[str] = []

    async def around(request: Request) -> RedirectResponse:
        visits.append(request.headers.get("authorization", ""))
        following = {"/loop/a": "/loop/b", "/loop/b": "/loop/a"}.get(request.url.path, "/loop/a")
        return RedirectResponse(following, status_code=302)

    base_url = serve_asgi(app_answering(around))
    line = refused_before_rules(capsys, tmp_path, base_url, "redirects in a loop")
    assert re.search(r"/companies/[0-9a-f-]+ -> \S+/loop/a -> \S+/loop/b -> \S+/loop/a redirects in a loop", line)
    assert visits[0].startswith("Basic ") and not any(visits[1:]), "the key must not follow a redirect"


def test_redirect_to_another_host(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  serve_asgi: Callable[[Any], str]) -> None:
    async def moved(request: Request) -> RedirectResponse:
        return RedirectResponse(f"https://elsewhere.invalid{request.url.path}", status_code=301)

    line = refused_before_rules(capsys, tmp_path, serve_asgi(app_answering(moved)),
                                "the suite does not follow redirects of API calls")
    assert "answered 301, a redirect to https://elsewhere.invalid/companies/" in line


# -- too large -------------------------------------------------------------------------


class Fifty:
    """A 50 MB answer over a raw socket, a megabyte at a time; counts the bytes the client took."""

    def __init__(self, declare_length: bool) -> None:
        self.sent = 0
        self.declare_length = declare_length

    def respond(self, connection: socket.socket) -> None:
        _read_request(connection)
        length = f"Content-Length: {50 * MEGABYTE}\r\n" if self.declare_length else "Connection: close\r\n"
        connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n".encode())
        for _ in range(50):
            connection.sendall(b" " * MEGABYTE)  # raises once the client hangs up
            self.sent += MEGABYTE


@pytest.mark.parametrize(("declare_length", "says"), [
    (True, "answered 50 MB (Content-Length), more than the 16 MB the suite reads of one answer"),
    (False, "answered more than 16 MB; the suite reads no more of one answer"),
], ids=["content-length", "streamed"])
def test_fifty_megabyte_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               raw_server: Callable[[Callable[[socket.socket], None]], RawServer],
                               declare_length: bool, says: str) -> None:
    assert MAX_ANSWER_BYTES == 16 * MEGABYTE
    huge = Fifty(declare_length)
    port = raw_server(huge.respond).port
    refused_before_rules(capsys, tmp_path, f"http://127.0.0.1:{port}", says)
    # What the client took, plus what the two sockets' buffers held when it hung up: far from 50 MB.
    assert huge.sent < 40 * MEGABYTE, f"the client took {huge.sent / MEGABYTE:g} MB"


# -- after the rules began: the affected rule fails, the rest still run ---------------------------------


async def _fifty_megabytes() -> AsyncIterator[bytes]:
    for _ in range(50):
        yield b" " * MEGABYTE


class BreakSyncRequests:
    """The served sandbox, except that requesting a sync (DEL-2's step) misbehaves one way."""

    def __init__(self, sandbox: ASGIApp, how: str) -> None:
        self.sandbox = sandbox
        self.how = how
        self.released = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not re.fullmatch(r"/companies/[^/]+/sync/commerce/latest", path):
            await self.sandbox(scope, receive, send)
            return
        if self.how == "hang":
            while not self.released.is_set():
                await asyncio.sleep(0.01)
        answers: dict[str, Response] = {
            "hang": JSONResponse({}),
            "html": HTMLResponse("<html><body>502 Bad Gateway</body></html>"),
            "huge": StreamingResponse(_fifty_megabytes(), media_type="application/json"),
            "redirect": RedirectResponse(path, status_code=307),
        }
        await answers[self.how](scope, receive, send)


@pytest.mark.release  # a live run each
@pytest.mark.parametrize(("how", "says"), [
    ("hang", "got no answer within 1 s"),
    ("html", "not JSON"),
    ("huge", "answered more than 16 MB"),
    ("redirect", "expected 200, the target answered 307"),
])
def test_a_rule_meets_a_misbehaving_answer(how: str, says: str, tmp_path: Path) -> None:
    from sfc_conformance.sandbox import serve

    sandbox = serve.build(KEY, None, ())
    broken = BreakSyncRequests(sandbox.app, how)
    try:
        with BackgroundServer(broken) as server:
            done = in_child("run", "--base-url", server.url, "--timeout", "1", "--tags", "DEL-2 or URL-1",
                            "--report-dir", str(tmp_path / "reports"), env=child_environment(SFC_API_KEY=KEY))
            broken.released.set()
    finally:
        sandbox.close()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    rules = verdict_table(done.stdout)
    assert rules["DEL-2"].verdict == "FAIL", done.stdout[-3000:]
    assert rules["URL-1"].verdict == "pass", "the other rules must still run"
    saw = [line for line in done.stdout.splitlines() if line.strip().startswith("saw:")]
    assert saw and says in saw[0], saw
    assert "Traceback" not in output
    assert KEY not in output
    assert says in (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
