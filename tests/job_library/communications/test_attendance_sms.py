"""Attendance SMS on SQLite and Postgres: per-school mobile-alert codes, one text per contact."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.communications.attendance_sms import AttendanceSms, AttendanceSmsParams
from job_library.preferences import Preferences
from job_library.schemas.attendance import attendance_codes, attendance_period
from job_library.schemas.communications import communication_queue
from job_library.schemas.district import school_periods
from tests.job_library.communications.conftest import MONDAY, load_families
from tests.job_library.jobs_context import run_in_transaction

PARAMS = AttendanceSmsParams()
TODAY = MONDAY.date()


def _attendance(engine) -> None:
    """Codes A (unexcused), E (excused), T (tardy). Student 1 absent periods 1 and 2 (A),
    student 2 tardy (T), student 3 excused (E), student 4 at school 2 absent (A); student 1
    was also absent yesterday."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_codes),
            [
                dict(code_id=i, syear=2026, short_name=n, title=t, category=c)
                for i, n, t, c in (
                    (1, "A", "Absent", "unexcused"),
                    (2, "E", "Excused", "excused"),
                    (3, "T", "Tardy", "tardy"),
                )
            ],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=p,
                    school_id=s,
                    syear=2026,
                    short_name=f"P{p}",
                    title=f"P{p}",
                    sort_order=p,
                    length_minutes=60,
                )
                for p, s in ((1, 1), (2, 1), (3, 2))
            ],
        )
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(student_id=s, school_date=day, period_id=p, attendance_code=c)
                for s, day, p, c in (
                    (1, TODAY, 1, 1),
                    (1, TODAY, 2, 1),
                    (1, TODAY - dt.timedelta(days=1), 1, 1),
                    (2, TODAY, 1, 3),
                    (3, TODAY, 1, 2),
                    (4, TODAY, 3, 1),
                )
            ],
        )


def _texts(engine) -> list[tuple]:
    q = communication_queue
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(q.c.recipient, q.c.body, q.c.school_id).where(q.c.channel == "sms")
            )
        )


def test_codes_of_each_school_text_every_contact_with_a_phone_once(db):
    load_families(db)
    _attendance(db)
    with db.begin() as conn:
        Preferences(conn).set("attendance_mobile_alert_codes", "a, t, X9")
        Preferences(conn).set("attendance_mobile_alert_codes", "E", school_id=2)
    result = run_in_transaction(db, AttendanceSms(), AttendanceSmsParams(), now=MONDAY)
    assert result.success
    assert _texts(db) == [
        ("+13525550111", "Focus: Ana Lopez was marked Absent on 2026-11-16.", 1),
        ("+13525550121", "Focus: Ben Cole was marked Tardy on 2026-11-16.", 1),
    ]
    assert "school 1: code(s) X9 not found in the attendance codes: ignored" in result.text
    again = run_in_transaction(db, AttendanceSms(), PARAMS, now=MONDAY)
    assert again.counts["queued"] == 0


def test_no_codes_no_texts(db):
    load_families(db)
    _attendance(db)
    result = run_in_transaction(db, AttendanceSms(), PARAMS, now=MONDAY)
    assert result.success and result.counts["queued"] == 0 and _texts(db) == []
