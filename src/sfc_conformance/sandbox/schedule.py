"""When the next scheduled sync runs (synchronization-schedule page; FLOW-3, DEL-3).

Daily: every day at ``syncHour`` local time in ``timeZone``.  Monthly: on the
start date's day of the month (the month's last day when it is shorter), at
``syncHour``.  Never before ``startDate``.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sfc_conformance.sandbox.configuration import Choices


def next_run(choices: Choices, after: datetime) -> datetime:
    """The first sync the merchant's schedule runs strictly after ``after``."""
    return next_sync_after(after, frequency=choices.frequency, sync_hour=choices.sync_hour,
                           time_zone=choices.time_zone, start_date=choices.start_date)


def next_sync_after(moment: datetime, *, frequency: str, sync_hour: int, time_zone: str,
                    start_date: datetime | None) -> datetime:
    """The first scheduled sync strictly after ``moment``, in UTC."""
    zone = ZoneInfo(time_zone)
    floor = max(moment, start_date - timedelta(microseconds=1)) if start_date else moment
    local = floor.astimezone(zone)
    day = local.date()
    for _ in range(400):  # a year and a bit always holds the next run
        if frequency == "Monthly":
            anchor = (start_date or moment).astimezone(zone).day
            last = calendar.monthrange(day.year, day.month)[1]
            if day.day != min(anchor, last):
                day += timedelta(days=1)
                continue
        candidate = datetime(day.year, day.month, day.day, sync_hour, tzinfo=zone).astimezone(UTC)
        if candidate > floor:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("no scheduled sync within 400 days")  # unreachable for valid schedules
