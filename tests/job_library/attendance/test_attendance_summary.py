"""Attendance Summary Calculation on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.attendance import attendance_summary as module
from job_library.jobs.attendance.attendance_summary import (
    AttendanceSummaryCalculation,
    AttendanceSummaryParams,
)
from job_library.schemas.attendance import attendance_day
from job_library.schemas.district import school_years
from job_library.schemas.enrollment import student_enrollment
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))

# Enrollment id -> (enrolled, present, excused, unexcused), counting school days to 13 Nov.
EXPECTED = {
    1: (9, 9.0, 0.0, 0.0),
    2: (9, 7.5, 0.5, 1.0),  # absent all day 3 Nov (unexcused), half day 4 Nov (excused)
    3: (4, 3.0, 1.0, 0.0),  # enrolled 5-10 Nov; the absence on 4 Nov is before that
    4: (5, 5.0, 0.0, 0.0),  # school 1 until 6 Nov
    5: (4, 3.5, 0.0, 0.5),  # school 2 from 9 Nov: half day unexcused 10 Nov
    6: (9, 8.5, 0.0, 0.5),  # a half day with no absence type counts as unexcused
    7: (4, 3.5, 0.0, 0.5),  # second school from 9 Nov sees the same 12 Nov half day
    8: (0, 0.0, 0.0, 0.0),  # starts 20 Nov
    9: (None, None, None, None),  # last year's record: untouched
}


def _absences(engine) -> None:
    base = dict(syear=2026, school_id=1, disciplinary=False)
    rows = [
        (2, d(3), 0, 0.0, "unexcused"),
        (2, d(4), 240, 0.5, "excused"),
        (2, d(5), 360, 1.0, None),
        (3, d(4), 0, 0.0, "unexcused"),
        (3, d(9), 0, 0.0, "excused"),
        (4, d(10), 180, 0.5, "unexcused"),
        (5, d(12), 200, 0.5, None),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    base,
                    student_id=s,
                    school_date=day,
                    minutes_present=m,
                    state_value=v,
                    absence_type=t,
                )
                for s, day, m, v, t in rows
            ],
        )


def _summaries(engine) -> dict[int, tuple]:
    se = student_enrollment
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                se.c.id,
                se.c.days_enrolled,
                se.c.days_present,
                se.c.days_excused,
                se.c.days_unexcused,
            )
        ).all()
    return {r[0]: (r[1], *(None if v is None else float(v) for v in r[2:])) for r in rows}


def _run(engine, now=SATURDAY, **params):
    return run_in_transaction(
        engine, AttendanceSummaryCalculation(), AttendanceSummaryParams(**params), now=now
    )


def test_summarises_attendance_day_into_each_enrollment(db):
    load(db)
    _absences(db)
    result = _run(db)
    assert _summaries(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"checked": 8, "updated": 8}
    assert result.summary == (
        "Updated attendance summaries on 8 of 8 enrollment record(s) "
        "(school year 2026, school days through 2026-11-13)."
    )
    assert "student 2, school 1 (enrollment 2): Days Enrolled - -> 9; Days Present - -> 7.5" in (
        result.text
    )
    assert (
        "<td>2</td><td>1</td><td>2</td><td>- -&gt; 9</td><td>- -&gt; 7.5</td><td>- -&gt; 0.5</td>"
        in (result.html)
    )


def test_second_run_changes_nothing_and_a_new_absence_changes_one_record(db):
    load(db)
    _absences(db)
    _run(db)
    again = _run(db)
    assert _summaries(db) == EXPECTED
    assert dict(again.counts) == {"checked": 8, "updated": 0}
    assert again.summary.endswith("were already up to date, nothing changed.")
    with db.begin() as conn:
        conn.execute(
            sa.update(attendance_day)
            .where(attendance_day.c.student_id == 2, attendance_day.c.school_date == d(5))
            .values(state_value=0, absence_type="excused")
        )
    third = _run(db)
    assert dict(third.counts) == {"checked": 8, "updated": 1}
    assert _summaries(db)[2] == (9, 6.5, 1.5, 1.0)
    assert "Days Present 7.5 -> 6.5; Days Excused 0.5 -> 1.5" in third.text


def test_today_is_not_counted(db):
    load(db)
    _absences(db)
    # Thursday 12 Nov at 10:00: counts 2-10 Nov (7 school days; 11 Nov is a holiday).
    _run(db, now=dt.datetime(2026, 11, 12, 10, 0, tzinfo=ZoneInfo("America/New_York")))
    summaries = _summaries(db)
    assert summaries[1] == (7, 7.0, 0.0, 0.0)
    assert summaries[6] == (7, 7.0, 0.0, 0.0)  # the 12 Nov half day is not counted yet


def test_only_the_chosen_schools_and_year(db):
    load(db)
    _absences(db)
    result = _run(db, schools=[2])
    summaries = _summaries(db)
    assert {k for k, v in summaries.items() if v[0] is not None} == {5, 7}
    assert result.counts["updated"] == 2
    last_year = _run(db, syear=2025, schools=[1])
    assert last_year.counts == {"checked": 1, "updated": 1}
    assert _summaries(db)[9] == (0, 0.0, 0.0, 0.0)  # no calendar days in last year's calendar


def test_default_year_and_bad_values_are_named(db):
    load(db)
    assert _run(db, syear=1999).summary.startswith("school year 1999: no such school year")
    assert _run(db, schools=[7]).summary.startswith("schools [7]: no such school id")
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    result = _run(db)
    assert not result.success
    assert "no default school year is set" in result.summary
    assert all(v[0] is None for v in _summaries(db).values())


def test_listing_is_capped_with_the_total(db):
    load(db)
    result = _run(db, max_listed=3)
    assert result.html.count("<tr><td>") == 3
    assert "... and 5 more (listing capped at 3)." in result.text


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    load(db)
    _absences(db)
    before = _summaries(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("out of memory while formatting")

    monkeypatch.setattr(module, "enrollment_report", broken_report)
    with pytest.raises(RuntimeError, match="out of memory"):
        _run(db)
    assert _summaries(db) == before
    monkeypatch.undo()
    assert _run(db).counts["updated"] == 8


def test_params_form():
    props = AttendanceSummaryParams.model_json_schema()["properties"]
    assert props["syear"]["title"] == "School year"
    assert props["schools"]["items"] == {"type": "integer"}
