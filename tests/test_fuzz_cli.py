"""``sfc-conformance fuzz``: against the sandbox served on 127.0.0.1, clean and faulty; usage and target errors."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.sandbox import serve
from tests.helpers import COMMAND, call

KEY = "fuzz-cli-secret-key-8d1f"
KEY_FORMS = (KEY, base64.b64encode(KEY.encode()).decode())


@contextmanager
def served(*faults: str, wrap: Callable[[Any], Any] = lambda app: app) -> Iterator[str]:
    """The sandbox served over HTTP on 127.0.0.1 with real time and these faults; its base URL."""
    sandbox = serve.build(KEY, None, faults)
    try:
        with BackgroundServer(wrap(sandbox.app)) as server:
            yield server.url
    finally:
        sandbox.close()


def breaking_subscriptions(app: Any) -> Any:
    """The sandbox, except that every ``POST /webhooks`` breaks off mid-answer."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/webhooks" and scope["method"] == "POST":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
            raise RuntimeError("the connection breaks before the answer is complete")
        await app(scope, receive, send)

    return wrapped


def test_a_fault_found_over_http_exits_1_with_rule_and_masked_curl() -> None:
    """The installed command, in its own process, the key in the environment as the README advises."""
    with served("crash-on-bad-json") as url:
        done = subprocess.run([*COMMAND, "fuzz", "--base-url", url, "--max-examples", "1"],
                              capture_output=True, text=True, timeout=300,
                              env={**{k: v for k, v in os.environ.items() if not k.startswith("SFC_")},
                                   "SFC_API_KEY": KEY})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL API-5 (MUST) POST /companies: Server error" in done.stdout
    assert f"curl -X POST {url}/companies -H 'Authorization: Basic **********'" in done.stdout
    assert "failure(s) breaking API-5" in done.stdout.splitlines()[-1]
    for form in KEY_FORMS:
        assert form not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_clean_target_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with served() as url:
        code, out, err = call(capsys, "fuzz", "--base-url", url, "--api-key", KEY, "--max-examples", "1",
                              "--seed", "7")
    assert code == 0, out + err
    assert out.splitlines()[0].startswith(f"fuzzing {url} from our contract: 1 examples per operation and mode")
    assert out.splitlines()[-1].endswith("no failure found")
    assert "FAIL" not in out and not any(form in out + err for form in KEY_FORMS)


def test_a_request_left_unanswered_is_a_finding_not_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    with served(wrap=breaking_subscriptions) as url:
        code, out, err = call(capsys, "fuzz", "--base-url", url, "--api-key", KEY, "--max-examples", "1")
    assert code == 1, out + err
    assert "FAIL API-5 (MUST) POST /webhooks: No answer" in out and "  answer: none" in out
    assert f"curl -X POST {url}/webhooks -H 'Authorization: Basic **********'" in out
    assert out.splitlines()[-1].endswith("1 failure(s) breaking API-5")  # every other operation was fuzzed


def test_a_bad_key_is_an_error_before_fuzzing(capsys: pytest.CaptureFixture[str]) -> None:
    with served() as url:
        code, out, err = call(capsys, "fuzz", "--base-url", url, "--api-key", "not-the-key-5b2e")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "refused the API key" in err and "not-the-key-5b2e" not in err


def test_the_embedded_sandbox_with_a_fault(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "fuzz", "--sandbox-fault", "api-key-optional", "--max-examples", "1")
    assert code == 1
    assert "FAIL KEY-1 (MUST) POST /companies: A request with no Authorization header was not refused" in out


def test_a_should_rule_found_broken_warns_and_fails_only_a_strict_run(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("fuzz", "--sandbox-fault", "javascript-redirect-accepted", "--max-examples", "1")
    code, out, _ = call(capsys, *argv)
    assert code == 0, out
    assert "warn URL-5 (SHOULD) GET /config/sync/commerce/{commerceKey}/{accountingKey}/start: " in out
    assert out.splitlines()[-1].endswith("no failure found; 1 warning(s) under SHOULD rules URL-5")
    code, out, _ = call(capsys, *argv, "--strict")
    assert code == 1 and "warn URL-5 (SHOULD)" in out


@pytest.mark.parametrize(("argv", "says"), [
    (["--max-examples", "0"], "--max-examples 0 must be 1 or more"),
    (["--max-time", "0"], "--max-time 0 must be more than 0 seconds"),
    (["--commerce-key", "LQAI"], "--commerce-key 'LQAI' is not a platform key"),
    (["--base-url", "not-a-url", "--api-key", "k"], "--base-url 'not-a-url' is not an absolute http(s) URL"),
    (["--base-url", "http://127.0.0.1:9"], "fuzzing a target needs its API key: --api-key or SFC_API_KEY"),
    (["--base-url", "http://127.0.0.1:9", "--api-key", "k", "--sandbox-fault", "otp-reusable"],
     "--sandbox-fault applies to the embedded sandbox only"),
    (["--sandbox-fault", "no-such-fault"], "invalid choice: 'no-such-fault'"),
    (["--seed", "soon"], "invalid int value: 'soon'"),
])
def test_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                              says: str) -> None:
    code, out, err = call(capsys, "fuzz", *argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("sfc-conformance: ") and says in err, err


def test_an_unreachable_target(capsys: pytest.CaptureFixture[str], closed_port: int,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_API_KEY", KEY)
    code, out, err = call(capsys, "fuzz", "--base-url", f"http://127.0.0.1:{closed_port}")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "cannot reach" in err and KEY not in err


def test_a_target_that_answers_html(capsys: pytest.CaptureFixture[str],
                                    serve_asgi: Callable[[Any], str]) -> None:
    async def login(request: Request) -> HTMLResponse:
        return HTMLResponse("<html><body>Sign in</body></html>")

    url = serve_asgi(Starlette(routes=[Route("/{path:path}", login)]))
    code, out, err = call(capsys, "fuzz", "--base-url", url, "--api-key", KEY)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "not JSON" in err
