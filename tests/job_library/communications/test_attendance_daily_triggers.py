"""Attendance Daily Triggers on SQLite and Postgres: thresholds reached exactly, once a year."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.communications.attendance_daily_triggers import (
    AttendanceDailyTriggers,
    AttendanceDailyTriggersParams,
)
from job_library.schemas.attendance import attendance_codes, attendance_period
from job_library.schemas.communications import attendance_triggers, communication_queue
from job_library.schemas.district import school_periods
from tests.job_library.communications.conftest import MONDAY, absent, load_families
from tests.job_library.jobs_context import run_in_transaction

PARAMS = AttendanceDailyTriggersParams()
TODAY = MONDAY.date()


def d(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def _setup(db) -> None:
    """Daily trigger: 3 unexcused days. Period trigger: 2 absent periods of any kind.
    Student 1: unexcused 3 days ago, 2 days ago and today (3: reaches it today); student 3:
    two unexcused days and one excused (not 3 unexcused); student 4: three unexcused days
    but one is tomorrow. Periods: student 3 one excused and one unexcused period (2: any);
    student 1 one tardy period (not an absence)."""
    load_families(db)
    absent(
        db,
        [
            (1, d(3), 1, "unexcused"),
            (1, d(2), 1, "unexcused"),
            (1, d(0), 1, "unexcused"),
            (3, d(3), 1, "unexcused"),
            (3, d(2), 1, "unexcused"),
            (3, d(1), 1, "excused"),
            (4, d(2), 2, "unexcused"),
            (4, d(1), 2, "unexcused"),
            (4, d(-1), 2, "unexcused"),
        ],
    )
    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_codes),
            [
                dict(code_id=1, syear=2026, short_name="A", title="Absent", category="unexcused"),
                dict(code_id=2, syear=2026, short_name="E", title="Excused", category="excused"),
                dict(code_id=3, syear=2026, short_name="T", title="Tardy", category="tardy"),
            ],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=1,
                    school_id=1,
                    syear=2026,
                    short_name="P1",
                    title="P1",
                    sort_order=1,
                    length_minutes=60,
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(student_id=3, school_date=d(5), period_id=1, attendance_code=2),
                dict(student_id=3, school_date=d(4), period_id=1, attendance_code=1),
                dict(student_id=1, school_date=d(4), period_id=1, attendance_code=3),
            ],
        )
        conn.execute(
            sa.insert(attendance_triggers),
            [
                dict(
                    trigger_id=1,
                    title="3 unexcused days",
                    basis="daily",
                    category="unexcused",
                    threshold=3,
                    subject="Attendance: {student}",
                    template="{student} has {count} unexcused absences.",
                    active=True,
                ),
                dict(
                    trigger_id=2,
                    title="2 periods",
                    basis="period",
                    category="any",
                    threshold=2,
                    subject="Class absences: {student}",
                    template="{student} missed {count} classes.",
                    active=True,
                ),
                dict(
                    trigger_id=3,
                    title="off",
                    basis="daily",
                    category="any",
                    threshold=1,
                    subject="x",
                    template="x",
                    active=False,
                ),
            ],
        )


def _letters(db) -> list[tuple]:
    q = communication_queue
    with db.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(sa.select(q.c.recipient, q.c.subject, q.c.body, q.c.school_id))
        )


def test_letters_for_triggers_reached_today_once(db):
    _setup(db)
    result = run_in_transaction(db, AttendanceDailyTriggers(), PARAMS, now=MONDAY)
    assert result.success and result.counts == {"letters": 2, "daily": 1, "period": 1}
    assert _letters(db) == [
        ("maria@families.test", "Attendance: Ana Lopez", "Ana Lopez has 3 unexcused absences.", 1),
        ("rose@families.test", "Class absences: Cy Dunn", "Cy Dunn missed 2 classes.", 1),
    ]
    again = run_in_transaction(db, AttendanceDailyTriggers(), PARAMS, now=MONDAY)
    assert again.counts["letters"] == 0
    # Tomorrow student 4 reaches three days too (Lee, priority 1); Ana is not written again.
    tomorrow = run_in_transaction(
        db, AttendanceDailyTriggers(), PARAMS, now=MONDAY + dt.timedelta(days=1)
    )
    assert tomorrow.counts["letters"] == 1
    assert (
        "lee@families.test",
        "Attendance: Di Egan",
        "Di Egan has 3 unexcused absences.",
        2,
    ) in _letters(db)
