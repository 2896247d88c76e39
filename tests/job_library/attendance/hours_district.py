"""Sections and schedule records on top of tests.job_library.district.load, for the hours jobs.

School 1 sections: 101 (P1, period 11, 60 min), 102 (P2, period 12), 103 (P4, period 14),
104 (period 17, 50 min), 105 and 106 (P5, period 15). School 2: 201 (P3, period 23).
Attendance from ``load``: student 2 absent every period 3 Nov (A), P1 and P2 4 Nov (E),
tardy P1 5 Nov, absent P4 6 Nov; student 3 absent before enrolling (4 Nov) and suspended 9
Nov (an excused code); student 4 absent period 23 on 10 Nov; student 1 marked present P2
9 Nov. Added here: student 1 absent in period 15 on 10 Nov for section 106 (not his) and on
12 Nov for section 105 (his).
"""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schemas.attendance import attendance_period
from job_library.schemas.district import school_periods
from job_library.schemas.scheduling import course_periods, courses, schedule
from tests.job_library.district import SYEAR, A, d

# schedule id -> (student, school, section, start, end)
SCHEDULE = {
    1: (1, 1, 101, d(2), None),
    2: (2, 1, 101, d(2), None),
    3: (2, 1, 103, d(2), None),
    4: (2, 1, 104, d(2), None),
    5: (3, 1, 102, d(2), None),  # enrolled 5-10 Nov only
    6: (4, 1, 101, d(2), d(6)),  # dropped when the student moved to school 2
    7: (4, 2, 201, d(9), None),
    8: (1, 1, 102, d(9), d(13)),  # starts 9 Nov, ends on the run date 13 Nov
    9: (6, 1, 101, d(20), None),  # starts after the run date
    10: (1, 2, 201, d(2), None),  # student 1 has no enrollment at school 2
    11: (1, 1, 105, d(2), None),
}
SECTION_PERIOD = {101: 11, 102: 12, 103: 14, 104: 17, 105: 15, 106: 15, 201: 23}


def load_hours(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=17,
                    school_id=1,
                    syear=SYEAR,
                    short_name="P7",
                    title="Period 7",
                    sort_order=7,
                    length_minutes=50,
                    attendance=True,
                )
            ],
        )
        conn.execute(
            sa.insert(courses),
            [
                dict(
                    course_id=1,
                    school_id=1,
                    syear=SYEAR,
                    title="Welding 1",
                    short_name="WLD1",
                    program_number="I480500",
                ),
                dict(
                    course_id=2,
                    school_id=2,
                    syear=SYEAR,
                    title="Art",
                    short_name="ART",
                    program_number=None,
                ),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=cp,
                    course_id=1 if cp < 200 else 2,
                    school_id=1 if cp < 200 else 2,
                    syear=SYEAR,
                    period_id=period,
                    short_name=str(cp),
                    title=f"Section {cp}",
                )
                for cp, period in SECTION_PERIOD.items()
            ],
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    id=i,
                    student_id=student,
                    syear=SYEAR,
                    school_id=school,
                    course_id=1 if cp < 200 else 2,
                    course_period_id=cp,
                    start_date=start,
                    end_date=end,
                )
                for i, (student, school, cp, start, end) in SCHEDULE.items()
            ],
        )
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(
                    student_id=1,
                    school_date=d(10),
                    period_id=15,
                    attendance_code=A,
                    course_period_id=106,
                ),
                dict(
                    student_id=1,
                    school_date=d(12),
                    period_id=15,
                    attendance_code=A,
                    course_period_id=105,
                ),
            ],
        )


def schedule_values(engine: sa.Engine, *columns: str) -> dict[int, tuple]:
    """{schedule id: (column values as floats or None)}."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(schedule.c.id, *(schedule.c[c] for c in columns)).order_by(schedule.c.id)
        ).all()
    return {r[0]: tuple(None if v is None else float(v) for v in r[1:]) for r in rows}
