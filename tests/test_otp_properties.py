"""Properties of the one-time password and of the schedule, on the controllable clock.

Hypothesis draws issue times, delays, tamperings, time zones and hours; the
embedded sandbox runs on a ManualClock, so a thirty-second window or three
days of schedule cost nothing.  Each property is built for one target and run
twice: against the sandbox as it is, where it holds, and against the fault
that breaks its rule, where it must fail and name that rule.

    OTP-1, OTP-2, OTP-5  the flow URL opens iff less than 30 s have passed and it was not opened before
    URL-3, OTP-6         OTPs never repeat and do not form an arithmetic progression
    OTP-4                a changed digit or another merchant identifier is refused
    FLOW-3               the next sync shown is the next daily slot at syncHour in timeZone, across DST changes
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from hypothesis import Phase, event, example, given, note, settings
from hypothesis import strategies as st

from sfc_conformance.merchant.view import otp_of
from tests.helpers import query, with_query

if TYPE_CHECKING:
    from tests.conftest import Embedded

WINDOW = timedelta(seconds=30)
REFUSED = 401
ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe"]  # Lord Howe moves by half an hour
NO_SHRINK = [Phase.explicit, Phase.generate]  # for the faults: the first failure is proof enough


def _opens(e: Embedded, url: str) -> bool:
    """The merchant's browser opens the flow URL: True unless refused (401)."""
    status = e.browser.open(url).status_code
    note(f"{e.target.clock.now().isoformat()}: opened, {status}")
    return status != REFUSED


def _issue(e: Embedded) -> str:
    url = e.steps.flow_url(e.steps.company())
    note(f"{e.target.clock.now().isoformat()}: issued {url}")
    return url


# -- OTP-1, OTP-2, OTP-5: the window and single use -----------------------------------------------

# Any delay up to two minutes, and half the time one within 0.1 s of either side of the window's end.
DELAYS = st.one_of(st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=2)),
                   st.timedeltas(min_value=WINDOW - timedelta(milliseconds=100),
                                 max_value=WINDOW + timedelta(seconds=1, milliseconds=100)))


def otp_window(e: Embedded, *, phases: list[Phase] | None = None, examples: int = 40) -> Callable[[], None]:
    @settings(max_examples=examples, deadline=None, phases=phases or settings().phases)
    @example(idle=timedelta(0), delay=WINDOW - timedelta(milliseconds=1), first_open=None)
    @example(idle=timedelta(0), delay=WINDOW, first_open=None)
    @example(idle=timedelta(0), delay=timedelta(seconds=1), first_open=timedelta(0))
    @given(idle=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)), delay=DELAYS,
           first_open=st.none() | st.timedeltas(min_value=timedelta(0), max_value=WINDOW - timedelta(microseconds=1)))
    def accepted_iff_in_time_and_unused(idle: timedelta, delay: timedelta, first_open: timedelta | None) -> None:
        """``idle`` moves the issue time; ``first_open``: when the URL was already opened once, if it was."""
        # Said here, not left to the report of the failing call: a failure reads the same in every process.
        note(f"drawn: idle={idle!r}, delay={delay!r}, first_open={first_open!r}")
        e.target.clock.advance(idle.total_seconds())  # any issue time: the clock only moves forward
        url = _issue(e)
        used = first_open is not None
        if first_open is not None:
            first_open = min(first_open, delay)
            e.target.clock.advance(first_open.total_seconds())
            assert _opens(e, url), f"OTP-1: opened {first_open.total_seconds():.6f} s after issue, it was refused"
        e.target.clock.advance((delay - (first_open or timedelta(0))).total_seconds())
        accepted = _opens(e, url)
        event("in time" if delay < WINDOW else "too late")
        if delay >= WINDOW:
            assert not accepted, f"OTP-2: opened {delay.total_seconds():.6f} s after issue, it was accepted"
        elif used:
            assert not accepted, "OTP-5: opened a second time, it was accepted"
        else:
            assert accepted, f"OTP-1: opened {delay.total_seconds():.6f} s after issue, it was refused"

    return accepted_iff_in_time_and_unused


def test_the_flow_url_opens_iff_in_time_and_unused(embedded: Callable[..., Embedded]) -> None:
    otp_window(embedded())()


@pytest.mark.parametrize("fault", ["otp-lasts-31s", "otp-lasts-too-long"])
def test_an_otp_that_lasts_too_long_breaks_otp_2(embedded: Callable[..., Embedded], fault: str) -> None:
    with pytest.raises(AssertionError, match="OTP-2: opened 30.000000 s after issue, it was accepted"):
        otp_window(embedded(faults=[fault]))()


