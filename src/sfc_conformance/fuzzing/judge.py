"""Every answer of the fuzz goes before the same checks; what they find becomes a finding.

Schemathesis' own: no 5xx (API-5), a status the contract lists, a documented
content type (API-2), a body that validates against the contract (API-1, and
API-3 for error bodies), negative data refused with a 4xx.  Ours, from
:mod:`.checks`: ErrorMessage with its status (API-3), KEY-1, paging (API-4), the key
never in an answer (KEY-2).

``positive_data_acceptance`` is left out on purpose: a schema-valid request
may rightly be refused here (an account id that is not among the options,
CONF-5; an unknown company, 404), so a refusal proves nothing.
"""

from __future__ import annotations

from typing import Any

from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.parameters import ParameterLocation

from sfc_conformance.core.contract import error_message_problem
from sfc_conformance.fuzzing.checks import (
    NOT_AN_ERROR_MESSAGE,
    error_is_error_message,
    never_echoes_the_key,
    paging_is_consistent,
    refuses_missing_or_wrong_key,
)
from sfc_conformance.fuzzing.findings import Findings, negated_locations, negative_data_rule
from sfc_conformance.fuzzing.ignorable import only_ignorable_faults
from sfc_conformance.fuzzing.schema import operation_id
from sfc_conformance.fuzzing.sending import Sent, Unanswered

SCHEMATHESIS_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                       "response_schema_conformance", "negative_data_rejection")


def all_checks() -> list[Any]:
    load_all_checks()  # schemathesis registers its OpenAPI checks on first use
    return [*CHECKS.get_by_names(list(SCHEMATHESIS_CHECKS)),
            error_is_error_message, refuses_missing_or_wrong_key, paging_is_consistent, never_echoes_the_key]


def judge(case: Any, sent: Sent, findings: Findings, reproduction: tuple[str, ...] = ()) -> None:
    """Hold one answer to every check; each failure becomes (or counts towards) a finding."""
    try:
        case.validate_response(sent.response, checks=all_checks())
    except FailureGroup as group:
        for failure in group.exceptions:
            if not _may_be_accepted(failure, case, sent):
                findings.add_failure(failure, case, sent.response, (*reproduction, sent.curl))


def _may_be_accepted(failure: Any, case: Any, sent: Sent) -> bool:
    """Negative data a target may accept: a body whose only faults it may ignore (see :mod:`.ignorable`)."""
    if not isinstance(failure, AcceptedNegativeData) or negated_locations(case) != {ParameterLocation.BODY}:
        return False
    body = sent.response.request.body
    return only_ignorable_faults(case.method, case.operation.path, body if isinstance(body, (bytes, str)) else None)


def judge_raw_body(operation: Any, sent: Sent, findings: Findings, *, must_refuse: bool) -> None:
    """A hand-made body: never a 5xx, errors as ErrorMessage, and refused with a 4xx when ``must_refuse``."""
    response, status = sent.response, sent.response.status_code
    common = {"operation": operation.label, "response": response, "reproduction": (sent.curl,)}
    if status >= 500:  # titled and keyed as schemathesis' own, so one operation's 5xx is one finding
        findings.add(rule="API-5", title="Server error", detail=f"answered {status} to a hand-made body",
                     key=str(status), **common)
    elif status < 400 and must_refuse:
        findings.add(rule=negative_data_rule(operation_id(operation), {ParameterLocation.BODY}),
                     title="A body that is not JSON was accepted", detail=f"answered {status}, not a 4xx", **common)
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        problem = error_message_problem(status, body)
        if problem:
            findings.add(rule="API-3", title=NOT_AN_ERROR_MESSAGE, detail=f"{status}: {problem}", **common)


def judge_unanswered(operation: str, unanswered: Unanswered, findings: Findings,
                     reproduction: tuple[str, ...] = ()) -> None:
    """No answer to one request while the target answers others: worse than any 5xx (API-5)."""
    findings.add(rule="API-5", operation=operation, title="No answer", detail=unanswered.reason, response=None,
                 reproduction=(*reproduction, unanswered.curl))
