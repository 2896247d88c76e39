"""Attendance Scanner Absences on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.attendance.attendance_scanner_absences import (
    AttendanceScannerAbsences,
    AttendanceScannerAbsencesParams,
)
from job_library.schemas.attendance import attendance_period, attendance_scanner_logins
from job_library.schemas.scheduling import course_periods, schedule
from job_library.site import AddOn
from tests.job_library.attendance.hours_district import load_hours
from tests.job_library.district import SYEAR, A, E, P, T, d, load
from tests.job_library.jobs_context import run_in_transaction

NY = ZoneInfo("America/New_York")
THURSDAY = dt.datetime(2026, 11, 12, 8, 30, tzinfo=NY)
TODAY = dt.date(2026, 11, 12)


def _district(engine) -> None:
    """Scanner sections 101 (period 11) and 104 (period 17). Open on 12 Nov: 101 students 1
    and 2 (2 already marked E by the teacher) and 5 (from 12 Nov); 104 student 2. Not open:
    student 4 (dropped 6 Nov), 6 (from 20 Nov), 3 (104 record open but enrolled until 10
    Nov). Check-ins 12 Nov: 1 at 101, 2 at 104, 4 at 101 (dropped), 1 at 102 (no scanner);
    5 checked in at 101 on 11 Nov only."""
    load(engine)
    load_hours(engine)
    at = dt.datetime(2026, 11, 12, 13, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.update(course_periods)
            .where(course_periods.c.course_period_id.in_([101, 104]))
            .values(attendance_scanner=True)
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    id=12,
                    student_id=5,
                    syear=SYEAR,
                    school_id=1,
                    course_id=1,
                    course_period_id=101,
                    start_date=d(12),
                ),
                dict(
                    id=13,
                    student_id=3,
                    syear=SYEAR,
                    school_id=1,
                    course_id=1,
                    course_period_id=104,
                    start_date=d(2),
                ),
            ],
        )
        conn.execute(
            sa.insert(attendance_period).values(
                student_id=2, school_date=d(12), period_id=11, attendance_code=E
            )
        )
        conn.execute(
            sa.insert(attendance_scanner_logins),
            [
                dict(student_id=s, course_period_id=cp, school_date=day, scanned_at=at)
                for s, cp, day in (
                    (1, 101, d(12)),
                    (2, 104, d(12)),
                    (4, 101, d(12)),
                    (1, 102, d(12)),
                    (5, 101, d(11)),
                )
            ],
        )


def _marks(engine, day=TODAY) -> dict[tuple[int, int], int]:
    t = attendance_period
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_id, t.c.period_id, t.c.attendance_code).where(
                t.c.school_date == day, t.c.period_id.in_([11, 17])
            )
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}


def _run(engine, now=THURSDAY, **params):
    return run_in_transaction(
        engine,
        AttendanceScannerAbsences(),
        AttendanceScannerAbsencesParams(**params),
        now=now,
    )


def test_absent_unless_checked_in_and_teacher_marks_kept(db):
    _district(db)
    result = _run(db)
    assert _marks(db) == {(1, 11): P, (2, 11): E, (2, 17): P, (5, 11): A}
    assert result.success
    assert dict(result.counts) == {
        "checked": 4,
        "absent_entered": 1,
        "present_entered": 2,
        "marked_present": 0,
        "kept": 1,
        "ignored_check_ins": 2,
    }
    assert result.summary == (
        "Checked 4 student period(s) in scanner sections (school year 2026, 2026-11-12): "
        "entered 1 absent and 2 present record(s), turned 0 absent record(s) present, left 1 "
        "as they were. Ignored 2 check-in(s) (listed)."
    )
    assert "student 5, section 101 (period 11): absent record entered" in result.text
    assert (
        "ignored check-in: student 1, section 102: the section does not use the attendance "
        "scanner" in result.text
    )
    assert (
        "ignored check-in: student 4, section 101: the student has no open schedule record in "
        "this section today" in result.text
    )
    with db.connect() as conn:
        section = conn.execute(
            sa.select(attendance_period.c.course_period_id).where(
                attendance_period.c.student_id == 5, attendance_period.c.school_date == d(12)
            )
        ).scalar_one()
    assert section == 101


def test_a_later_check_in_turns_the_absence_present_and_runs_repeat_safely(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["kept"] == 4
    assert again.counts["absent_entered"] + again.counts["marked_present"] == 0
    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_scanner_logins).values(
                student_id=5,
                course_period_id=101,
                school_date=d(12),
                scanned_at=dt.datetime(2026, 11, 12, 14, 10, tzinfo=dt.UTC),
            )
        )
    later = _run(db, now=dt.datetime(2026, 11, 12, 9, 15, tzinfo=NY))
    assert later.counts["marked_present"] == 1
    assert "student 5, section 101 (period 11): absent record turned present" in later.text
    assert _marks(db)[(5, 11)] == P
    assert _run(db).counts["marked_present"] == 0


def test_a_teacher_code_other_than_the_absent_code_is_never_replaced(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_period).values(
                student_id=5, school_date=d(12), period_id=11, attendance_code=T
            )
        )
    _run(db)
    assert _marks(db)[(5, 11)] == T


def test_days_that_are_not_school_days_or_outside_the_records(db):
    _district(db)
    holiday = _run(db, now=dt.datetime(2026, 11, 11, 8, 30, tzinfo=NY))
    assert holiday.counts["checked"] == 0
    assert holiday.summary.startswith("No student has a scanner section today")
    assert _marks(db, d(11)) == {}
    # 6 Nov: student 4's record ends that day (kept in); student 3 is enrolled from 5 Nov; 5
    # starts 12 Nov (left out).
    friday = _run(db, now=dt.datetime(2026, 11, 6, 8, 30, tzinfo=NY))
    assert friday.counts["checked"] == 5
    assert _marks(db, d(6)) == {(1, 11): A, (2, 11): A, (2, 17): A, (4, 11): A, (3, 17): A}


def test_bad_codes_and_year_are_named_and_nothing_is_entered(db):
    _district(db)
    assert "absent code 'X': no attendance code" in _run(db, absent_code="X").summary
    assert "its category is excused; pick a present" in _run(db, present_code="E").summary
    assert "its category is present, not an absence" in _run(db, absent_code="P").summary
    assert _run(db, syear=1999).summary.startswith("school year 1999: no such school year")
    # Codes belong to a school year: last year has none.
    assert "in school year 2025; pick one from Attendance Codes" in _run(db, syear=2025).summary
    assert _marks(db) == {(2, 11): E}


def test_present_code_may_be_a_tardy_code_and_listing_is_capped(db):
    _district(db)
    result = _run(db, present_code="T", max_listed=1)
    assert _marks(db)[(1, 11)] == T
    assert "... and 2 more (listing capped at 1)." in result.text
    # Two ignored check-ins: the first (student 1) listed, the other only counted.
    assert result.counts["ignored_check_ins"] == 2
    assert "ignored check-in: student 1, section 102" in result.text
    assert "ignored check-in: student 4" not in result.text
    assert "  ... and 1 more ignored check-in(s) (listing capped at 1)." in result.text


def test_a_failure_midway_enters_nothing(db, monkeypatch):
    _district(db)
    import job_library.output

    def broken(*args, **kwargs):
        raise RuntimeError("report failed")

    monkeypatch.setattr(job_library.output, "listed_result", broken)
    with pytest.raises(RuntimeError, match="report failed"):
        _run(db)
    assert _marks(db) == {(2, 11): E}


def test_needs_the_scanner_add_on():
    assert AddOn.ATTENDANCE_SCANNER in AttendanceScannerAbsences.needs_add_ons
