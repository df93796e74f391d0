"""The one clock: ManualClock moves only when told, SystemClock is real time, isoformat is Codat's shape."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sfc_conformance.core.clock import ManualClock, SystemClock, isoformat

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_manual_clock_starts_where_told_and_stands_still() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.now() == START


def test_manual_clock_default_start_is_fixed() -> None:
    assert ManualClock().now() == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_manual_clock_keeps_time_in_utc() -> None:
    clock = ManualClock(datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/London")))
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now() == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


def test_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 5, 9, 0))


def test_advance_moves_by_exactly_the_seconds_given() -> None:
    clock = ManualClock(START)
    assert clock.advance(29.999) == START + timedelta(seconds=29, milliseconds=999)
    assert clock.advance(0.001) == START + timedelta(seconds=30)
    assert clock.now() == START + timedelta(seconds=30)


def test_advance_by_a_year_costs_no_wall_time() -> None:
    clock = ManualClock(START)
    started = time.monotonic()
    clock.advance(86_400 * 365)
    assert time.monotonic() - started < 1
    assert clock.now() == START + timedelta(days=365)


def test_time_does_not_go_backwards() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    assert clock.now() == START


def test_sleep_moves_the_manual_clock() -> None:
    clock = ManualClock(START)
    clock.sleep(2.5)
    assert clock.now() == START + timedelta(seconds=2.5)


def test_sleep_of_a_negative_time_does_nothing() -> None:
    clock = ManualClock(START)
    clock.sleep(-3)
    assert clock.now() == START


def test_listeners_hear_every_move_with_the_new_time() -> None:
    clock = ManualClock(START)
    heard: list[datetime] = []
    clock.on_advance(heard.append)
    clock.advance(10)
    clock.sleep(5)
    assert heard == [START + timedelta(seconds=10), START + timedelta(seconds=15)]


def test_listeners_run_outside_the_lock() -> None:
    clock = ManualClock(START)
    seen: list[datetime] = []
    clock.on_advance(lambda moment: seen.append(clock.now()))  # would deadlock under the lock
    clock.advance(1)
    assert seen == [START + timedelta(seconds=1)]


def test_concurrent_advances_all_count() -> None:
    clock = ManualClock(START)
    threads = [threading.Thread(target=clock.advance, args=(1,)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == START + timedelta(seconds=20)


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_system_clock_sleeps_real_time_and_nothing_for_nothing() -> None:
    clock = SystemClock()
    started = time.monotonic()
    clock.sleep(0.05)
    assert time.monotonic() - started >= 0.05
    started = time.monotonic()
    clock.sleep(0)
    clock.sleep(-5)  # a deadline already past: no wait (and no error)
    assert time.monotonic() - started < 1


def test_isoformat_is_utc_with_z_and_milliseconds() -> None:
    assert isoformat(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) == "2026-01-05T09:00:00.000Z"
    assert isoformat(datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)) == "2026-01-05T09:00:00.123Z"


def test_isoformat_converts_other_zones_to_utc() -> None:
    moment = datetime(2026, 1, 5, 10, 30, tzinfo=timezone(timedelta(hours=1, minutes=30)))
    assert isoformat(moment) == "2026-01-05T09:00:00.000Z"
