"""The demo district (`focus-jobs demo`, and what `make run` seeds) on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from include import cli
from include.demo_district import generate
from job_library.jobs.sis.parse_addresses import ParseAddresses, ParseAddressesParams
from job_library.jobs.sis.set_zoned_school import SetZonedSchool, SetZonedSchoolParams
from job_library.schema import student_addresses
from job_library.schemas.attendance import attendance_day
from job_library.schemas.district import (
    attendance_calendar,
    grade_levels,
    school_grade_levels,
    school_years,
)
from job_library.schemas.enrollment import student_enrollment, students
from tests.job_library.district import fingerprint
from tests.job_library.jobs_context import run_in_transaction

N = 120


def _count(conn, table, *where) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_the_district_has_what_a_district_has(db):
    district = generate(db, N)
    with db.connect() as conn:
        assert _count(conn, students) == N
        assert district.counts["students"] == N
        # 8 schools, each with a 180-day calendar this year.
        per_calendar = conn.execute(
            sa.select(attendance_calendar.c.calendar_id, sa.func.count()).group_by(
                attendance_calendar.c.calendar_id
            )
        ).all()
        assert len(per_calendar) == 8 and {n for _, n in per_calendar} == {180}
        default = conn.execute(
            sa.select(school_years.c.syear).where(school_years.c.is_default == sa.true())
        ).scalar_one()
        # Every student is enrolled this year, at a school offering their grade.
        se, sgl = student_enrollment, school_grade_levels
        enrolled = _count(
            conn, sa.select(se.c.student_id).where(se.c.syear == default).distinct().subquery()
        )
        assert enrolled == N
        misplaced = _count(
            conn,
            se,
            ~sa.exists().where(sgl.c.school_id == se.c.school_id, sgl.c.grade_id == se.c.grade_id),
        )
        assert misplaced == 0
        grades = set(
            conn.execute(
                sa.select(grade_levels.c.short_name)
                .join(se, se.c.grade_id == grade_levels.c.grade_id)
                .distinct()
            ).scalars()
        )
        assert {"KG", "05", "09", "12", "AD"} <= grades
        # Attendance with absences (full and half days) and tardies.
        values = set(conn.execute(sa.select(attendance_day.c.state_value).distinct()).scalars())
        assert {float(v) for v in values} == {0.0, 0.5, 1.0}
        tardies = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM attendance_period ap JOIN attendance_codes c "
                "ON c.code_id = ap.attendance_code WHERE c.category = 'tardy'"
            )
        ).scalar_one()
        assert tardies > 0
        assert _count(conn, sa.table("schedule")) > N  # several sections per student
        assert _count(conn, sa.table("student_tests")) > 0
        assert _count(conn, student_addresses) == N


def test_the_same_count_gives_the_same_district(db):
    generate(db, N)
    first = fingerprint(db)
    generate(db, N)  # replaces the district in place
    assert fingerprint(db) == first
    generate(db, N + 1)
    assert fingerprint(db) != first


def test_the_addresses_match_the_address_catalog(db):
    """Parse Addresses reads every demo address, and Set Zoned School then zones every
    active enrollment of a zoning grade."""
    generate(db, N)
    now = dt.datetime(2026, 1, 21, 23, 0, tzinfo=dt.UTC)  # the demo's "today"
    parsed = run_in_transaction(db, ParseAddresses(), ParseAddressesParams(), now=now)
    assert dict(parsed.counts) == {
        "considered": N,
        "parsed": N,
        "changed": N,
        "not_in_catalog": 0,
        "unreadable": 0,
    }
    zoned = run_in_transaction(db, SetZonedSchool(), SetZonedSchoolParams(), now=now)
    assert zoned.counts["unmatched"] == 0
    assert zoned.counts["matched"] == zoned.counts["checked"] > 0


def test_a_count_below_one_is_refused(db):
    with pytest.raises(ValueError, match="students 0: give at least 1 student"):
        generate(db, 0)


def test_seed_demo_seeds_an_empty_database_once(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: db)
    assert cli.main(["seed-demo", "--students", "40"]) == 0
    out = capsys.readouterr().out
    assert "Demo district as of 2026-01-21: 8 schools, 40 students" in out
    with db.connect() as conn:
        assert _count(conn, students) == 40
    first = fingerprint(db)
    # A second seed (the next `make run`) leaves the district, even when asked for more.
    assert cli.main(["seed-demo", "--students", "60"]) == 0
    assert (
        "Demo district: 40 students already present, left as they are." in capsys.readouterr().out
    )
    assert fingerprint(db) == first


def test_seed_demo_with_no_students_adds_no_district(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: db)
    assert cli.main(["seed-demo", "--students", "0"]) == 0
    assert "Demo district: not seeded (0 students asked for)." in capsys.readouterr().out
    with db.connect() as conn:
        assert _count(conn, students) == 0
