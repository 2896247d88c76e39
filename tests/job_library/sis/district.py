"""A small district worked out by hand: two schools, nine school days, six students (plus an
adult school, its students and alert users for the jobs that need them)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.schema import users
from job_library.sis_schema import (
    attendance_calendar,
    attendance_calendars,
    attendance_codes,
    attendance_day,
    attendance_period,
    grade_levels,
    portal_alerts,
    school_periods,
    school_years,
    schools,
    student_enrollment,
    student_enrollment_codes,
    students,
)

SYEAR = 2026
# Mon 2 Nov to Fri 13 Nov 2026; Wed 11 Nov (Veterans Day) is not a school day.
DAYS = [dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 12, 13)]
HOLIDAY = dt.date(2026, 11, 11)
P, A, E, T, S = 1, 2, 3, 4, 5  # attendance code ids


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def load(engine: sa.Engine) -> None:
    """School 1: six 60-minute periods (full day 300, half day 150). School 2: four
    60-minute periods, so its full day is capped at its 240 minutes.

    Students: 1 always present; 2 absent all day 3 Nov (unexcused), two periods 4 Nov
    (excused), tardy 5 Nov, one period 6 Nov (unexcused); 3 enrolled 5-10 Nov, suspended
    9 Nov, absent 4 Nov before enrolling; 4 at school 1 to 6 Nov, then school 2, missing
    one period there 10 Nov; 5 at school 1 with a second-school enrollment at school 2
    from 9 Nov; 6 enrolls 20 Nov.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=2025,
                    title="2025-2026",
                    start_date=d(1) - dt.timedelta(days=450),
                    end_date=d(1) - dt.timedelta(days=130),
                    is_default=False,
                ),
                dict(
                    syear=SYEAR,
                    title="2026-2027",
                    start_date=dt.date(2026, 8, 1),
                    end_date=dt.date(2027, 6, 30),
                    is_default=True,
                ),
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=1,
                    title="Test Elementary",
                    short_name="TE",
                    school_number="0011",
                    district_number="37",
                    full_day_minutes=300,
                    half_day_minutes=150,
                ),
                dict(
                    school_id=2,
                    title="Test Middle",
                    short_name="TM",
                    school_number="0022",
                    district_number="37",
                    full_day_minutes=300,
                    half_day_minutes=150,
                ),
            ],
        )
        conn.execute(
            sa.insert(grade_levels),
            [dict(grade_id=1, short_name="05", title="Grade 5", sort_order=5)],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [
                dict(calendar_id=1, school_id=1, syear=SYEAR, title="Main"),
                dict(calendar_id=2, school_id=2, syear=SYEAR, title="Main"),
                dict(calendar_id=3, school_id=1, syear=2025, title="Main"),
            ],
        )
        conn.execute(
            sa.insert(attendance_calendar),
            [dict(calendar_id=c, school_date=day) for c in (1, 2) for day in DAYS],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=10 + p,
                    school_id=1,
                    syear=SYEAR,
                    short_name=f"P{p}",
                    title=f"Period {p}",
                    sort_order=p,
                    length_minutes=60,
                    attendance=True,
                )
                for p in range(1, 7)
            ]
            + [
                dict(
                    period_id=20 + p,
                    school_id=2,
                    syear=SYEAR,
                    short_name=f"P{p}",
                    title=f"Period {p}",
                    sort_order=p,
                    length_minutes=60,
                    attendance=True,
                )
                for p in range(1, 5)
            ]
            # A homeroom without attendance never counts.
            + [
                dict(
                    period_id=19,
                    school_id=1,
                    syear=SYEAR,
                    short_name="HR",
                    title="Homeroom",
                    sort_order=0,
                    length_minutes=15,
                    attendance=False,
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_codes),
            [
                dict(
                    code_id=P,
                    syear=SYEAR,
                    short_name="P",
                    title="Present",
                    category="present",
                    disciplinary=False,
                ),
                dict(
                    code_id=A,
                    syear=SYEAR,
                    short_name="A",
                    title="Absent",
                    category="unexcused",
                    disciplinary=False,
                ),
                dict(
                    code_id=E,
                    syear=SYEAR,
                    short_name="E",
                    title="Excused",
                    category="excused",
                    disciplinary=False,
                ),
                dict(
                    code_id=T,
                    syear=SYEAR,
                    short_name="T",
                    title="Tardy",
                    category="tardy",
                    disciplinary=False,
                ),
                dict(
                    code_id=S,
                    syear=SYEAR,
                    short_name="S",
                    title="Suspension",
                    category="excused",
                    disciplinary=True,
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}") for i in range(1, 7)],
        )
        enrollment = dict(syear=SYEAR, grade_id=1, end_date=None, second_school=False)
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(enrollment, id=1, student_id=1, school_id=1, calendar_id=1, start_date=d(2)),
                dict(enrollment, id=2, student_id=2, school_id=1, calendar_id=1, start_date=d(2)),
                dict(
                    enrollment,
                    id=3,
                    student_id=3,
                    school_id=1,
                    calendar_id=1,
                    start_date=d(5),
                    end_date=d(10),
                ),
                dict(
                    enrollment,
                    id=4,
                    student_id=4,
                    school_id=1,
                    calendar_id=1,
                    start_date=d(2),
                    end_date=d(6),
                ),
                dict(enrollment, id=5, student_id=4, school_id=2, calendar_id=2, start_date=d(9)),
                dict(enrollment, id=6, student_id=5, school_id=1, calendar_id=1, start_date=d(2)),
                dict(
                    enrollment,
                    id=7,
                    student_id=5,
                    school_id=2,
                    calendar_id=2,
                    start_date=d(9),
                    second_school=True,
                ),
                dict(enrollment, id=8, student_id=6, school_id=1, calendar_id=1, start_date=d(20)),
                # Last year's record of student 1: never touched by this year's runs.
                dict(
                    enrollment,
                    id=9,
                    student_id=1,
                    syear=2025,
                    school_id=1,
                    calendar_id=3,
                    start_date=dt.date(2025, 8, 10),
                    end_date=dt.date(2026, 5, 28),
                ),
            ],
        )
        periods = [
            *((2, d(3), 10 + p, A) for p in range(1, 7)),
            (2, d(3), 19, A),  # homeroom: no attendance minutes
            (2, d(4), 11, E),
            (2, d(4), 12, E),
            (2, d(5), 11, T),
            (2, d(6), 14, A),
            *((3, d(4), 10 + p, A) for p in range(1, 7)),  # before enrolling
            *((3, d(9), 10 + p, S) for p in range(1, 7)),
            (4, d(10), 23, A),
            (1, d(9), 12, P),  # a present mark changes nothing
        ]
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(student_id=s, school_date=day, period_id=p, attendance_code=code)
                for s, day, p, code in periods
            ],
        )


