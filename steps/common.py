"""Steps shared by several features: what an answer must look like."""

from __future__ import annotations

from typing import Any

import httpx
from pytest_bdd import parsers, then

from sfc_conformance.core.contract import error_message_problem
from sfc_conformance.suite.world import Suite


def error_message(sfc: Suite, answer: httpx.Response) -> dict[str, Any]:
    """API-3's shape: an ErrorMessage whose statusCode is the HTTP status; its body."""
    body = sfc.json(answer)
    problem = error_message_problem(answer.status_code, body)
    assert problem is None, f"the {answer.status_code} answer is not an ErrorMessage: {problem}: {answer.text[:300]}"
    return dict(body)


@then(parsers.re(r"the answer is a (?P<status>\d{3}) ErrorMessage"))
def _(sfc: Suite, answer: httpx.Response, status: str) -> None:
    assert answer.status_code == int(status), (
        f"expected {status}, the target answered {answer.status_code}: {answer.text[:300]}")
    error_message(sfc, answer)


@then("the answer is refused with 400 or 404 and an ErrorMessage")
def _(sfc: Suite, answer: httpx.Response) -> None:
    assert answer.status_code in (400, 404), (
        f"expected 400 or 404, the target answered {answer.status_code}: {answer.text[:300]}")
    error_message(sfc, answer)


@then("the answer is a 400 ErrorMessage with validation errors")
def _(sfc: Suite, answer: httpx.Response) -> None:
    assert answer.status_code == 400, (
        f"expected 400, the target answered {answer.status_code}: {answer.text[:300]}")
    body = error_message(sfc, answer)
    errors = (body.get("validation") or {}).get("errors")
    assert errors, f"the 400 ErrorMessage carries no validation.errors: {body}"
