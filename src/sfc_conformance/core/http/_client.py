"""The one HTTP client the suite and its tools speak through.

* Auth: ``Authorization: Basic base64(api key)`` (the key alone, not user:password).
* Retries 408, 429 and 5xx with capped exponential backoff, as Codat's SDKs do,
  and honours ``Retry-After`` (API-6); the pause goes through the injected
  ``sleep`` so the embedded target pauses on its manual clock, not the wall.
* Waits at most ``connect_timeout`` for a connection and ``timeout`` for an answer,
  and reads at most ``max_answer_bytes`` of one answer: a hostile or misconfigured
  target costs a one-line error, never a hung run or a full memory.
* Never follows redirects: an API call that answers 3xx is itself the finding.
* Records every exchange, redacted, so a failed rule can show the request and
  the answer that broke it without ever showing the key (KEY-2).
"""

from __future__ import annotations

import base64
import collections
import json
import shlex
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.errors import (
    AnswerCutShort,
    AnswerTimedOut,
    AnswerTooLarge,
    KeyRefused,
    NotJson,
    TargetTimedOut,
    TargetUnreachable,
)
from sfc_conformance.core.http._tls import tls_context
from sfc_conformance.core.secrets import Secret, redact

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_SHOWN_BODY = 2000
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a page of 5000 connections is a few MB; a stray download is not an answer


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, with secrets masked."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    response_headers: dict[str, str]
    response_body: str

    def as_curl(self) -> str:
        parts = ["curl", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            # The headers that make the request what it is: the key (masked), the body's type, a webhook's signature.
            if name.lower() in ("authorization", "content-type") or name.lower().startswith("webhook-"):
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body:
            parts += ["--data", shlex.quote(self.request_body)]
        return " ".join(parts)

    def describe(self) -> str:
        return (f"request:  {self.as_curl()}\n"
                f"answer:   {self.status} {self.response_body[:MAX_SHOWN_BODY]}")


def _shown(text: str) -> str:
    text = redact(text)
    return text if len(text) <= MAX_SHOWN_BODY else text[:MAX_SHOWN_BODY] + "…"


def exchange_of(response: httpx.Response) -> Exchange:
    """The request and answer of ``response``, secrets masked."""
    request = response.request
    headers = {k: ("Basic **********" if k.lower() == "authorization" else redact(v))
               for k, v in request.headers.items()}
    try:
        request_body = request.content.decode("utf-8", "replace")
    except httpx.RequestNotRead:
        request_body = "<stream>"
    return Exchange(
        method=request.method,
        url=redact(str(request.url)),
        request_headers=headers,
        request_body=_shown(request_body),
        status=response.status_code,
        response_headers={k: redact(v) for k, v in response.headers.items()},
        response_body=_shown(response.text),
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def auth_header(api_key: Secret) -> str:
    return "Basic " + base64.b64encode(api_key.reveal().encode()).decode()


def _megabytes(count: int) -> str:
    return f"{count / 1024 / 1024:g} MB"


class _CappedBody(httpx.SyncByteStream):
    """An answer's body that stops being read once it passes the limit."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int, what: str) -> None:
        self._inner = inner
        self._limit = limit
        self._what = what

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for chunk in self._inner:
            read += len(chunk)
            if read > self._limit:
                raise AnswerTooLarge(f"{self._what} answered more than {_megabytes(self._limit)}; the suite reads "
                                     "no more of one answer: is the base URL a file server or a download?")
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _cap_answer(limit: int) -> Callable[[httpx.Response], None]:
    """A response hook, run before any other: refuse answers above ``limit`` bytes.

    By their Content-Length up front, else while they stream in; every later
    reader of the body (the client, the observations hook) gets the same
    refusal, and none can read a 50 MB answer whole.  (A hook rather than a
    transport keeps httpx's own transport, proxies from the environment included.)
    """

    def cap(response: httpx.Response) -> None:
        request = response.request
        what = f"{request.method} {redact(str(request.url))}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise AnswerTooLarge(f"{what} answered {_megabytes(int(declared))} (Content-Length), more than the "
                                 f"{_megabytes(limit)} the suite reads of one answer: "
                                 "is the base URL a file server or a download?")
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _CappedBody(response.stream, limit, what)

    return cap


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _unreachable(method: str, url: str, exc: httpx.TransportError) -> TargetUnreachable:
    """Name the likely cause: the name, TLS, or nothing listening."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return TargetUnreachable(f"cannot resolve the host {urlsplit(url).hostname!r} of {url} "
                                     f"({_first_line(cause)}); check the base URL")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TargetUnreachable(f"TLS with {_host(url)} failed: {cause.verify_message or _first_line(cause)}; "
                                     "its certificate is not trusted here (self-signed or a private CA? "
                                     "point SSL_CERT_FILE at the CA bundle)")
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or _first_line(cause)
            return TargetUnreachable(f"TLS handshake with {_host(url)} failed ({reason}); does it speak https? "
                                     "check the scheme of the base URL")
    return TargetUnreachable(f"cannot reach {url}: {redact(_first_line(exc))}; "
                             "check the base URL and that the target is running")


class ApiClient:
    def __init__(self, base_url: str, api_key: Secret, *, timeout: float = 15.0, connect_timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep, retries: int = 3, max_backoff: float = 8.0,
                 max_retry_after: float = 60.0, keep: int = 200, max_answer_bytes: int = MAX_ANSWER_BYTES) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sleep = sleep
        self.retries = retries
        # The answers worth another try; the contract fuzzer, which hunts 5xx, keeps only 408 and 429.
        self.retry_statuses: frozenset[int] = frozenset(RETRY_STATUSES)
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._answers: collections.deque[httpx.Response] = collections.deque(maxlen=keep)
        connect = timeout if connect_timeout is None else connect_timeout
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=connect), follow_redirects=False,
                                 event_hooks={"response": [_cap_answer(max_answer_bytes)]}, verify=tls_context())

    def close(self) -> None:
        self.http.close()

    @property
    def exchanges(self) -> list[Exchange]:
        """The last ``keep`` requests and their answers, secrets masked: worked out when asked for, not per call."""
        return [exchange_of(response) for response in self._answers]

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def request(self, method: str, path: str, *, json_body: Any = None, content: bytes | None = None,
                params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                authenticated: bool = True, retry: bool = True) -> httpx.Response:
        sent_headers = {"Accept": "application/json"}
        if authenticated:
            sent_headers["Authorization"] = auth_header(self.api_key)
        if json_body is not None:
            sent_headers["Content-Type"] = "application/json"
            content = json.dumps(json_body).encode()
        sent_headers.update(headers or {})
        attempt = 0
        while True:
            response = self._send(method, self.url(path), content, params, sent_headers)
            self._answers.append(response)
            if not retry or response.status_code not in self.retry_statuses or attempt >= self.retries:
                return response
            self.sleep(self._pause(response, attempt))
            attempt += 1

    def _pause(self, response: httpx.Response, attempt: int) -> float:
        hinted = retry_after_seconds(response)
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        return min(0.5 * 1.5**attempt, self.max_backoff)

    def _send(self, method: str, url: str, content: bytes | None, params: dict[str, Any] | None,
              headers: dict[str, str]) -> httpx.Response:
        shown = redact(url)
        try:
            return self.http.request(method, url, content=content, params=params, headers=headers)
        except httpx.ConnectTimeout:
            raise TargetTimedOut(f"could not connect to {_host(shown)} within {self.http.timeout.connect:g} s "
                                 "(ConnectTimeout); nothing accepts connections there in time: "
                                 "a firewall, a wrong port, or an overloaded target") from None
        except httpx.TimeoutException as exc:
            raise AnswerTimedOut(f"{method} {shown} got no answer within {self.http.timeout.read:g} s "
                                 f"({type(exc).__name__}); the target is slow or stuck") from None
        except httpx.RemoteProtocolError as exc:
            reason = redact(_first_line(exc))
            if "incomplete" in reason or "complete message body" in reason:
                raise AnswerCutShort(f"{method} {shown}: the answer was cut short ({reason}); "
                                     "the target or a proxy broke the connection mid-answer") from None
            raise AnswerCutShort(f"{method} {shown}: the target did not answer in HTTP ({reason}); "
                                 "check the base URL and its port") from None
        except httpx.TransportError as exc:
            raise _unreachable(method, shown, exc) from None

    def json(self, response: httpx.Response) -> Any:
        """The answer's JSON, or a one-line :class:`NotJson`."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            start = " ".join(redact(response.text)[:60].split())  # redact first: a cut key is still a key
            what = f"{response.request.method} {redact(str(response.request.url))} answered {response.status_code}"
            if "json" in kind.lower():
                raise NotJson(f"{what} with {kind} that does not parse as JSON (cut short?): {start!r}") from None
            raise NotJson(f"{what} with {kind}, not JSON: {start!r}") from None


def refuse_key(response: httpx.Response) -> None:
    """A 401 or 403 to a call made with the key: the key is refused (run's own words, one line)."""
    if response.status_code in (401, 403):
        request = response.request
        raise KeyRefused(f"the target refused the API key: {request.method} {redact(request.url.path)} answered "
                         f"{response.status_code}; check --api-key / SFC_API_KEY")


def answered(response: httpx.Response) -> str:
    """``DELETE /path answered 503: the target's own error text``, one line, secrets masked."""
    request = response.request
    said = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        said = ": " + " ".join(body["error"].split())[:200]
    return redact(f"{request.method} {request.url.path} answered {response.status_code}{said}")