def test_a_reusable_otp_breaks_otp_5(embedded: Callable[..., Embedded]) -> None:
    with pytest.raises(AssertionError, match="OTP-5"):
        otp_window(embedded(faults=["otp-reusable"]), phases=NO_SHRINK)()


def test_without_the_explicit_boundary_the_search_finds_and_shrinks_it(embedded: Callable[..., Embedded]) -> None:
    """Generation alone (no explicit examples) finds the 31 s fault and shrinks it to a readable delay."""
    with pytest.raises(AssertionError) as raised:
        # 40 generated cases miss the fault's one-second band for about one seed in four, and the seed follows
        # the test's source text (derandomize): 150 make a miss rare, whatever edit the text goes through.
        otp_window(embedded(faults=["otp-lasts-31s"]), phases=[Phase.generate, Phase.shrink], examples=150)()
    message = str(raised.value)
    assert message.startswith("OTP-2: opened 30.")
    opened = re.search(r"opened ([\d.]+) s", message)
    assert opened, message
    seconds = float(opened.group(1))
    assert 30 <= seconds < 31
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "delay=datetime.timedelta(seconds=30" in notes, notes  # the shrunk case, readable


# -- URL-3, OTP-6: fresh and unpredictable -------------------------------------------------------


def fresh_otps(e: Embedded, *, phases: list[Phase] | None = None) -> Callable[[], None]:
    @settings(max_examples=6, deadline=None, phases=phases or settings().phases)
    @given(issues=st.integers(min_value=20, max_value=40),
           gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=5)))
    def never_repeat_nor_progress(issues: int, gap: timedelta) -> None:
        company = e.steps.company()
        otps = []
        for _ in range(issues):
            otps.append(int(otp_of(e.steps.flow_url(company))))
            e.target.clock.advance(gap.total_seconds())
        note(f"OTPs: {otps}")
        assert len(set(otps)) == len(otps), f"URL-3: {len(otps) - len(set(otps))} OTPs were issued twice"
        steps = {later - earlier for earlier, later in zip(otps, otps[1:], strict=False)}
        assert len(steps) > 1, f"OTP-6: {issues} OTPs form an arithmetic progression with step {steps.pop()}"

    return never_repeat_nor_progress


def test_otps_never_repeat_nor_progress(embedded: Callable[..., Embedded]) -> None:
    fresh_otps(embedded())()


def test_a_counter_breaks_otp_6(embedded: Callable[..., Embedded]) -> None:
    with pytest.raises(AssertionError, match=r"OTP-6: \d+ OTPs form an arithmetic progression with step 1"):
        fresh_otps(embedded(faults=["otp-predictable"]), phases=NO_SHRINK)()


# -- OTP-4: bound to its merchant and to every digit --------------------------------------------

MERCHANT_TAMPERINGS = ["another company's id", "an unknown id", "a changed hex digit of the id", "no identifier"]


def otp_binding(e: Embedded, *, phases: list[Phase] | None = None) -> Callable[[], None]:
    @settings(max_examples=25, deadline=None, phases=phases or settings().phases)
    @example(tampering="another company's id", data=None)
    @given(tampering=st.sampled_from(["a changed digit", *MERCHANT_TAMPERINGS]), data=st.data())
    def tampered_urls_are_refused(tampering: str, data: st.DataObject | None) -> None:
        url = _issue(e)
        otp, merchant = query(url)["otp"], query(url)["merchantIdentifier"]
        changes: dict[str, str | None]
        if tampering == "a changed digit":
            assert data is not None
            position = data.draw(st.integers(min_value=0, max_value=len(otp) - 1), label="digit position")
            shift = data.draw(st.integers(min_value=1, max_value=9), label="added to the digit, mod 10")
            changes = {"otp": otp[:position] + str((int(otp[position]) + shift) % 10) + otp[position + 1:]}
        elif tampering == "another company's id":
            changes = {"merchantIdentifier": e.steps.company("Other Merchant Ltd")}
        elif tampering == "an unknown id":
            assert data is not None
            changes = {"merchantIdentifier": str(data.draw(st.uuids(), label="unknown id"))}
        elif tampering == "a changed hex digit of the id":
            changes = {"merchantIdentifier": merchant[:-1] + ("0" if merchant[-1] != "0" else "1")}
        else:
            changes = {"merchantIdentifier": None}
        tampered = with_query(url, **changes)
        note(f"tampered query: {query(tampered)}")
        assert tampered != url
        assert not _opens(e, tampered), f"OTP-4: a flow URL with {tampering} was accepted"
        assert _opens(e, url), "OTP-1: after a refused tampered copy, the real flow URL was refused"

    return tampered_urls_are_refused


