"""The ``sfc-conformance`` command: usage errors, live-target problems, runs, and the served sandbox."""

from __future__ import annotations

import asyncio
import base64
import queue
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sfc_conformance.commands import cli
from sfc_conformance.core.secrets import Secret
from tests.helpers import COMMAND, basic_auth, call, child_environment, in_child, refused, verdict_table

# -- usage errors -------------------------------------------------------------


@pytest.mark.parametrize(("argv", "says"), [
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["run", "--base-url", "not-a-url", "--api-key", "k"], "is not an absolute http(s) URL"),
    (["run", "--base-url", "http://127.0.0.1:9"], "needs an API key"),
    (["run", "--sandbox-fault", "no-such-fault"], "invalid choice: 'no-such-fault'"),
    (["run", "--sandbox-fault", "otp-reusable", "--base-url", "http://127.0.0.1:1", "--api-key", "k"],
     "--sandbox-fault applies to the embedded sandbox only"),
    (["run", "--sandbox-variant", "no-such-variant"], "invalid choice: 'no-such-variant'"),
    (["run", "--sandbox-variant", "unknown-fields", "--base-url", "http://127.0.0.1:1", "--api-key", "k"],
     "--sandbox-variant applies to the embedded sandbox only"),
    (["selftest", "--variant", "no-such-variant"], "invalid choice: 'no-such-variant'"),
    (["run", "--junitxml", "/nonexistent/dir/x.xml"], "cannot write --junitxml"),
    (["run", "--merchant-driver", "pages", "--base-url", "http://127.0.0.1:1", "--api-key", "k"],
     "--merchant-driver pages walks the embedded sandbox's pages"),
    (["run", "--fuzz-examples", "0"], "--fuzz-examples 0 must be 1 or more"),
    (["run", "--timeout", "soon"], "invalid float value"),
    (["sandbox", "--port", "70000"], "--port 70000 is not a port number"),
    (["sandbox", "--port", "-1"], "--port -1 is not a port number"),
    (["sandbox", "--fault", "no-such-fault"], "invalid choice: 'no-such-fault'"),
    (["sandbox", "--flow-style", "spa"], "invalid choice: 'spa'"),
    (["readiness"], "--company-id"),
    (["readiness", "--company-id", "c1"], "readiness needs --base-url and --api-key"),
    ([], "required: command"),
])
def test_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                              says: str) -> None:
    assert says in refused(capsys, *argv)


def test_usage_error_points_at_the_right_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, "no-such-command").endswith("(see sfc-conformance --help)")
    assert refused(capsys, "run", "--sandbox-fault", "nope").endswith("(see sfc-conformance run --help)")


def test_usage_error_from_the_installed_command_has_no_traceback() -> None:
    done = in_child("run", "--base-url", "not-a-url", "--api-key", "k")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["sfc-conformance: --base-url 'not-a-url' is not an absolute http(s) URL"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "--version")
    assert code == 0
    assert out.startswith("sfc-conformance ")


# -- the environment ----------------------------------------------------------


