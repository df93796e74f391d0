"""What the project's tests share beside the fixtures of tests/conftest.py: calling the command (in this
process or in a child), reading its verdict table, URLs' queries, and targets that answer errors."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from starlette.responses import JSONResponse

from sfc_conformance.commands import cli
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.secrets import Secret
from sfc_conformance.model import ModelBudget, ModelReport, run_model
from sfc_conformance.sandbox.embedded import EmbeddedTarget

# `run` calls pytest.main in its process, so a whole run in a test goes through a child process.
COMMAND = [sys.executable, "-m", "sfc_conformance"]
RUN_TIMEOUT = 300
ACCOUNT_KEY = "served-account-key"  # the API key of conftest's served_account
CONSUMER_SECRET = "whsec_" + "c2ZjLWNvbnN1bWVyLXRlc3RzLXNpZ25pbmcta2V5LTMy"  # base64 of a fixed 32-byte key


# -- the command ---------------------------------------------------------------------------------


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``sfc-conformance ARGV`` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, out: str, err: str) -> str:
    """The command stopped as documented for a usage error or a target it cannot use: exit 2, nothing on
    stdout, one line on stderr and no traceback.  That line."""
    assert code == 2, out + err
    assert out == "", out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sfc-conformance: "), err
    assert "Traceback" not in err
    return lines[0]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``sfc-conformance ARGV`` in this process, which must stop with :func:`one_line_error`; its line."""
    return one_line_error(*call(capsys, *argv))


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment without the developer's SFC_* settings, with ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SFC_")}, **extra}


def in_child(*argv: str, env: dict[str, str] | None = None,
             timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``sfc-conformance ARGV`` in a child process (its environment: :func:`child_environment` unless given)."""
    return subprocess.run([*COMMAND, *argv], capture_output=True, text=True, timeout=timeout, check=False,
                          env=child_environment() if env is None else env)


def live_environment(key: str = ACCOUNT_KEY) -> dict[str, str]:
    """A child's environment for a live target: the key where the README advises it, output as it comes."""
    return child_environment(SFC_API_KEY=key, PYTHONUNBUFFERED="1")


def live_run(base_url: str, *argv: str, key: str = ACCOUNT_KEY) -> subprocess.CompletedProcess[str]:
    """``sfc-conformance run --base-url BASE_URL ARGV`` in a child process (:func:`live_environment`); the key
    appears in none of its output."""
    done = in_child("run", "--base-url", base_url, *argv, env=live_environment(key))
    assert key not in done.stdout + done.stderr
    return done


# -- what the command prints ---------------------------------------------------------------------


class Row(NamedTuple):
    """One rule's row of the verdict table."""

    level: str
    verdict: str
    scenarios: str  # passed/run
    note: str

    @property
    def outcome(self) -> tuple[str, str]:
        """(verdict, scenarios passed/run)."""
        return self.verdict, self.scenarios


ROW = re.compile(r"^([A-Z]+-\d+) +(MUST|SHOULD) +(pass|FAIL|warn|n/a|not run) +(\d+/\d+) *(.*)$", re.M)
# The end of a live run: what it created on the target, and what became of it.
SUMMARY = re.compile(r"^(companies|subscriptions): +created (\d+), deleted (\d+), left (\d+)$", re.M)


def verdict_table(output: str) -> dict[str, Row]:
    """Rule id -> its row, from the verdict table in a run's (or the consumer check's) output."""
    return {rule: Row(*rest) for rule, *rest in ROW.findall(output)}


def created_summary(output: str) -> dict[str, tuple[int, int, int]]:
    """kind -> (created, deleted, left), from a live run's account of what it created."""
    return {kind: (int(c), int(d), int(left)) for kind, c, d, left in SUMMARY.findall(output)}


# -- URLs and HTTP -------------------------------------------------------------------------------


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with these query parameters set; those given None removed."""
    parts = urlsplit(url)
    kept = {k: v for k, v in {**query(url), **changes}.items() if v is not None}
    return urlunsplit(parts._replace(query=urlencode(kept)))


def basic_auth(api_key: str) -> str:
    """The Authorization header of ``api_key``, as Codat takes it (the key alone, base64)."""
    return "Basic " + base64.b64encode(api_key.encode()).decode()


def authorized_client(base_url: str, api_key: str) -> httpx.Client:
    """A plain HTTP client of a served target, as an integrator's code would be: the key on every request."""
    return httpx.Client(base_url=base_url, headers={"Authorization": basic_auth(api_key)}, timeout=10)


def client_answered_by(handler: Callable[[httpx.Request], httpx.Response], api_key: str,
                       base_url: str = "http://target.test", **options: Any) -> ApiClient:
    """The suite's ApiClient (``options`` as it takes them), its requests answered by ``handler``: no network."""
    client = ApiClient(base_url, Secret(api_key), **options)
    client.http.close()
    client.http = httpx.Client(transport=httpx.MockTransport(handler))
    return client


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on, free for whoever binds it next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def error_message(status: int, error: str) -> dict[str, Any]:
    """An ErrorMessage as Codat words it."""
    return {"statusCode": status, "service": "PublicApi", "error": error, "correlationId": "x",
            "canBeRetried": "False", "detailedErrorCode": 0}


def answering_errors(app: Any, status_for: Callable[[str, str], int | None], *, error: str = "Not this time.",
                     held: threading.Event | None = None) -> Any:
    """``app`` (an ASGI app), except that where ``status_for(method, path)`` gives a status it answers that
    ErrorMessage instead – once ``held`` is set, when one is given (a call that hangs until then)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            status = status_for(scope["method"], scope["path"])
            if status is not None:
                while held is not None and not held.is_set():
                    await asyncio.sleep(0.01)
                await JSONResponse(error_message(status, error), status_code=status)(scope, receive, send)
                return
        await app(scope, receive, send)

    return wrapped


# -- browsers ------------------------------------------------------------------------------------


def browser_or_skip() -> str:
    """The Chromium a test drives; without one the test skips, saying why – or fails where CI promised one
    (SFC_REQUIRE_BROWSER)."""
    from sfc_conformance.merchant.browser import BrowserUnavailable, find_browser

    try:
        return find_browser()
    except BrowserUnavailable as reason:
        if os.environ.get("SFC_REQUIRE_BROWSER"):
            pytest.fail(f"SFC_REQUIRE_BROWSER is set and there is no browser to drive: {reason}")
        pytest.skip(f"no browser to drive: {reason}")


def fake_executable(folder: Path, name: str) -> Path:
    """An executable file named ``name`` in ``folder`` that does nothing: what finding a browser sees."""
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def run_embedded(budget: ModelBudget, *names: str) -> ModelReport:
    """The model's run against the embedded sandbox with the faults and variants ``names``."""
    target = EmbeddedTarget(faults=names)
    target.start()
    client = target.client()
    try:
        return run_model(client, target.api_key, budget)
    finally:
        client.close()
        target.stop()
