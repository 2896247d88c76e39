"""The demo district's data for the hours, scanner and gradebook jobs: WDIS survey windows,
scanner sections at the adult school with a few check-ins, and gradebooks combined by period
that a recent section import has left out of step."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.schemas.attendance import attendance_scanner_logins, fl_survey_periods
from job_library.schemas.scheduling import (
    course_periods,
    gradebook_group_sections,
    gradebook_period_groups,
)

if TYPE_CHECKING:
    from include.demo_district import DemoYear

ADULT_SCHOOL = 8
GRADEBOOK_SCHOOL = 1


def load_demo_attendance_hours(conn: sa.Connection, year: DemoYear) -> None:
    """Add the data on top of the generated district (sections and schedules exist)."""
    y = year.syear
    conn.execute(
        sa.insert(fl_survey_periods),
        [
            dict(syear=y, survey="S", start_date=dt.date(y, 7, 1), end_date=dt.date(y, 8, 15)),
            dict(syear=y, survey="F", start_date=dt.date(y, 8, 16), end_date=dt.date(y, 12, 31)),
            dict(
                syear=y, survey="W", start_date=dt.date(y + 1, 1, 1), end_date=dt.date(y + 1, 6, 30)
            ),
        ],
    )
    cp = course_periods
    # Every adult-school section takes attendance at a scanner.
    conn.execute(
        sa.update(cp).where(cp.c.school_id == ADULT_SCHOOL).values(attendance_scanner=True)
    )
    # Three adult students check in at their first section, on the build day and the last day
    # with attendance (whichever the job runs on).
    first_sections = conn.execute(
        sa.text(
            "SELECT s.student_id, MIN(s.course_period_id) FROM schedule s "
            "WHERE s.school_id = :school AND s.syear = :syear AND s.end_date IS NULL "
            "GROUP BY s.student_id ORDER BY s.student_id LIMIT 3"
        ),
        {"school": ADULT_SCHOOL, "syear": y},
    ).all()
    logins = [
        dict(
            student_id=student,
            course_period_id=section,
            school_date=day,
            scanned_at=dt.datetime.combine(day, dt.time(12, 5), dt.UTC),
        )
        for student, section in first_sections
        for day in sorted({year.as_of, year.today})
    ]
    if logins:
        conn.execute(sa.insert(attendance_scanner_logins), logins)

    # Gradebooks combined by period at school 1: the first two teachers' period-1 sections.
    # An import today added a second period-1 section for the first teacher (not in the
    # gradebook yet) and moved the second teacher's period-2 section, still in that
    # teacher's period-1 gradebook, out of period 1.
    rows = conn.execute(
        sa.select(cp.c.course_period_id, cp.c.course_id, cp.c.teacher_id, cp.c.period_id)
        .where(cp.c.school_id == GRADEBOOK_SCHOOL, cp.c.syear == y)
        .order_by(cp.c.teacher_id, cp.c.period_id)
    ).all()
    teachers = sorted({r.teacher_id for r in rows if r.teacher_id is not None})[:2]
    if len(teachers) < 2:
        return
    period_1 = GRADEBOOK_SCHOOL * 10 + 1
    first = {r.teacher_id: r for r in rows if r.period_id == period_1}
    second = {r.teacher_id: r for r in rows if r.period_id == period_1 + 1}
    imported = dt.datetime.combine(year.today, dt.time(5, 0), dt.UTC)
    new_id = conn.execute(sa.select(sa.func.max(cp.c.course_period_id))).scalar_one() + 1
    base = first[teachers[0]]
    conn.execute(
        sa.insert(cp).values(
            course_period_id=new_id,
            course_id=base.course_id,
            school_id=GRADEBOOK_SCHOOL,
            syear=y,
            period_id=period_1,
            teacher_id=teachers[0],
            short_name="IMP-101",
            title="Period 1 - imported section",
            total_seats=30,
            imported_at=imported,
        )
    )
    moved = second[teachers[1]].course_period_id
    conn.execute(sa.update(cp).where(cp.c.course_period_id == moved).values(imported_at=imported))
    groups = []
    for n, teacher in enumerate(teachers, start=1):
        groups.append(
            dict(
                group_id=n,
                syear=y,
                school_id=GRADEBOOK_SCHOOL,
                teacher_id=teacher,
                period_id=period_1,
            )
        )
    conn.execute(sa.insert(gradebook_period_groups), groups)
    conn.execute(
        sa.insert(gradebook_group_sections),
        [
            dict(course_period_id=first[teachers[0]].course_period_id, group_id=1),
            dict(course_period_id=first[teachers[1]].course_period_id, group_id=2),
            dict(course_period_id=moved, group_id=2),
        ],
    )