def test_base_url_and_key_come_from_the_environment(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, closed_port: int) -> None:
    monkeypatch.setenv("SFC_BASE_URL", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("SFC_API_KEY", "env-key-Pq8Lr2")
    line = refused(capsys, "run")
    assert "cannot reach" in line and f"127.0.0.1:{closed_port}" in line
    assert "env-key-Pq8Lr2" not in line


def test_base_url_from_the_environment_still_needs_a_key(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_BASE_URL", "http://127.0.0.1:9")
    assert "needs an API key" in refused(capsys, "run")


def test_base_url_from_the_environment_is_checked(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_BASE_URL", "ftp://example.test")
    monkeypatch.setenv("SFC_API_KEY", "k")
    assert "'ftp://example.test' is not an absolute http(s) URL" in refused(capsys, "run")


def test_run_options_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from sfc_conformance.commands.run import pytest_arguments
    from sfc_conformance.suite.options import given_by_args
    from sfc_conformance.suite.settings import OPTIONS, checked

    monkeypatch.setenv("SFC_BASE_URL", "http://target.test")
    monkeypatch.setenv("SFC_API_KEY", "env-key-Tz5Qm")
    monkeypatch.setenv("SFC_COMMERCE_KEY", "shop")
    monkeypatch.setenv("SFC_ACCOUNTING_KEY", "qhyg")
    args = cli.build_parser().parse_args(["run"])
    assert args.base_url == "http://target.test"
    settings = checked(given_by_args(args, OPTIONS.values()))
    assert (settings.live, settings.base_url, settings.commerce_key, settings.accounting_key) == (
        True, "http://target.test", "shop", "qhyg")
    assert settings.api_key == Secret("env-key-Tz5Qm")
    # The settings reach pytest inside the plugin object: none of them, the key least of all, in its argv.
    arguments = " ".join(pytest_arguments(args))
    assert "target.test" not in arguments and "env-key" not in arguments and "--sfc-" not in arguments


def test_readiness_and_sandbox_options_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFC_BASE_URL", "http://target.test")
    monkeypatch.setenv("SFC_API_KEY", "env-key")
    monkeypatch.setenv("SFC_WEBHOOK_SECRET", "whsec_env")
    readiness = cli.build_parser().parse_args(["readiness", "--company-id", "c1"])
    assert (readiness.base_url, readiness.api_key) == ("http://target.test", Secret("env-key"))
    sandbox = cli.build_parser().parse_args(["sandbox"])
    assert (sandbox.api_key, sandbox.webhook_secret) == (Secret("env-key"), Secret("whsec_env"))


def test_readiness_reads_base_url_and_key_from_the_environment(capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               closed_port: int) -> None:
    monkeypatch.setenv("SFC_BASE_URL", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("SFC_API_KEY", "env-key-Pq8Lr2")
    line = refused(capsys, "readiness", "--company-id", "c1")
    assert "cannot reach" in line
    assert "env-key-Pq8Lr2" not in line


# -- live target problems, before any rule --------------------------------------


def test_unreachable_target(capsys: pytest.CaptureFixture[str], closed_port: int) -> None:
    line = refused(capsys, "run", "--base-url", f"http://127.0.0.1:{closed_port}", "--api-key", "k-unreach")
    assert "cannot reach" in line
    assert "check the base URL" in line


def test_wrong_key(capsys: pytest.CaptureFixture[str], served_sandbox: tuple[str, str]) -> None:
    base_url, _ = served_sandbox
    line = refused(capsys, "run", "--base-url", base_url, "--api-key", "wrong-key-Hx4Nv")
    assert "refused the API key" in line
    assert "401" in line
    assert "wrong-key-Hx4Nv" not in line
    assert base64.b64encode(b"wrong-key-Hx4Nv").decode() not in line


@pytest.fixture
def html_target(serve_asgi: Callable[[Any], str]) -> str:
    """A target that answers every request with an HTML page (a login page, a proxy)."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html>\n<html><body><h1>Please sign in</h1></body></html>\n")

    app = Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
    return serve_asgi(app)


@pytest.fixture
def slow_target(serve_asgi: Callable[[Any], str]) -> Iterator[str]:
    """A target that answers nothing until the test is over."""
    released = threading.Event()

    async def stall(request: Request) -> HTMLResponse:
        for _ in range(2000):  # at most ~20 s, but released at teardown
            if released.is_set():
                break
            await asyncio.sleep(0.01)
        return HTMLResponse("too late")

    yield serve_asgi(Starlette(routes=[Route("/{path:path}", stall)]))
    released.set()


def test_non_json_target(capsys: pytest.CaptureFixture[str], html_target: str) -> None:
    line = refused(capsys, "run", "--base-url", html_target, "--api-key", "k-html-Tz5")
    assert "not JSON" in line
    assert "text/html" in line
    assert "k-html-Tz5" not in line


def test_slow_target(capsys: pytest.CaptureFixture[str], slow_target: str) -> None:
    line = refused(capsys, "run", "--base-url", slow_target, "--api-key", "k-slow-Wd2", "--timeout", "0.5")
    assert "got no answer within 0.5 s" in line
    assert "k-slow-Wd2" not in line


def test_readiness_against_a_non_json_target(capsys: pytest.CaptureFixture[str], html_target: str) -> None:
    assert "not JSON" in refused(capsys, "readiness", "--base-url", html_target, "--api-key", "k", "--company-id",
                                 "c1")


# -- whole runs -----------------------------------------------------------------


def test_embedded_run_prints_the_verdict() -> None:
    done = in_child("run", "--tags", "URL-1 or KEY-2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "sfc-conformance verdict (embedded target)" in done.stdout
    rows = verdict_table(done.stdout)
    assert (rows["URL-1"].level, rows["URL-1"].outcome) == ("MUST", ("pass", "2/2"))  # its scenario and the model
    assert (rows["KEY-2"].level, rows["KEY-2"].verdict) == ("MUST", "pass")
    assert rows["OTP-1"].verdict == "not run"
    assert "rules: 2 pass" in done.stdout
    assert "Traceback" not in done.stderr


def test_run_with_a_tag_that_names_nothing_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "run", "--tags", "URL-1 or NO-SUCH-RULE")
    assert line == "sfc-conformance: --tags 'URL-1 or NO-SUCH-RULE' names no rule or tag: NO-SUCH-RULE"


def test_run_with_tags_that_match_no_scenario_is_a_usage_error() -> None:
    done = in_child("run", "--tags", "URL-1 and KEY-1")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["sfc-conformance: no scenario matched --tags 'URL-1 and KEY-1'"]
    assert "Traceback" not in done.stdout


def test_live_run_keeps_the_key_out_of_every_output(served_sandbox: tuple[str, str], tmp_path: Path) -> None:
    base_url, api_key = served_sandbox
    report = tmp_path / "junit.xml"
    done = in_child("run", "--base-url", base_url, "--api-key", api_key, "--tags", "KEY-1 or URL-1",
                    "--junitxml", str(report))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "sfc-conformance verdict (live target)" in done.stdout
    junit = report.read_text(encoding="utf-8")
    encoded = base64.b64encode(api_key.encode()).decode()
    for name, text in (("stdout", done.stdout), ("stderr", done.stderr), ("junit", junit)):
        assert api_key not in text, f"the key leaked into {name}"
        assert encoded not in text, f"the key's base64 leaked into {name}"
    cases = ET.parse(report).getroot().iter("testcase")
    rules_by_case = [{p.get("value") for p in case.iter("property") if p.get("name") == "rule"} for case in cases]
    assert rules_by_case
    assert all(rules and rules <= {"KEY-1", "URL-1"} for rules in rules_by_case)
    assert set().union(*rules_by_case) == {"KEY-1", "URL-1"}


# -- the served sandbox -------------------------------------------------------


def _lines(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@pytest.mark.parametrize("style", ["pages", "app"])
def test_sandbox_command_serves_and_stops_on_sigint(style: str) -> None:
    key = "sandbox-cli-key-Jm6"
    seen: list[str] = []
    out: queue.Queue[str | None] = queue.Queue()
    with subprocess.Popen([*COMMAND, "sandbox", "--port", "0", "--api-key", key, "--flow-style", style],
                          stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=child_environment()) as process:
        reader = threading.Thread(target=_lines, args=(process.stdout, out), daemon=True)
        reader.start()
        try:
            base_url = None
            deadline = time.monotonic() + 60
            while base_url is None:
                line = out.get(timeout=max(0.0, deadline - time.monotonic()))
                assert line is not None, f"the sandbox ended before printing its URL: {''.join(seen)}"
                seen.append(line)
                if "base URL:" in line:
                    base_url = line.split("base URL:")[1].strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert key not in "".join(seen)

            start = f"{base_url}/config/sync/commerce/lqai/gbol/start"
            with httpx.Client(timeout=10) as http:
                ok = http.get(start, params={"merchantIdentifier": "merchant-1"},
                              headers={"Authorization": basic_auth(key)})
                assert ok.status_code == 200, ok.text
                assert ok.json()["url"].startswith(base_url + "/")
                document = http.get(ok.json()["url"])
                assert document.status_code == 200  # a fresh flow URL opens in either style
                assert ("<main id=app>" in document.text) is (style == "app")
                unauthenticated = http.get(start, params={"merchantIdentifier": "merchant-1"})
                assert unauthenticated.status_code == 401
                assert unauthenticated.headers["content-type"].startswith("application/json")
                body = unauthenticated.json()
                assert body["statusCode"] == 401
                assert isinstance(body["error"], str) and body["error"]
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        reader.join(timeout=10)
        stderr = process.stderr.read() if process.stderr else ""
    while (line := out.get_nowait()) is not None:
        seen.append(line)
    assert code == 0, stderr
    assert "sandbox stopped" in "".join(seen)
    assert ("flow:     app style" in "".join(seen)) is (style == "app")
    assert "Traceback" not in stderr
