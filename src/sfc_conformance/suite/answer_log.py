"""The run's answer log: a short record of every answer the suite receives (API-1, API-2, API-3, KEY-2, API-6).

An httpx response hook (:meth:`AnswerLog.hook`) sees every answer – from
steps, from the fuzzer, from flow pages – and logs what the whole-run
scenarios judge at the end of the run: the contract's verdict, the content
type, whether the API key leaked, a ``Retry-After``.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.http import exchange_of
from sfc_conformance.core.profile import Contract
from sfc_conformance.core.secrets import Secret


@dataclass(frozen=True)
class LoggedAnswer:
    """One answer of the run, as the whole-run scenarios judge it."""

    method: str
    path: str  # below the base URL, as the contract names it
    status: int
    content_type: str
    body: Any  # parsed JSON, or None when the answer is not JSON
    is_json: bool
    problems: tuple[str, ...]  # contract problems, for API answers
    unknown: tuple[str, ...]  # fields of a 2xx API answer the contract does not know (allowed, API-1)
    operation: str  # "GET /companies/{companyId}" for API answers, else ""
    is_api: bool
    leaked_key: bool
    retry_after: str | None
    response: httpx.Response = field(repr=False, compare=False)

    @property
    def shown(self) -> str:
        """The request and the answer, secrets masked, for the report: worked out for the few shown only."""
        return exchange_of(self.response).describe()


@dataclass
class AnswerLog:
    """Every answer of the run, in the order received; safe to add to from any thread."""

    contract: Contract
    base_url: str
    api_key: Secret
    records: list[LoggedAnswer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _needles(self) -> list[bytes]:
        raw = self.api_key.reveal().encode()
        return [raw, base64.b64encode(raw)] if len(raw) >= 4 else []

    def hook(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        base = urlsplit(self.base_url)
        url = urlsplit(str(request.url))
        same_host = url.netloc == base.netloc
        path = url.path[len(base.path.rstrip("/")):] if same_host else url.path
        operation = self.contract.operation(request.method, path) if same_host else None
        try:
            body, is_json = json.loads(response.content), True
        except ValueError:
            body, is_json = None, False
        problems: tuple[str, ...] = ()
        unknown: tuple[str, ...] = ()
        if operation is not None:
            problems = tuple(self.contract.check_answer(request.method, path, response.status_code,
                                                        body if is_json else response.text))
            if is_json and 200 <= response.status_code < 300:
                unknown = tuple(self.contract.unknown_fields(request.method, path, response.status_code, body))
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
        leaked = any(n in response.content or n in headers for n in self._needles())
        record = LoggedAnswer(request.method, path, response.status_code, response.headers.get("content-type", ""),
                          body, is_json, problems, unknown,
                          f"{operation.method} {operation.template}" if operation is not None else "",
                          operation is not None, leaked, response.headers.get("retry-after"), response)
        with self._lock:
            self.records.append(record)

    def api_answers(self) -> list[LoggedAnswer]:
        """The answers of the target's API (not flow pages, not other hosts)."""
        with self._lock:
            return [r for r in self.records if r.is_api]
