"""Recalculate Daily Attendance on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.attendance import recalculate_daily_attendance as module
from job_library.jobs.attendance.recalculate_daily_attendance import (
    RecalculateDailyAttendance,
    RecalculateDailyAttendanceParams,
)
from job_library.schemas.attendance import attendance_day
from tests.job_library.district import DAYS, d, daily_rows, load
from tests.job_library.jobs_context import run_in_transaction

FRIDAY_EVENING = dt.datetime(2026, 11, 13, 18, 0, tzinfo=ZoneInfo("America/New_York"))
FULL = (360, 1.0, None, False)


def _expected() -> dict[tuple[int, dt.date], tuple]:
    rows = {}
    for day in DAYS:
        rows[(1, day)] = (1, *FULL)
        rows[(2, day)] = (1, *FULL)
        rows[(5, day)] = (1, *FULL)  # the second-school enrollment takes no daily attendance
    rows[(2, d(3))] = (1, 0, 0.0, "unexcused", False)  # all six periods; homeroom ignored
    rows[(2, d(4))] = (1, 240, 0.5, "excused", False)  # two periods: 240 >= half day 150
    rows[(2, d(6))] = (1, 300, 1.0, None, False)  # one period: 300 is still a full day
    for day in (d(5), d(6), d(9), d(10)):  # enrolled 5-10 Nov only
        rows[(3, day)] = (1, *FULL)
    rows[(3, d(9))] = (1, 0, 0.0, "excused", True)  # suspended: disciplinary
    for day in DAYS[:5]:
        rows[(4, day)] = (1, *FULL)
    for day in DAYS[5:]:
        rows[(4, day)] = (2, 240, 1.0, None, False)  # school 2: full day capped at 240
    rows[(4, d(10))] = (2, 180, 0.5, "unexcused", False)
    return rows


def _run(engine, now=FRIDAY_EVENING, **params):
    return run_in_transaction(
        engine,
        RecalculateDailyAttendance(),
        RecalculateDailyAttendanceParams(**params),
        now=now,
    )


def test_builds_daily_attendance_from_period_attendance(db):
    load(db)
    result = _run(db, past_days=14)
    assert daily_rows(db) == _expected()
    assert result.success
    assert dict(result.counts) == {"student_days": 40, "added": 40, "updated": 0, "removed": 0}
    assert result.summary == (
        "Recalculated daily attendance at every school, 2026-10-30 to 2026-11-13: 40 added, "
        "0 updated, 0 removed of 40 student-day(s)."
    )
    assert "student 2 2026-11-04: added, state - -> 0.5, minutes - -> 240" in result.text


def test_corrects_wrong_and_stale_records_and_leaves_other_days_alone(db):
    load(db)
    base = dict(syear=2026, school_id=1, absence_type=None, disciplinary=False)
    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(base, student_id=2, school_date=d(3), minutes_present=360, state_value=1),
                dict(base, student_id=1, school_date=d(2), minutes_present=360, state_value=1),
                # Not a school day, and a day before student 3 enrolled: removed.
                dict(base, student_id=1, school_date=d(11), minutes_present=360, state_value=1),
                dict(
                    base,
                    student_id=3,
                    school_date=d(4),
                    minutes_present=0,
                    state_value=0,
                    absence_type="unexcused",
                ),
                # Outside the window: kept as it is.
                dict(
                    base,
                    student_id=1,
                    school_date=d(1) - dt.timedelta(days=5),
                    minutes_present=1,
                    state_value=0,
                    absence_type="excused",
                ),
            ],
        )
    result = _run(db, past_days=14)
    expected = _expected()
    expected[(1, dt.date(2026, 10, 27))] = (1, 1, 0.0, "excused", False)
    assert daily_rows(db) == expected
    assert dict(result.counts) == {"student_days": 40, "added": 38, "updated": 1, "removed": 2}
    assert "<td>2</td><td>2026-11-03</td><td>1</td><td>updated</td><td>1.0</td><td>0.0</td>" in (
        result.html
    )
    assert "<td>3</td><td>2026-11-04</td><td>1</td><td>removed</td>" in result.html


def test_second_run_changes_nothing_and_says_so(db):
    load(db)
    _run(db, past_days=14)
    again = _run(db, past_days=14)
    assert daily_rows(db) == _expected()
    assert dict(again.counts) == {"student_days": 40, "added": 0, "updated": 0, "removed": 0}
    assert again.summary.endswith("daily attendance was already up to date, nothing changed.")
    assert again.html.count("<tr>") == 0


def test_only_the_chosen_schools_and_past_days(db):
    load(db)
    result = _run(db, schools=[2], past_days=14)
    assert daily_rows(db) == {k: v for k, v in _expected().items() if v[0] == 2}
    assert result.counts["added"] == 4
    assert "at school(s) 2," in result.summary

    with db.begin() as conn:
        conn.execute(attendance_day.delete())
    # Three days back from Friday 13 Nov: Tue 10, (Wed 11 is a holiday), Thu 12, Fri 13.
    result = _run(db, past_days=3)
    days = {d(10), d(12), d(13)}
    assert daily_rows(db) == {k: v for k, v in _expected().items() if k[1] in days}
    assert result.counts["added"] == 13


def test_today_is_recalculated_but_never_a_future_day(db):
    load(db)
    result = _run(
        db, now=dt.datetime(2026, 11, 4, 7, 0, tzinfo=ZoneInfo("America/New_York")), past_days=0
    )
    assert {k[1] for k in daily_rows(db)} == {d(4)}
    # Students 1, 2, 4 and 5 are enrolled on 4 Nov; 3 only from 5 Nov, 6 from 20 Nov.
    assert result.counts["added"] == 4


def test_listing_is_capped_with_the_total(db):
    load(db)
    result = _run(db, past_days=14, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 38 more (listing capped at 2)." in result.text
    assert "<p>38 more not listed.</p>" in result.html


def test_an_unknown_school_is_named_and_nothing_changes(db):
    load(db)
    result = _run(db, schools=[1, 99])
    assert not result.success
    assert result.summary.startswith("schools [99]: no such school id")
    assert daily_rows(db) == {}


def test_a_failure_midway_leaves_daily_attendance_as_it_was(db, monkeypatch):
    load(db)
    _run(db, past_days=3)
    before = daily_rows(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("connection lost while writing the report")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db, past_days=14)
    assert daily_rows(db) == before
    monkeypatch.undo()
    assert _run(db, past_days=14).counts["added"] == 27  # no temporary table left behind


def test_params_form():
    schema = RecalculateDailyAttendanceParams.model_json_schema()
    props = schema["properties"]
    assert props["schools"]["type"] == "array"
    assert props["schools"]["items"] == {"type": "integer"}
    assert (props["past_days"]["title"], props["past_days"]["default"]) == (
        "Number of past days",
        7,
    )
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        RecalculateDailyAttendanceParams(past_days=-1)
