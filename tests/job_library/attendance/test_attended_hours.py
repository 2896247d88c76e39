"""Attended Hours and Update Attended Hours on SQLite and Postgres, values worked by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from job_library.jobs.attendance.attended_hours import AttendedHours, AttendedHoursParams
from job_library.jobs.attendance.update_attended_hours import (
    UpdateAttendedHours,
    UpdateAttendedHoursParams,
)
from tests.job_library.attendance.hours_district import load_hours, schedule_values
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

# Friday 13 Nov 2026: school days 2-12 Nov count (2, 3, 4, 5, 6, 9, 10, 12; 11 is a holiday).
FRIDAY = dt.datetime(2026, 11, 13, 10, 0, tzinfo=ZoneInfo("America/New_York"))

# Attended hours of the schedule records open on 13 Nov.
OPEN = {
    1: 8.0,  # 8 days x 60 min, no absence
    2: 6.0,  # P1: absent 3 Nov (A) and 4 Nov (E); tardy 5 Nov counts as attended
    3: 6.0,  # P4: absent 3 Nov and 6 Nov
    4: 6.67,  # period 17 (50 min) has no absence: 400 min = 6.666.. h
    5: 3.0,  # enrolled 5-10 Nov: 4 days, suspended 9 Nov; 4 Nov is before enrolling
    7: 2.0,  # school 2 from 9 Nov: 9, 10, 12 Nov, absent 10 Nov
    8: 3.0,  # 9, 10, 12 Nov (13 Nov is today); the present mark on 9 Nov is attended
    11: 7.0,  # absent 12 Nov for this section; the 10 Nov mark belongs to section 106
}


def _values(engine) -> dict[int, float | None]:
    return {k: v[0] for k, v in schedule_values(engine, "attended_hours").items()}


def _attended(engine, now=FRIDAY, **params):
    return run_in_transaction(engine, AttendedHours(), AttendedHoursParams(**params), now=now)


def _update(engine, now=FRIDAY, **params):
    return run_in_transaction(
        engine, UpdateAttendedHours(), UpdateAttendedHoursParams(**params), now=now
    )


def _district(engine) -> None:
    load(engine)
    load_hours(engine)


def test_attended_hours_of_the_sections_open_today(db):
    _district(db)
    result = _attended(db)
    values = _values(db)
    assert {k: v for k, v in values.items() if v is not None} == OPEN
    assert values[6] is None and values[9] is None and values[10] is None
    assert result.success
    assert dict(result.counts) == {"checked": 8, "updated": 8, "skipped": 1}
    assert result.summary == (
        "Updated attended hours on 8 of 8 schedule record(s) (school year 2026, sections open "
        "on 2026-11-13, school days through 2026-11-12). Skipped 1 schedule record(s) that no "
        "enrollment of the student at the section's school covers."
    )
    assert "student 2, section 104 (schedule 4): Attended Hours - -> 6.67" in result.text
    assert (
        "skipped: student 1, section 201 (schedule 10): no enrollment of the student at the "
        "section's school covers the schedule dates" in result.text
    )


def test_a_day_counts_only_after_it_is_over(db):
    _district(db)
    saturday = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    _attended(db, now=saturday)
    values = _values(db)
    assert values[1] == 9.0  # 13 Nov now counted
    assert values[8] is None  # ended 13 Nov: no longer open on 14 Nov
