"""What a run records as created, and what the end of the run says about it (sfc_conformance.suite.housekeeping)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sfc_conformance.core.account import COMPANY, SUBSCRIPTION, Leftover, RunId
from sfc_conformance.core.http import ApiClient
from sfc_conformance.suite.housekeeping import INTERRUPTED, UNMARKED, Created, tidy
from tests.helpers import client_answered_by

RUN = RunId.new(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
BASE = "https://api.example/v2"


def answer(method: str, url: str, status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request(method, url))


def test_every_creation_the_target_confirms_is_recorded_and_nothing_else() -> None:
    created = Created(RUN, BASE)
    mine = RUN.company_name("merchant 1")
    created.hook(answer("POST", f"{BASE}/companies", 200, {"id": "c1", "name": mine}))
    created.hook(answer("POST", f"{BASE}/companies/", 200, {"id": "c2", "name": "Generated Name"}))
    created.hook(answer("POST", f"{BASE}/webhooks", 201, {"id": "w1", "url": RUN.tag_url("http://h/x")}))
    created.hook(answer("POST", f"{BASE}/companies", 400, {"statusCode": 400}))  # refused: nothing made
    created.hook(answer("GET", f"{BASE}/companies", 200, {"id": "c3"}))  # a read
    created.hook(answer("POST", "https://other.example/v2/companies", 200, {"id": "c4"}))  # another host
    created.hook(answer("POST", f"{BASE}/companies/c1/connections", 200, {"id": "x"}))
    created.hook(answer("POST", f"{BASE}/companies", 200, {"id": "c1", "name": mine}))  # the same one again
    items = created.items()
    assert [(i.kind, i.id) for i in items] == [(SUBSCRIPTION, "w1"), (COMPANY, "c1"), (COMPANY, "c2")]
    assert [i.run for i in items] == [RUN, RUN, None]  # a company the run did not name is still the run's
    assert created.count(COMPANY) == 2


class Target:
    """A target's DELETE answers, by path; records what was asked."""

    def __init__(self, answers: dict[str, int], interrupt_at: str | None = None) -> None:
        self.answers = answers
        self.interrupt_at = interrupt_at
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(f"{request.method} {request.url.path}")
        if request.url.path == self.interrupt_at:
            raise KeyboardInterrupt
        status = self.answers.get(request.url.path, 204)
        body = {"statusCode": status, "error": "x"} if status >= 400 else None
        return httpx.Response(status, json=body) if body else httpx.Response(status)


@pytest.fixture
def client() -> Iterator[Any]:
    made: list[ApiClient] = []

    def make(target: Target) -> ApiClient:
        made.append(client_answered_by(target, "k-housekeeping-1", "http://t.example", retries=0))
        return made[-1]

    yield make
    for one in made:
        one.close()


def leftovers() -> list[Leftover]:
    return [Leftover(SUBSCRIPTION, "w1", "http://h/x?sfcRun=" + RUN.value, RUN),
            Leftover(COMPANY, "c1", RUN.company_name("merchant 1"), RUN),
            Leftover(COMPANY, "c2", "Generated Name", None)]


def test_everything_is_deleted_and_counted(client: Any) -> None:
    target = Target({})
    tidied = tidy(leftovers(), client(target), keep=False, workers=2)
    assert sorted(target.asked) == ["DELETE /companies/c1", "DELETE /companies/c2", "DELETE /webhooks/w1"]
    assert tidied.complete
    assert tidied.lines()[:2] == ["subscriptions: created 1, deleted 1, left 0",
                                  "companies:     created 2, deleted 2, left 0"]


def test_keep_deletes_nothing_and_lists_everything(client: Any) -> None:
    target = Target({})
    tidied = tidy(leftovers(), client(target), keep=True, workers=2)
    assert target.asked == []
    lines = tidied.lines()
    assert lines[0] == f"kept     subscription w1 'http://h/x?sfcRun={RUN.value}'"
    assert lines[2] == f"kept     company c2 'Generated Name'  ({UNMARKED})"
    assert "companies:     created 2, kept 2 (--keep)" in lines


def test_a_second_ctrl_c_stops_deleting_and_says_what_is_left(client: Any) -> None:
    target = Target({}, interrupt_at="/companies/c1")
    tidied = tidy(leftovers(), client(target), keep=False, workers=1)
    left = {outcome.leftover.id: outcome.note for outcome in tidied.left}
    assert left == {"c1": INTERRUPTED, "c2": INTERRUPTED}
    assert "subscriptions: created 1, deleted 1, left 0" in tidied.lines()


def test_a_failing_delete_leaves_that_one_and_says_why(client: Any) -> None:
    target = Target({"/companies/c1": 500})
    tidied = tidy(leftovers(), client(target), keep=False, workers=2)
    assert [(o.leftover.id, o.note.split(":")[0]) for o in tidied.left] == [("c1", "DELETE /companies/c1 answered 500")]
    assert "companies:     created 2, deleted 1, left 1" in tidied.lines()
