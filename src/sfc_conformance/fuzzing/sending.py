"""Sending generated requests through the project's one client, and showing them again.

Every request goes through :class:`~sfc_conformance.core.http.ApiClient`: its
authentication, its timeouts and its retries of 408 and 429 with
``Retry-After`` (a 5xx is what the fuzzer hunts, so it is not retried).
Answers come back as schemathesis responses, so schemathesis' checks and ours
judge them; each carries a ``curl`` command that replays it with the key masked.
"""

from __future__ import annotations

import base64
import enum
import json
import shlex
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import requests
import schemathesis

from sfc_conformance.core.errors import TargetError, TargetTimedOut
from sfc_conformance.core.http import ApiClient, auth_header
from sfc_conformance.core.secrets import redact
from sfc_conformance.fuzzing.budget import Budget
from sfc_conformance.fuzzing.cases import outgoing

# Retried by the client: the target asks us to slow down or to come back (Retry-After honoured).
FUZZ_RETRY_STATUSES = frozenset({408, 429})
# Not a secret: the key the KEY-1 probes send in place of the real one.
WRONG_KEY = "sfc-conformance-wrong-key"
SHOWN_BODY = 4000


class Credentials(enum.Enum):
    """What a request carries in ``Authorization``; everything but KEY must be refused (KEY-1)."""

    KEY = "the API key"
    MISSING = "no Authorization header"
    WRONG = "a wrong key"
    BEARER = "the API key as a Bearer token"


PROBES = (Credentials.MISSING, Credentials.WRONG, Credentials.BEARER)


def credentials_sent(authorization: str | None) -> Credentials:
    """Which :class:`Credentials` an ``Authorization`` header value stands for."""
    if not authorization:
        return Credentials.MISSING
    if authorization.startswith("Bearer "):
        return Credentials.BEARER
    if authorization == "Basic " + base64.b64encode(WRONG_KEY.encode()).decode():
        return Credentials.WRONG
    return Credentials.KEY


@dataclass(frozen=True)
class Sent:
    response: schemathesis.Response
    curl: str


class OutOfBudget(Exception):
    """The run must stop (its time is up, or the target stopped answering): nothing more is sent."""


class Unanswered(Exception):
    """The target, alive, gave this one request no answer: twice the connection broke or the time ran out.

    ``timed_out``: the time ran out, which a busy machine can cause as well as a stuck target."""

    def __init__(self, reason: str, curl: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.curl = curl
        self.timed_out = timed_out


class Sender:
    def __init__(self, client: ApiClient, budget: Budget) -> None:
        self.client = client
        self.budget = budget
        self.count = 0
        self.succeeded: set[str] = set()  # operations that answered a generated request with a 2xx
        self.target_error: TargetError | None = None
        client.retry_statuses = FUZZ_RETRY_STATUSES

    def send_case(self, case: Any, credentials: Credentials = Credentials.KEY) -> Sent:
        """Send a generated case; raises :class:`OutOfBudget` when the run must stop."""
        request = outgoing(case)
        sent = self.send(request.method, request.url, params=request.params, headers=request.headers,
                         json_body=request.json_body, content=request.content, credentials=credentials)
        if sent.response.status_code < 300:
            self.succeeded.add(case.operation.label)
        return sent

    def send(self, method: str, url: str, *, params: Any = None, headers: dict[str, str] | None = None,
             json_body: Any = None, content: bytes | None = None,
             credentials: Credentials = Credentials.KEY) -> Sent:
        if self.target_error is not None or self.budget.spent():
            raise OutOfBudget
        headers = dict(headers or {})
        if credentials is Credentials.WRONG:
            headers["Authorization"] = "Basic " + base64.b64encode(WRONG_KEY.encode()).decode()
        elif credentials is Credentials.BEARER:
            headers["Authorization"] = "Bearer " + self.client.api_key.reveal()

        def request() -> httpx.Response:
            return self.client.request(method, url, params=params, headers=headers, json_body=json_body,
                                       content=content, authenticated=credentials is Credentials.KEY)

        self.count += 1
        try:
            answer = request()
        except TargetError:
            # A server that fails hard may close a kept-alive connection after its answer, and the next
            # request on it breaks: like browsers and curl, send it once more, on a fresh connection.
            try:
                answer = request()
            except TargetError as exc:
                if not self._answers():  # the target is gone: a target problem (exit 2), not a finding
                    self.target_error = exc
                    raise OutOfBudget from None
                raise Unanswered(str(exc), curl(self._as_sent(method, url, params, headers, json_body, content,
                                                          credentials)),
                                 timed_out=isinstance(exc, TargetTimedOut)) from None
        return Sent(as_schemathesis_response(answer), curl(answer.request))

    def _as_sent(self, method: str, url: str, params: Any, headers: dict[str, str], json_body: Any,
                 content: bytes | None, credentials: Credentials) -> httpx.Request:
        """The request as the client sends it, for showing one that got no answer."""
        shown = dict(headers)
        if credentials is Credentials.KEY:
            shown["Authorization"] = auth_header(self.client.api_key)
        if json_body is not None:
            shown.setdefault("Content-Type", "application/json")
            content = json.dumps(json_body).encode()
        return self.client.http.build_request(method, self.client.url(url), params=params, headers=shown,
                                              content=content)

    def _answers(self) -> bool:
        """Whether the target still answers at all: a request for a company that cannot exist."""
        try:
            self.client.request("GET", f"/companies/{uuid.uuid4()}", retry=False)
        except TargetError:
            return False
        return True


def as_schemathesis_response(answer: httpx.Response) -> schemathesis.Response:
    """The answer as schemathesis' checks read it, with the request exactly as it was sent."""
    sent = answer.request
    request = requests.Request(sent.method, str(sent.url), headers=dict(sent.headers), data=sent.content).prepare()
    return schemathesis.Response(
        status_code=answer.status_code,
        headers={name: answer.headers.get_list(name) for name in answer.headers.keys()},  # noqa: SIM118
        content=answer.content,
        request=request,
        elapsed=answer.elapsed.total_seconds(),
        message=answer.reason_phrase,
        encoding=answer.encoding,
        http_version=answer.http_version.removeprefix("HTTP/"),
        verify=True,
    )


def curl(request: httpx.Request) -> str:
    """A ``curl`` command that sends ``request`` again, every secret masked.

    Unlike the client's own records it keeps a wrong or Bearer ``Authorization``
    visible (masked where it holds the key): which credentials were sent is the
    point of a KEY-1 finding.  A body that is not UTF-8 is piped in byte for byte.
    """
    command = ["curl", "-X", request.method, shlex.quote(redact(str(request.url)))]
    for name in ("authorization", "content-type"):
        if name in request.headers:
            command += ["-H", shlex.quote(redact(f"{name.title()}: {request.headers[name]}"))]
    raw = request.content[:SHOWN_BODY]
    cut = f" # body cut: {len(request.content)} bytes were sent" if len(request.content) > SHOWN_BODY else ""
    if not raw:
        return " ".join(command)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raw = redact(raw.decode("latin-1")).encode("latin-1")  # masked before escaping, where it still reads as text
        escaped = "".join(chr(b) if 32 <= b < 127 and chr(b) not in "\\'%" else f"\\{b:04o}" for b in raw)
        return f"printf %b '{escaped}' | " + " ".join([*command, "--data-binary", "@-"]) + cut
    return " ".join([*command, "--data-raw", shlex.quote(redact(text))]) + cut
