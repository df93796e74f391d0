"""API-5's requests worked out ahead: in a forked process where one is safe, else in the caller; the same
requests either way, pinned to the merchant only as they go out."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator

import pytest

from sfc_conformance.fuzzing import BOTH, Ahead, Budget, Plan, Recorded, load_schema, recorded
from sfc_conformance.fuzzing.engine import operations
from sfc_conformance.fuzzing.schema import operation_id
from sfc_conformance.suite.fuzz import NOT_GENERATED, PLACEHOLDERS, generate, with_ids
from sfc_conformance.suite.settings import Settings

forks = pytest.mark.skipif(sys.platform != "linux", reason="the work is forked on Linux only")
IDS = {"companyId": "3f1c1a7e-2c5d-4b8e-9a51-0a1f1f3f2b44", "connectionId": "9a071a7e-2c5d-4b8e-9a51-0a1f1f3f2b44"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def one_thread() -> None:
    if threading.active_count() > 1:  # pytest-xdist's worker talks to its controller on a thread of its own
        pytest.skip("another thread runs in this process: nothing is forked")


def _pid() -> int:
    return os.getpid()


@forks
def test_the_work_is_done_in_another_process_and_its_result_comes_back(one_thread: None) -> None:
    ahead = Ahead(_pid)
    assert ahead.forked
    assert ahead.result() != os.getpid()


def _dies_unless_in(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # the other process fails before it hands anything back
    return parent


@forks
def test_a_failed_other_process_leaves_the_work_to_the_caller(one_thread: None) -> None:
    parent = os.getpid()
    ahead = Ahead(lambda: _dies_unless_in(parent))
    assert ahead.forked
    assert ahead.result() == parent


def test_with_another_thread_running_nothing_is_forked_and_the_caller_does_the_work() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        ahead = Ahead(_pid)
        assert not ahead.forked
        assert ahead.result() == os.getpid()
    finally:
        stop.set()
        thread.join()


@forks
def test_a_result_never_asked_for_stops_the_other_process(one_thread: None) -> None:
    ahead = Ahead(threading.Event().wait)  # would wait for ever
    process = ahead._process  # noqa: SLF001 - what close() must end
    ahead.close()
    assert process is not None and not process.is_alive()


@pytest.fixture(scope="module")
def api5() -> list[Recorded]:
    return generate(Settings(fuzz_examples=1))


def _normalised(records: list[Recorded]) -> list[tuple[object, ...]]:
    """The requests as compared: an unknown id is a fresh random UUID in every walk."""
    rows: list[tuple[object, ...]] = []
    for record in records:
        r = record.request
        url = UUID.sub(lambda m: m.group(0) if m.group(0) in IDS.values() else "<unknown>", r.url)
        rows.append((record.sort, r.method, url, repr(r.params), repr(r.headers), repr(r.json_body), r.content))
    return rows


def test_api5s_requests_are_those_of_a_walk_pinned_to_the_merchant(api5: list[Recorded]) -> None:
    """Placeholders for the ids, put in as each request goes out: the requests a walk pinned to the merchant makes."""
    plan = Plan(Budget(1), pinned=IDS, modes=lambda operation: () if operation == NOT_GENERATED else BOTH,
                known={"commerceKey": "lqai", "accountingKey": "gbol", **IDS})
    pinned = [Recorded(record.sort, with_ids(record.request, IDS)) for record in api5]
    assert _normalised(pinned) == _normalised(recorded(load_schema(), plan))
    assert not any(placeholder in record.request.url for record in pinned for placeholder in PLACEHOLDERS.values())


def test_api5_sends_something_to_every_operation_and_ids_that_do_not_exist(api5: list[Recorded]) -> None:
    every = {(op.method.upper(), op.path): operation_id(op) for op in operations(load_schema())}
    assert {(record.request.method, record.request.template) for record in api5} == set(every)
    generated = {(record.request.method, record.request.template) for record in api5 if record.sort in BOTH}
    assert {name for operation, name in every.items() if operation not in generated} == {NOT_GENERATED}
    assert any(record.sort == "unknown-id" for record in api5)


@forks
def test_api5s_requests_generated_in_another_process_are_the_ones_generated_here(
        one_thread: None, api5: list[Recorded]) -> None:
    ahead = Ahead(lambda: generate(Settings(fuzz_examples=1)))
    assert ahead.forked
    assert _normalised(ahead.result()) == _normalised(api5)


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    yield
    import multiprocessing  # noqa: PLC0415

    assert multiprocessing.active_children() == []
