"""The rules every answer keeps, whatever the call and the state: one check each, named for its rule.

Run on each answer before anything the model predicts for that call, in the
order :func:`every_answer_checks` gives, so that a 5xx is reported as API-5 and
a plain-text error as API-3, never as "expected 404".  Each check answers ``None`` or
``(rule, what was seen)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from sfc_conformance.core.profile import Contract, error_message_problem

Seen = tuple[str, str] | None


def api_5_no_server_error(answer: httpx.Response, body: Any) -> Seen:
    """API-5: no input, valid or not, makes the target answer 5xx."""
    if answer.status_code >= 500:
        return "API-5", f"answered {answer.status_code}: {answer.text[:300]}"
    return None


def api_3_error_message(answer: httpx.Response, body: Any) -> Seen:
    """API-3: every 4xx/5xx body is an ErrorMessage whose `statusCode` equals the HTTP status."""
    if answer.status_code < 400:
        return None
    problem = error_message_problem(answer.status_code, body) if body is not _NOT_JSON else "the body is not JSON"
    return ("API-3", f"answered {answer.status_code} with a body that is not an ErrorMessage ({problem}): "
                     f"{answer.text[:300]}") if problem else None


def api_2_json(answer: httpx.Response, body: Any) -> Seen:
    """API-2: JSON bodies are sent as application/json."""
    if not answer.content:
        return None
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        return None
    return "API-2", f"answered {answer.status_code} with content type {kind or 'none'!r}, not application/json"


def api_1_contract(contract: Contract) -> Callable[[httpx.Response, Any], Seen]:
    """API-1: every 2xx JSON body validates against the contract (fields it does not know are allowed)."""

    def check(answer: httpx.Response, body: Any) -> Seen:
        if not 200 <= answer.status_code < 300 or not answer.content:
            return None
        if body is _NOT_JSON:
            return "API-1", f"answered {answer.status_code} with a body that is not JSON: {answer.text[:200]!r}"
        request = answer.request
        path = urlsplit(str(request.url)).path
        operation = contract.operation(request.method, path)
        if operation is None:
            return None
        problems = contract.check_answer(request.method, path, answer.status_code, body)
        if problems == [f"{request.method} {operation.template} does not document status {answer.status_code}"]:
            return None  # a status the contract does not list is judged by what the model allows for the call
        if problems:
            return "API-1", f"answered {answer.status_code} with a body the contract refuses: {'; '.join(problems[:3])}"
        return None

    return check


def key_2_never_returned(disguises: Iterable[str]) -> Callable[[httpx.Response, Any], Seen]:
    """KEY-2: no response body, header or flow URL contains the API key, in any of its shapes."""
    forms = sorted(set(disguises), key=len, reverse=True)

    def check(answer: httpx.Response, body: Any) -> Seen:
        text = answer.text
        for where, value in (("body", text), *((f"header {k}", v) for k, v in answer.headers.items())):
            if any(form in value for form in forms):
                return "KEY-2", f"the API key (in one of its shapes) is in the answer's {where}"
        return None

    return check


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()


def body_of(answer: httpx.Response) -> Any:
    """The answer's JSON; None when it has no body; :data:`NOT_JSON` when it does not parse."""
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        return _NOT_JSON


NOT_JSON: Any = _NOT_JSON


def every_answer_checks(disguises: Iterable[str]) -> tuple[Callable[[httpx.Response, Any], Seen], ...]:
    """The checks made before anything else, in this order; API-1 (:func:`api_1_contract`) comes after the
    call's own checks of fields a rule names (LINK-3's ``linkUrl``), so the rule that names a field is the one
    reported."""
    return api_5_no_server_error, key_2_never_returned(disguises), api_3_error_message, api_2_json
