"""EOY Attendance Calculation on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.florida import eoy_attendance as module
from job_library.jobs.florida.eoy_attendance import EoyAttendanceCalculation, EoyAttendanceParams
from job_library.schemas.attendance import attendance_day
from job_library.schemas.enrollment import student_enrollment
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))

# Enrollment id -> (fl_days_present, fl_days_absent, fl_days_absent_not_disc), to 13 Nov.
EXPECTED = {
    1: (9.0, 0.0, 0.0),
    2: (7.5, 1.5, 1.5),  # all day 3 Nov (unexcused), half day 4 Nov (excused)
    3: (3.0, 1.0, 0.0),  # enrolled 5-10 Nov: suspended 9 Nov; 4 Nov is before enrolling
    4: (5.0, 0.0, 0.0),  # school 1 until 6 Nov
    5: (3.5, 0.5, 0.5),  # school 2 from 9 Nov: half day 10 Nov
    6: (8.5, 0.5, 0.0),  # half-day suspension 12 Nov
    7: (3.5, 0.5, 0.0),  # the second-school record sees the same 12 Nov half day
    8: (0.0, 0.0, 0.0),  # starts 20 Nov
    9: (None, None, None),  # last year's record: untouched
}


def _absences(engine) -> None:
    rows = [
        (2, d(3), 1, 0.0, "unexcused", False),
        (2, d(4), 1, 0.5, "excused", False),
        (3, d(4), 1, 0.0, "unexcused", False),
        (3, d(9), 1, 0.0, "excused", True),
        (4, d(10), 2, 0.5, "unexcused", False),
        (5, d(12), 1, 0.5, "excused", True),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    student_id=s,
                    school_date=day,
                    syear=2026,
                    school_id=school,
                    minutes_present=int(360 * v),
                    state_value=v,
                    absence_type=t,
                    disciplinary=disc,
                )
                for s, day, school, v, t, disc in rows
            ],
        )


def _fields(engine) -> dict[int, tuple]:
    se = student_enrollment
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                se.c.id, se.c.fl_days_present, se.c.fl_days_absent, se.c.fl_days_absent_not_disc
            )
        ).all()
    return {r[0]: tuple(None if v is None else float(v) for v in r[1:]) for r in rows}


def _run(engine, now=SATURDAY, **params):
    return run_in_transaction(
        engine, EoyAttendanceCalculation(), EoyAttendanceParams(**params), now=now
    )


def test_sets_the_florida_attendance_fields_of_each_enrollment(db):
    load(db)
    _absences(db)
    result = _run(db)
    assert _fields(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"checked": 8, "updated": 8}
    assert result.summary == (
        "Updated Florida EOY attendance fields on 8 of 8 enrollment record(s) "
        "(school year 2026, school days through 2026-11-13)."
    )
    assert (
        "student 3, school 1 (enrollment 3): FL Days Present - -> 3; FL Days Absent - -> 1; "
        "FL Days Absent (not disciplinary) - -> 0"
    ) in result.text
    assert "<td>2</td><td>1</td><td>2</td><td>- -&gt; 7.5</td><td>- -&gt; 1.5</td>" in result.html


def test_second_run_changes_nothing_and_a_new_suspension_changes_one_record(db):
    load(db)
    _absences(db)
    _run(db)
    again = _run(db)
    assert _fields(db) == EXPECTED
    assert dict(again.counts) == {"checked": 8, "updated": 0}
    assert again.summary.endswith("were already up to date, nothing changed.")
    assert "<table>" not in again.html
    with db.begin() as conn:
        conn.execute(
            sa.update(attendance_day)
            .where(attendance_day.c.student_id == 2, attendance_day.c.school_date == d(3))
            .values(disciplinary=True)
        )
    third = _run(db)
    assert dict(third.counts) == {"checked": 8, "updated": 1}
    assert _fields(db)[2] == (7.5, 1.5, 0.5)
    assert "FL Days Absent (not disciplinary) 1.5 -> 0.5" in third.text


def test_after_the_last_day_of_school_the_whole_year_counts(db):
    load(db)
    _absences(db)
    # Thursday 12 Nov: only 2-10 Nov are counted (the 12 Nov half day is not yet).
    _run(db, now=dt.datetime(2026, 11, 12, 9, 0, tzinfo=ZoneInfo("America/New_York")))
    assert _fields(db)[6] == (7.0, 0.0, 0.0)
    # July, after the year: every school day of the calendar.
    _run(db, now=dt.datetime(2027, 7, 1, 9, 0, tzinfo=ZoneInfo("America/New_York")))
    assert _fields(db) == EXPECTED


def test_only_the_chosen_schools_and_bad_values_are_named(db):
    load(db)
    _absences(db)
    result = _run(db, schools=[2])
    assert {k for k, v in _fields(db).items() if v[0] is not None} == {5, 7}
    assert result.counts == {"checked": 2, "updated": 2}
    bad = _run(db, schools=[2, 8])
    assert not bad.success
    assert bad.summary == (
        "schools [8]: no such school id; pick ids from the Schools list. Nothing was calculated."
    )
    assert _run(db, syear=2024).summary.startswith("school year 2024: no such school year")


def test_listing_is_capped_with_the_total(db):
    load(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 6 more (listing capped at 2)." in result.text
    assert "<p>6 more not listed.</p>" in result.html


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    load(db)
    _absences(db)
    before = _fields(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("disk full while formatting")

    monkeypatch.setattr(module, "enrollment_report", broken_report)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(db)
    assert _fields(db) == before
    monkeypatch.undo()
    assert _run(db).counts["updated"] == 8


def test_params_form():
    props = EoyAttendanceParams.model_json_schema()["properties"]
    assert props["syear"]["title"] == "School year"
    assert props["schools"]["items"] == {"type": "integer"}
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        EoyAttendanceParams(school_year=2026)
