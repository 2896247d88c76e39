"""The demo district (`focus-jobs demo`, and what `make run` seeds) on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from include import cli
from include.demo_district import REFERENCE_DAY, DemoYear, generate
from job_library.jobs.sis.parse_addresses import ParseAddresses, ParseAddressesParams
from job_library.jobs.sis.set_zoned_school import SetZonedSchool, SetZonedSchoolParams
from job_library.schema import student_addresses, users
from job_library.schemas.attendance import attendance_day
from job_library.schemas.district import (
    attendance_calendar,
    grade_levels,
    school_grade_levels,
    school_years,
)
from job_library.schemas.enrollment import student_enrollment, students
from tests.job_library.district import USERS, fingerprint, load_users
from tests.job_library.jobs_context import run_in_transaction

N = 120


def _count(conn, table, *where) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_the_district_has_what_a_district_has(db):
    district = generate(db, N, today=REFERENCE_DAY)
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
    generate(db, N, today=REFERENCE_DAY)
    first = fingerprint(db)
    generate(db, N, today=REFERENCE_DAY)  # replaces the district in place
    assert fingerprint(db) == first
    generate(db, N + 1, today=REFERENCE_DAY)
    assert fingerprint(db) != first


def test_the_demo_users_are_replaced_and_others_kept(db):
    """Its Focus users come back the same on every run; users it did not make stay."""

    def rows():
        with db.connect() as conn:
            return conn.execute(sa.select(users).order_by(users.c.user_id)).all()

    generate(db, N, today=REFERENCE_DAY)
    load_users(db)
    first = rows()
    assert {r.user_id for r in first} >= set(USERS)
    assert len(first) == len(USERS) + 6
    with db.begin() as conn:  # someone renamed a demo user
        conn.execute(sa.update(users).where(users.c.user_id == 9001).values(email="x@y.example"))
    generate(db, N, today=REFERENCE_DAY)
    assert rows() == first


def test_the_addresses_match_the_address_catalog(db):
    """Parse Addresses reads every demo address, and Set Zoned School then zones every
    active enrollment of a zoning grade."""
    generate(db, N, today=REFERENCE_DAY)
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
        generate(db, 0, today=REFERENCE_DAY)


def test_seed_demo_seeds_an_empty_database_once(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: db)
    assert cli.main(["seed-demo", "--students", "40", "--today", "2026-01-22"]) == 0
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


@pytest.mark.parametrize(
    ("today", "syear", "first_day", "as_of"),
    [
        # In the year: attendance through the school day before today.
        (dt.date(2026, 1, 22), 2025, dt.date(2025, 8, 11), dt.date(2026, 1, 21)),
        (dt.date(2026, 11, 30), 2026, dt.date(2026, 8, 10), dt.date(2026, 11, 20)),
        # Thanksgiving week and a Monday: the Friday before is the last day taken.
        (dt.date(2027, 1, 4), 2026, dt.date(2026, 8, 10), dt.date(2026, 12, 21)),
        # June, after the last school day: still that year, every day taken.
        (dt.date(2027, 6, 20), 2026, dt.date(2026, 8, 10), dt.date(2027, 5, 19)),
        # July: the year about to start (first day on the Monday on or after 8 August).
        (dt.date(2027, 7, 15), 2027, dt.date(2027, 8, 9), dt.date(2027, 8, 9)),
        (dt.date(2028, 8, 1), 2028, dt.date(2028, 8, 14), dt.date(2028, 8, 14)),
    ],
)
def test_the_demo_year_contains_today_or_starts_next(today, syear, first_day, as_of):
    year = DemoYear(today)
    assert (year.syear, year.first_day, year.as_of) == (syear, first_day, as_of)
    assert len(year.school_days) == 180
    assert all(d.weekday() < 5 for d in year.school_days)
    assert dt.date(syear, 7, 1) <= year.school_days[0]
    assert year.school_days[-1] <= dt.date(syear + 1, 6, 30)
    rollover = next(j for j in cli.demo_jobs(today) if j["class"] == "rollover")
    assert rollover["id"] == f"rollover-{syear + 1}"
    assert rollover["start_date"] == f"{syear + 1}-06-01"
    next_first = DemoYear(dt.date(syear + 1, 7, 1)).first_day
    assert rollover["params"]["enrollment_date"] == next_first.isoformat()
    assert next_first.year == syear + 1 and next_first.month == 8


def test_the_district_seeded_today_holds_today(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_engine", lambda: db)
    assert cli.main(["seed-demo", "--students", "30"]) == 0
    out = capsys.readouterr().out
    year = DemoYear(dt.date.today())
    assert f"Demo district as of {year.as_of:%Y-%m-%d}" in out
    with db.connect() as conn:
        default = conn.execute(
            sa.select(school_years.c.start_date, school_years.c.end_date).where(
                school_years.c.is_default == sa.true()
            )
        ).one()
    start, end = (d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in default)
    assert start <= max(dt.date.today(), year.first_day) <= end
