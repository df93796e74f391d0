"""Steps shared by several features: what an answer must look like."""

from __future__ import annotations

from typing import Any

import httpx
from pytest_bdd import parsers, then

from sfc_conformance.core.profile import error_message_problem
from sfc_conformance.suite.target_api import TargetApi


def error_message(api: TargetApi, answer: httpx.Response) -> dict[str, Any]:
    """An ErrorMessage whose statusCode is the HTTP status (the shape the API contract gives every error): its
    body."""
    body = api.json(answer)
    problem = error_message_problem(answer.status_code, body)
    assert problem is None, f"the {answer.status_code} answer is not an ErrorMessage: {problem}: {answer.text[:300]}"
    return dict(body)


@then(parsers.re(r"the answer is a (?P<status>\d{3}) ErrorMessage"))
def _(api: TargetApi, answer: httpx.Response, status: str) -> None:
    """URL-5, KEY-1, READY-2, API-4: the call is refused with this status, as an ErrorMessage."""
    assert answer.status_code == int(status), (
        f"expected {status}, the target answered {answer.status_code}: {answer.text[:300]}")
    error_message(api, answer)


@then("the answer is refused with 400 or 404 and an ErrorMessage")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """URL-6: a start call with a platform key that is not the partner's is refused, as an ErrorMessage."""
    assert answer.status_code in (400, 404), (
        f"expected 400 or 404, the target answered {answer.status_code}: {answer.text[:300]}")
    error_message(api, answer)


@then("the answer is a 400 ErrorMessage with validation errors")
def _(api: TargetApi, answer: httpx.Response) -> None:
    """CONF-5: an invalid choice is refused with 400, and the ErrorMessage says what is invalid."""
    assert answer.status_code == 400, (
        f"expected 400, the target answered {answer.status_code}: {answer.text[:300]}")
    body = error_message(api, answer)
    errors = (body.get("validation") or {}).get("errors")
    assert errors, f"the 400 ErrorMessage carries no validation.errors: {body}"
