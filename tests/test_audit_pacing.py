"""Politeness at scale: the shared Pace (bounded, backing off, Retry-After for everyone) and in-order work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import respx

from sfc_conformance.core.clock import ManualClock
from sfc_conformance.core.errors import RateLimited
from sfc_conformance.core.http import Pace, PacedClient, in_order
from sfc_conformance.core.secrets import Secret

BASE = "http://paced.target"


def test_the_limit_halves_on_a_push_back_and_grows_back_one_at_a_time() -> None:
    clock = ManualClock()
    pace = Pace(8, clock)
    start = clock.now()
    pace.pause(2.0)
    assert pace.limit == 4 and pace.slowdowns == 1
    assert clock.now() - start == timedelta(seconds=2)  # the one who met it waited it out
    pace.pause(1.0)  # a new push-back once the hold is over: halved again
    assert pace.limit == 2 and pace.slowdowns == 2
    for _ in range(2):
        pace.fine()
    assert pace.limit == 3
    for _ in range(3 + 4 + 5 + 6):
        pace.fine()
    assert pace.limit == 7
    for _ in range(100):
        pace.fine()
    assert pace.limit == 8  # never past the ceiling the user chose


def test_push_backs_met_during_one_hold_halve_the_limit_once() -> None:
    clock = ManualClock()
    pace = Pace(8, clock)
    pace._resume_at = clock.now() + timedelta(seconds=5)  # another worker met the 429 and holds everyone
    pace.pause(1.0)
    assert pace.limit == 8 and pace.slowdowns == 0


def test_a_hold_makes_every_turn_wait() -> None:
    clock = ManualClock()
    pace = Pace(4, clock)
    pace.pause(3.0)
    held_until = clock.now()
    pace._resume_at = held_until + timedelta(seconds=7)  # another worker's 429 asked for 7 s
    with pace.turn():
        assert clock.now() >= held_until + timedelta(seconds=7)


def test_no_more_turns_than_the_limit_at_once() -> None:
    pace = Pace(3, ManualClock())
    inside, most = 0, 0
    lock = threading.Lock()
    release = threading.Barrier(3, timeout=10)

    def work(_: int) -> None:
        nonlocal inside, most
        with pace.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            try:
                release.wait()
            except threading.BrokenBarrierError:
                pass
            with lock:
                inside -= 1

    list(in_order(work, range(12), workers=6))
    assert most == 3


def test_in_order_keeps_the_order_and_takes_only_a_window_ahead() -> None:
    taken: list[int] = []

    def items() -> Iterator[int]:
        for n in range(100):
            taken.append(n)
            yield n

    results = in_order(lambda n: n * n, items(), workers=4, window=8)
    first = next(results)
    assert first == 0 and len(taken) <= 8
    assert [first, *results] == [n * n for n in range(100)]


def test_in_order_hands_back_an_error_in_its_place() -> None:
    def work(n: int) -> int:
        if n == 5:
            raise ValueError("five")
        return n

    seen: list[int] = []
    with pytest.raises(ValueError, match="five"):
        for result in in_order(work, range(50), workers=3):
            seen.append(result)
    assert seen == [0, 1, 2, 3, 4]


def test_a_429_past_the_clients_retries_is_waited_out() -> None:
    clock = ManualClock()
    pace = Pace(4, clock)
    with respx.mock(base_url=BASE) as target:
        route = target.get("/x").mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3"})] * 6
                                      + [httpx.Response(200, json={})])
        client = PacedClient(BASE, Secret("paced-key"), pace)
        start = clock.now()
        assert client.request("GET", "/x").status_code == 200
        client.close()
    assert route.call_count == 7
    assert clock.now() - start >= timedelta(seconds=18)  # every Retry-After honoured
    assert pace.slowdowns >= 1


def test_a_target_that_only_rate_limits_stops_the_command_after_the_patience() -> None:
    clock = ManualClock()
    pace = Pace(2, clock, patience=120)
    with respx.mock(base_url=BASE) as target:
        target.get("/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "7"}))
        client = PacedClient(BASE, Secret("paced-key"), pace)
        with pytest.raises(RateLimited) as stopped:
            client.request("GET", "/x")
        client.close()
    assert str(stopped.value) == ("the target answered GET /x with 429 Too Many Requests for 120 s, last asking to "
                                  "wait 7 s (Retry-After); it is rate-limiting this key: run again later")


def test_the_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Pace(0, ManualClock())