def test_a_tampered_flow_url_is_refused(embedded: Callable[..., Embedded]) -> None:
    otp_binding(embedded())()


def test_an_unbound_otp_breaks_otp_4(embedded: Callable[..., Embedded]) -> None:
    with pytest.raises(AssertionError, match="OTP-4: a flow URL with another company's id was accepted"):
        otp_binding(embedded(faults=["otp-not-bound"]), phases=NO_SHRINK)()


# -- FLOW-3: the next sync, across daylight-saving changes ---------------------------------------


@cache
def dst_changes(zone: str, year: int = 2026) -> list[datetime]:
    """The instants (UTC) at which ``zone``'s offset changes during ``year``, to the minute."""
    tz = ZoneInfo(zone)
    changes = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        later = moment + timedelta(hours=1)
        if moment.astimezone(tz).utcoffset() != later.astimezone(tz).utcoffset():
            minute = moment
            while minute.astimezone(tz).utcoffset() == moment.astimezone(tz).utcoffset():
                minute += timedelta(minutes=1)
            changes.append(minute)
        moment = later
    return changes


def slot(day: date, hour: int, zone: str) -> datetime:
    """``hour`` o'clock on ``day`` in ``zone``, in UTC: where clocks skip that hour, the moment after the gap;
    where they repeat it, the first of the two."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_sync_on_schedule(embedded: Callable[..., Embedded], faults: tuple[str, ...] = (), *,
                          phases: list[Phase] | None = None) -> Callable[[], None]:
    @settings(max_examples=20, deadline=None, phases=phases or settings().phases)
    @given(zone=st.sampled_from(ZONES), data=st.data(), sync_hour=st.integers(min_value=0, max_value=23),
           offset=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
           elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
    def next_is_the_next_slot(zone: str, data: st.DataObject, sync_hour: int, offset: timedelta,
                              elapsed: timedelta) -> None:
        change = data.draw(st.sampled_from(dst_changes(zone)), label="a DST change of the zone")
        e = embedded(faults=faults, start=change + offset)  # a fresh target: its clock starts near the change
        merchant = e.steps.configured(syncHour=sync_hour, timeZone=zone)
        e.target.clock.advance(elapsed.total_seconds())  # scheduled syncs run on the way
        now = e.target.clock.now()
        shown = e.browser.time(e.browser.open(e.steps.flow_url(merchant.company_id)), "next-sync")
        local = shown.astimezone(ZoneInfo(zone)) if shown else None
        note(f"now {now.isoformat()} ({now.astimezone(ZoneInfo(zone)).isoformat()} in {zone}); "
             f"next sync shown {shown and shown.isoformat()} ({local and local.isoformat()})")
        event(zone)
        assert shown is not None and local is not None, "FLOW-3: the settings page shows no next sync"
        assert shown > now, f"FLOW-3: the next sync {shown.isoformat()} is not after now {now.isoformat()}"
        assert shown == slot(local.date(), sync_hour, zone), \
            f"FLOW-3: the next sync {local.isoformat()} is not at {sync_hour:02d}:00 in {zone}"
        assert slot(local.date() - timedelta(days=1), sync_hour, zone) <= now, \
            f"FLOW-3: the next sync {local.isoformat()} skips the day before's slot, still to come"

    return next_is_the_next_slot


def test_the_next_sync_is_the_next_slot_across_dst_changes(embedded: Callable[..., Embedded]) -> None:
    next_sync_on_schedule(embedded)()


def test_a_next_sync_an_hour_late_breaks_flow_3(embedded: Callable[..., Embedded]) -> None:
    with pytest.raises(AssertionError, match="FLOW-3: the next sync .* is not at"):
        next_sync_on_schedule(embedded, ("next-sync-off-schedule",), phases=NO_SHRINK)()


def test_the_zones_have_the_changes_the_property_is_about() -> None:
    london, new_york, lord_howe = (dst_changes(zone) for zone in ZONES)
    assert london == [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
    assert new_york == [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]
    assert len(lord_howe) == 2 and {c.minute for c in lord_howe} == {0, 30}
