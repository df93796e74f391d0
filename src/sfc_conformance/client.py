"""The one HTTP client the suite and its tools speak through.

* Auth: ``Authorization: Basic base64(api key)`` (the key alone, not user:password).
* Retries 408, 429 and 5xx with capped exponential backoff, as Codat's SDKs do,
  and honours ``Retry-After`` (API-6); the pause goes through the injected
  ``sleep`` so the embedded target pauses on its manual clock, not the wall.
* Records every exchange, redacted, so a failed rule can show the request and
  the answer that broke it without ever showing the key (KEY-2).
"""

from __future__ import annotations

import base64
import collections
import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import NotJson, TargetTimedOut, TargetUnreachable
from .secrets import Secret, redact

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_SHOWN_BODY = 2000


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
            if name.lower() in ("authorization", "content-type"):
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


def _record(response: httpx.Response) -> Exchange:
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


class ApiClient:
    def __init__(self, base_url: str, api_key: Secret, *, timeout: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep, retries: int = 3,
                 max_backoff: float = 8.0, max_retry_after: float = 60.0, keep: int = 200) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sleep = sleep
        self.retries = retries
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.exchanges: collections.deque[Exchange] = collections.deque(maxlen=keep)
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

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
            exchange = _record(response)
            self.exchanges.append(exchange)
            if not retry or response.status_code not in RETRY_STATUSES or attempt >= self.retries:
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
        try:
            return self.http.request(method, url, content=content, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise TargetTimedOut(f"{method} {redact(url)} got no answer within {self.http.timeout.read:g} s "
                                 f"({type(exc).__name__}); the target is slow or stuck") from None
        except httpx.TransportError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TargetUnreachable(f"cannot reach {redact(url)}: {redact(reason)}; "
                                    "check the base URL and that the target is running") from None

    def json(self, response: httpx.Response) -> Any:
        """The answer's JSON, or a one-line :class:`NotJson`."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            start = " ".join(redact(response.text)[:60].split())  # redact first: a cut key is still a key
            raise NotJson(f"{response.request.method} {redact(str(response.request.url))} answered "
                          f"{response.status_code} with {kind}, not JSON: {start!r}") from None