def daily_rows(engine: sa.Engine) -> dict[tuple[int, dt.date], tuple]:
    """attendance_day as {(student, date): (school, minutes, state, absence type, disc)}."""
    t = attendance_day
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.student_id,
                t.c.school_date,
                t.c.school_id,
                t.c.minutes_present,
                t.c.state_value,
                t.c.absence_type,
                t.c.disciplinary,
            )
        ).all()
    return {(r[0], r[1]): (r[2], r[3], float(r[4]), r[5], bool(r[6])) for r in rows}


ADULT_SCHOOL = 3
ADULT_CALENDAR = 4
ADULT_PERIOD = 31
ADD_CODE, DROP_CODE = 1, 2  # student_enrollment_codes ids: E01 (Add), W26 (Drop)


def load_adult(engine: sa.Engine) -> None:
    """On top of ``load``: adult school 3 (technical college, one 300-minute block, the same
    nine school days) and students 11-17 enrolled there. 11-15 and 17 are active: 11-15 from
    2 Nov, 17 from 6 Nov; 16 was withdrawn by hand on 3 Nov."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=ADULT_SCHOOL,
                    title="Test Technical College",
                    short_name="TTC",
                    school_number="0033",
                    district_number="37",
                    adult_ed=True,
                    full_day_minutes=300,
                    half_day_minutes=150,
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [dict(calendar_id=ADULT_CALENDAR, school_id=ADULT_SCHOOL, syear=SYEAR, title="Main")],
        )
        conn.execute(
            sa.insert(attendance_calendar),
            [dict(calendar_id=ADULT_CALENDAR, school_date=day) for day in DAYS],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=ADULT_PERIOD,
                    school_id=ADULT_SCHOOL,
                    syear=SYEAR,
                    short_name="BLK",
                    title="Program block",
                    sort_order=1,
                    length_minutes=300,
                    attendance=True,
                )
            ],
        )
        conn.execute(
            sa.insert(student_enrollment_codes),
            [
                dict(code_id=ADD_CODE, syear=SYEAR, short_name="E01", title="Enter", type="Add"),
                dict(
                    code_id=DROP_CODE, syear=SYEAR, short_name="W26", title="Absences", type="Drop"
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [
                dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}")
                for i in range(11, 18)
            ],
        )
        base = dict(
            syear=SYEAR,
            grade_id=1,
            school_id=ADULT_SCHOOL,
            calendar_id=ADULT_CALENDAR,
            start_date=d(2),
            end_date=None,
            second_school=False,
            enrollment_code=ADD_CODE,
        )
        rows = [dict(base, id=i, student_id=i) for i in range(11, 18)]
        rows[16 - 11].update(end_date=d(3), drop_code=DROP_CODE)
        rows[17 - 11].update(start_date=d(6))
        conn.execute(sa.insert(student_enrollment), rows)


def absent_days(engine: sa.Engine, days: dict[int, list[tuple[dt.date, float]]]) -> None:
    """Insert attendance_day rows {student: [(date, state value)]} at the adult school
    (0.0: absent all day, unexcused; 0.5: half day)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    student_id=student,
                    school_date=day,
                    syear=SYEAR,
                    school_id=ADULT_SCHOOL,
                    minutes_present=int(300 * value),
                    state_value=value,
                    absence_type="unexcused",
                    disciplinary=False,
                )
                for student, marks in days.items()
                for day, value in marks
            ],
        )


USERS = {101: "counselor", 102: "registrar", 103: "director"}


def load_users(engine: sa.Engine) -> None:
    """Three Focus users who can be chosen to receive portal alerts."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(users),
            [dict(user_id=i, username=name, email=f"{name}@test.k12") for i, name in USERS.items()],
        )


def alerts(engine: sa.Engine, alert_type: str) -> dict[tuple[int, int], str]:
    """portal_alerts of ``alert_type`` as {(student, user): message}."""
    t = portal_alerts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_id, t.c.user_id, t.c.message).where(t.c.alert_type == alert_type)
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}
