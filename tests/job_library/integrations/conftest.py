"""The Blackboard tests' district and their Blackboard Learn stand-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import job_library.http_client as http_client
from include.web_standins.blackboard import KEY, SECRET, BlackboardStandIn
from job_library.base import HttpEndpoint
from job_library.schemas.district import (
    attendance_calendars,
    grade_levels,
    school_periods,
    school_years,
    schools,
    staff,
)
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.integrations import sent_records
from job_library.schemas.scheduling import course_periods, courses


@pytest.fixture
def blackboard() -> Iterator[BlackboardStandIn]:
    fake = BlackboardStandIn()
    yield fake
    fake.stop()


@pytest.fixture
def bb_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


def bb_endpoints(fake: BlackboardStandIn, **extra):
    def lookup(conn_id: str) -> HttpEndpoint:
        assert conn_id == "blackboard_learn"
        return HttpEndpoint(conn_id, fake.url, KEY, SECRET, extra)

    return lookup


@pytest.fixture
def bb_district(db: sa.Engine) -> Iterator[sa.Engine]:
    """Students 1 and 2 at school 1, 3 at school 2 (2026); 4 enrolled only in 2025; teacher
    10 teaches sections 500 (school 1) and 501 (school 2); teacher 11 teaches nothing."""
    with db.begin() as conn:
        conn.execute(
            school_years.insert(),
            [
                {
                    "syear": y,
                    "title": f"{y}-{y + 1}",
                    "start_date": dt.date(y, 8, 1),
                    "end_date": dt.date(y + 1, 6, 30),
                    "is_default": y == 2026,
                }
                for y in (2025, 2026)
            ],
        )
        conn.execute(
            schools.insert(),
            [
                {
                    "school_id": s,
                    "title": f"School {s}",
                    "short_name": f"S{s}",
                    "school_number": f"000{s}",
                    "district_number": "9",
                }
                for s in (1, 2)
            ],
        )
        conn.execute(
            grade_levels.insert().values(grade_id=9, short_name="09", title="Ninth", sort_order=9)
        )
        conn.execute(
            attendance_calendars.insert(),
            [
                {"calendar_id": c, "school_id": s, "syear": y, "title": "Main"}
                for c, s, y in ((1, 1, 2026), (2, 2, 2026), (3, 1, 2025))
            ],
        )
        conn.execute(
            students.insert(),
            [
                {"student_id": i, "first_name": f, "last_name": "Stu"}
                for i, f in ((1, "Ann"), (2, "Bo"), (3, "Cy"), (4, "Di"))
            ],
        )
        conn.execute(
            student_enrollment.insert(),
            [
                {
                    "student_id": i,
                    "syear": y,
                    "school_id": s,
                    "grade_id": 9,
                    "calendar_id": c,
                    "start_date": dt.date(y, 8, 10),
                }
                for i, y, s, c in (
                    (1, 2026, 1, 1),
                    (2, 2026, 1, 1),
                    (3, 2026, 2, 2),
                    (4, 2025, 1, 3),
                )
            ],
        )
        conn.execute(
            staff.insert(),
            [
                {"staff_id": 10, "first_name": "Tess", "last_name": "Teach"},
                {"staff_id": 11, "first_name": "Idle", "last_name": "Ian"},
            ],
        )
        conn.execute(
            school_periods.insert(),
            [
                {
                    "period_id": p,
                    "school_id": s,
                    "syear": 2026,
                    "short_name": "P1",
                    "title": "P1",
                    "sort_order": 1,
                    "length_minutes": 60,
                }
                for p, s in ((1, 1), (2, 2))
            ],
        )
        conn.execute(
            courses.insert(),
            [
                {
                    "course_id": c,
                    "school_id": s,
                    "syear": 2026,
                    "title": "Algebra I",
                    "short_name": f"ALG{s}",
                }
                for c, s in ((50, 1), (51, 2))
            ],
        )
        conn.execute(
            course_periods.insert(),
            [
                {
                    "course_period_id": 500,
                    "course_id": 50,
                    "school_id": 1,
                    "syear": 2026,
                    "period_id": 1,
                    "teacher_id": 10,
                    "short_name": "01",
                    "title": "P1 - 01 - Teach",
                },
                {
                    "course_period_id": 501,
                    "course_id": 51,
                    "school_id": 2,
                    "syear": 2026,
                    "period_id": 2,
                    "teacher_id": 10,
                    "short_name": "01",
                    "title": "P1 - 01 - Teach",
                },
            ],
        )
    yield db
    with db.begin() as conn:
        conn.execute(sent_records.delete())
