"""The API key and the webhook secret never leave in any output, whatever the target echoes.

A live run goes against the served sandbox behind an echo proxy that puts
both secrets everywhere it can: response headers (as typed and base64), JSON
error bodies, and the flow URL's query (URL-encoded).  The sandbox also runs
with its ``api-key-echoed`` fault, so KEY-2 fails and the failure report
shows the very answers that carry the key.  Then every output is scanned:
stdout, stderr, the JUnit XML, the HTML report and anything else in the
report folder, for each secret as typed, base64-encoded and URL-encoded.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfc_conformance.core.account import generate_secret
from sfc_conformance.core.http import BackgroundServer
from sfc_conformance.core.secrets import Secret, redact
from sfc_conformance.sandbox import serve
from tests.helpers import child_environment, in_child, verdict_table

# Recognisable, and changed by URL-encoding ("/", "+", "=", " ") and by base64.
API_KEY = "sfc/Leak+Key=Zq7 Wm3"


def forms(secret: str) -> dict[str, str]:
    """The shapes a secret can take in output, computed here independently of the code under test."""
    found = {
        "as typed": secret,
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 of key:": base64.b64encode(f"{secret}:".encode()).decode(),
        "URL-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
    }
    if secret.startswith("whsec_"):
        found["key material"] = secret.removeprefix("whsec_")
    return found


class EchoProxy:
    """In front of the sandbox: echoes the API key and the webhook secret in every answer."""

    def __init__(self, sandbox: ASGIApp, api_key: str, webhook_secret: str) -> None:
        self.sandbox = sandbox
        self.api_key = api_key
        self.webhook_secret = webhook_secret

    def _rewrite(self, body: bytes) -> bytes:
        try:
            document = json.loads(body)
        except ValueError:
            return body
        if isinstance(document, dict):
            if isinstance(document.get("url"), str):  # the flow URL: the key, URL-encoded, in its query
                document["url"] += "&echo=" + quote(self.api_key, safe="")
            if isinstance(document.get("error"), str):
                document["error"] += f" (key {self.api_key}, form {quote_plus(self.api_key)}, {self.webhook_secret})"
        return json.dumps(document).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.sandbox(scope, receive, send)
            return
        start: Message = {}
        body = b""

        async def collect(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            body = self._rewrite(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers += [(b"content-length", str(len(body)).encode()),
                        (b"x-echo-key", self.api_key.encode()),
                        (b"x-echo-basic", base64.b64encode(self.api_key.encode())),
                        (b"x-echo-secret", self.webhook_secret.encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.sandbox(scope, receive, collect)


@pytest.fixture
def echoing_target() -> Iterator[tuple[str, str]]:
    """(base URL, webhook secret) of the echoing sandbox, served on 127.0.0.1."""
    webhook_secret = generate_secret()
    sandbox = serve.build(API_KEY, webhook_secret, ["api-key-echoed"])
    with BackgroundServer(EchoProxy(sandbox.app, API_KEY, webhook_secret)) as server:
        yield server.url, webhook_secret
    sandbox.close()


@pytest.mark.release
def test_no_secret_in_any_output(echoing_target: tuple[str, str], tmp_path: Path) -> None:
    base_url, webhook_secret = echoing_target
    reports, junit = tmp_path / "reports", tmp_path / "elsewhere" / "junit.xml"
    junit.parent.mkdir()
    # Every scenario but the expiry checks (they wait a real OTP window), verbose: the most output there is.
    done = in_child("run", "--base-url", base_url, "-v", "--tags", "not expired_otp", "--report-dir", str(reports),
                    "--junitxml", str(junit), timeout=600,
                    env=child_environment(SFC_API_KEY=API_KEY, SFC_WEBHOOK_SECRET=webhook_secret))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert verdict_table(done.stdout)["KEY-2"].verdict == "FAIL", "the echoed key must fail KEY-2"
    # The failure shows the answer whose flow URL carried the key URL-encoded: there, masked.
    assert "&echo=**********" in done.stdout, done.stdout[-3000:]

    outputs = {"stdout": done.stdout, "stderr": done.stderr}
    written = sorted(p for p in reports.rglob("*") if p.is_file()) + [junit]
    assert {p.name for p in written} == {"report.html", "junit.xml"}
    outputs.update({str(p): p.read_text(encoding="utf-8") for p in written})
    leaks = [f"{what} ({shape}) in {where}"
             for what, secret in (("API key", API_KEY), ("webhook secret", webhook_secret))
             for shape, value in forms(secret).items()
             for where, text in outputs.items() if value in text]
    assert not leaks, leaks


def test_redact_masks_every_shape() -> None:
    secret = "whsec_" + base64.b64encode(b"leak-test-signing-key").decode()
    Secret(API_KEY)
    Secret(secret)
    for what in (API_KEY, secret):
        for shape, value in forms(what).items():
            assert redact(f"<{value}>") == "<**********>", shape
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(API_KEY, safe=""))
    assert "%2f" in lower and redact(lower) == "**********"  # lower-case percent escapes too
