"""The fuzzer's own checks, registered with schemathesis beside its built-in ones.

Each is a function ``(ctx, response, case)`` that raises :class:`BrokenRule`
naming the profile rule the answer breaks:

* API-3 ``error_is_error_message``: a 4xx/5xx body is an ``ErrorMessage`` whose
  ``statusCode`` is the HTTP status (the contract's schema cannot say "equal").
* KEY-1 ``refuses_missing_or_wrong_key``: a request without the key, with a wrong
  one, or with it as a Bearer token answers 401.
* API-4 ``paging_is_consistent``: a page of connections agrees with itself and
  with what was asked: page and size, the count on the page, ``_links.next``.
* KEY-2 ``never_echoes_the_key``: no header or body of an answer holds the key
  the request was sent with, as typed or base64-encoded.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure, Severity

from sfc_conformance.core.contract import error_message_problem
from sfc_conformance.fuzzing.schema import operation_id
from sfc_conformance.fuzzing.sending import Credentials, credentials_sent

LIST_CONNECTIONS = "list-connections"
NOT_AN_ERROR_MESSAGE = "Error answer is not an ErrorMessage with its own status"
DEFAULT_PAGE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 1, 100, 5000


class BrokenRule(Failure):
    """An answer that breaks one rule of the profile."""

    code = "SFC"
    kind_title = "Profile rule broken"
    __slots__ = ("rule",)

    def __init__(self, *, rule: str, operation: str, title: str, message: str) -> None:
        super().__init__(operation=operation, title=title, message=message, severity=Severity.HIGH)
        self.rule = rule

    @property
    def _unique_key(self) -> str:
        return f"{self.rule}|{self.title}"


def _body(response: schemathesis.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


@schemathesis.check
def error_is_error_message(ctx: Any, response: schemathesis.Response, case: Any) -> bool | None:
    if response.status_code < 400:
        return None
    problem = error_message_problem(response.status_code, _body(response))
    if problem:
        raise BrokenRule(rule="API-3", operation=case.operation.label, title=NOT_AN_ERROR_MESSAGE,
                         message=f"{response.status_code}: {problem}")
    return None


@schemathesis.check
def refuses_missing_or_wrong_key(ctx: Any, response: schemathesis.Response, case: Any) -> bool | None:
    authorization = response.request.headers.get("Authorization")
    sent = credentials_sent(authorization.decode() if isinstance(authorization, bytes) else authorization)
    if sent is Credentials.KEY or response.status_code == 401:
        return None
    raise BrokenRule(rule="KEY-1", operation=case.operation.label,
                     title=f"A request with {sent.value} was not refused",
                     message=f"answered {response.status_code}, not 401")


@schemathesis.check
def never_echoes_the_key(ctx: Any, response: schemathesis.Response, case: Any) -> bool | None:
    authorization = response.request.headers.get("Authorization")
    if isinstance(authorization, bytes):
        authorization = authorization.decode("latin-1")
    if credentials_sent(authorization) is not Credentials.KEY or not str(authorization).startswith("Basic "):
        return None
    encoded = str(authorization).removeprefix("Basic ")
    try:
        key = base64.b64decode(encoded, validate=True).decode()
    except ValueError:
        return None
    places = {"the body": response.content.decode("utf-8", "replace")}
    places.update({f"header {name}": " ".join(values) for name, values in response.headers.items()})
    found = [place for place, text in places.items() if key in text or encoded in text]
    if key and found:
        raise BrokenRule(rule="KEY-2", operation=case.operation.label, title="The answer holds the API key",
                         message=f"the key, as typed or base64-encoded, is in {', '.join(found)}")
    return None


def _asked(query: Any, name: str, default: int) -> int | None:
    """The page or size the request asked for; None when it was not a usable number."""
    value = query.get(name) if isinstance(query, dict) else None
    if value is None:
        return default
    try:
        return int(str(value))
    except ValueError:
        return None


@schemathesis.check
def paging_is_consistent(ctx: Any, response: schemathesis.Response, case: Any) -> bool | None:
    if operation_id(case.operation) != LIST_CONNECTIONS or response.status_code != 200:
        return None
    page, size = _asked(case.query, "page", DEFAULT_PAGE), _asked(case.query, "pageSize", DEFAULT_PAGE_SIZE)
    body = _body(response)
    if page is None or size is None or not 1 <= size <= MAX_PAGE_SIZE or page < 1 or not isinstance(body, dict):
        return None  # a refusal was due; negative_data_rejection and the schema check judge that
    problems = paging_problems(page, size, body)
    if problems:
        raise BrokenRule(rule="API-4", operation=case.operation.label, title="The page of connections is inconsistent",
                         message="; ".join(problems))
    return None


def paging_problems(page: int, size: int, body: dict[str, Any]) -> list[str]:
    """How one page of a paged answer disagrees with the page and size asked for, and with itself."""
    problems = []
    total, results = body.get("totalResults"), body.get("results")
    raw_links = body.get("_links")
    links: dict[str, Any] = raw_links if isinstance(raw_links, dict) else {}
    if body.get("pageNumber") != page:
        problems.append(f"`pageNumber` is {body.get('pageNumber')!r}, page {page} was asked for")
    if body.get("pageSize") != size:
        problems.append(f"`pageSize` is {body.get('pageSize')!r}, {size} was asked for")
    for name in ("self", "current"):
        if not isinstance(links.get(name), dict):
            problems.append(f"`_links.{name}` is missing")
    if type(total) is not int or not isinstance(results, list):
        return problems + ["`totalResults` or `results` is missing"]
    expected = max(0, min(size, total - (page - 1) * size))
    if len(results) != expected:
        problems.append(f"page {page} of size {size} holds {len(results)} results, but `totalResults` "
                        f"{total} means it holds {expected}")
    later = page * size < total
    if later != ("next" in links):
        problems.append(f"`_links.next` is {'missing' if later else 'present'}, yet `totalResults` {total} means "
                        f"there is {'a' if later else 'no'} later page")
    return problems
