"""API contract steps (API-1..API-6), most of them over every answer of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from sfc_conformance.core.account import Target
from sfc_conformance.core.http import ApiClient
from sfc_conformance.core.profile import error_message_problem
from sfc_conformance.fuzzing import Ahead, Recorded
from sfc_conformance.suite.answer_log import AnswerLog, LoggedAnswer
from sfc_conformance.suite.fuzz import Early, Fuzzed, fuzz, prepare
from sfc_conformance.suite.merchants import Merchant
from sfc_conformance.suite.rule_notes import RuleNotes, shortened
from sfc_conformance.suite.settings import Settings
from sfc_conformance.suite.target_api import TargetApi


def _first(records: list[LoggedAnswer], count: int = 3) -> str:
    return "\n".join(f"{r.method} {r.path} -> {r.status}: {'; '.join(r.problems)[:400]}" for r in records[:count])


@when("the partner sends a malformed JSON body to create a company", target_fixture="answer")
def _(client: ApiClient) -> httpx.Response:
    return client.request("POST", "/companies", content=b'{"name": "Broken', retry=False,
                          headers={"Content-Type": "application/json"})


@then("every 2xx JSON answer of the run so far validates against the contract")
def _(answer_log: AnswerLog, rule_notes: RuleNotes) -> None:
    """API-1: every 2xx JSON body of the run validates against the contract; fields it does not know are allowed,
    and noted."""
    checked = [r for r in answer_log.api_answers() if 200 <= r.status < 300]
    assert checked, "no 2xx API answer was seen to check"
    unknown = sorted({f"{record.operation} {name}" for record in checked for name in record.unknown})
    if unknown:  # allowed (a new field is a non-breaking change), but worth knowing
        rule_notes.note("API-1", f"fields the contract does not know (allowed): {shortened(unknown)}")
    bad = [r for r in checked if r.problems]
    assert not bad, f"{len(bad)} of {len(checked)} 2xx answers break the contract:\n{_first(bad)}"


@then("every JSON answer of the run so far is sent as application/json")
def _(answer_log: AnswerLog) -> None:
    """API-2: every JSON body of the run is sent as application/json."""
    answers = [r for r in answer_log.api_answers() if r.is_json]
    bad = [r for r in answers if not r.content_type.split(";")[0].strip().lower() == "application/json"]
    assert not bad, (f"{len(bad)} JSON answers came with another content type, the first: "
                     f"{bad[0].method} {bad[0].path} -> {bad[0].content_type!r}")


@then("every 4xx and 5xx answer of the run so far is an ErrorMessage whose statusCode equals the HTTP status")
def _(answer_log: AnswerLog) -> None:
    """API-3: every 4xx and 5xx body of the run is an ErrorMessage whose statusCode is the HTTP status."""
    errors = [r for r in answer_log.api_answers() if r.status >= 400]
    assert errors, "no error answer was seen to check"
    bad = [r for r in errors if error_message_problem(r.status, r.body if r.is_json else None)]
    assert not bad, (f"{len(bad)} of {len(errors)} error answers are not an ErrorMessage with the HTTP status, "
                     f"the first:\n{bad[0].shown}")


# API-5: per operation, bodies that are not JSON, generated cases, then each path parameter as an unknown id
@pytest.fixture(scope="session", autouse=True)
def generated_requests(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Ahead[list[Recorded]] | None]:
    """API-5's requests, generated from the start of the run, in a process of their own: they need no answer.

    ``sfc-conformance run`` starts them before pytest when the whole suite runs; otherwise they start here.
    API-5 runs after the other scenarios (the suite's plugin orders it), so they are ready by then."""
    early = Early.of(request.config)
    if not any(item.get_closest_marker("API-5") for item in request.session.items):
        yield None
        return
    prepared = (early.take(settings) if early else None) or prepare(settings)
    yield prepared
    prepared.close()


@when("the suite sends generated requests to every operation of the contract, and ids that do not exist",
      target_fixture="fuzzed")
def _(api: TargetApi, answer_log: AnswerLog, settings: Settings, merchant: Merchant,
      generated_requests: Ahead[list[Recorded]] | None) -> Fuzzed:
    return fuzz(api, answer_log, settings, merchant, generated_requests)


@then("no answer is a 5xx")
def _(fuzzed: Fuzzed) -> None:
    """API-5: no generated request, valid or not, and no id that does not exist, makes the target answer 5xx."""
    assert fuzzed.sent > 0 and fuzzed.unknown_ids > 0, "no generated request, or no unknown id, was sent"
    assert not fuzzed.failures, (f"{len(fuzzed.failures)} of {fuzzed.sent} generated requests made the target "
                                 f"fail, the first:\n{fuzzed.failures[0].shown}")


@pytest.fixture
def rate_limits(target: Target) -> Iterator[Callable[[int], None]]:
    """Sets the target's rate limit for one scenario: whatever happens in it, the limit is lifted at teardown."""
    with ExitStack() as lifted_at_teardown:
        def limit(per_second: int) -> None:
            control = target.capabilities.rate_limit
            if control is None:
                pytest.skip("not applicable: the suite cannot set this target's rate limit")
            lifted_at_teardown.enter_context(control.limited(per_second))
        yield limit


@given(parsers.parse("the target allows {limit:d} API calls a second"))
def _(rate_limits: Callable[[int], None], limit: int) -> None:
    rate_limits(limit)


@when(parsers.parse("the partner makes {count:d} calls in the same second"))
def _(api: TargetApi, merchant: Merchant, count: int) -> None:
    # Each answer as the target gave it, not retried: what the target did is API-6's question,
    # how the suite's own client waits is the project's (tests/test_client.py).
    for _ in range(count):
        api.get_company(merchant.company_id, retry=False)


def _rate_limited(answer_log: AnswerLog) -> list[LoggedAnswer]:
    return [r for r in answer_log.api_answers() if r.status == 429]


@then("every 429 answer carries Retry-After")
@then("every 429 answer of the run so far carries Retry-After")
def _(answer_log: AnswerLog, target: Target) -> None:
    """API-6: every 429 carries Retry-After."""
    limited = _rate_limited(answer_log)
    if not limited and target.capabilities.rate_limit is None:  # the target's own limit, if it has one
        pytest.skip("the target answered no 429 during the run, so Retry-After could not be seen")
    assert limited, "the rate limit never answered 429"
    missing = [r for r in limited if not r.retry_after]
    assert not missing, f"{len(missing)} of {len(limited)} 429 answers carry no Retry-After"

