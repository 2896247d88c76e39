"""Update Teacher Certification on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.scheduling import update_teacher_certification as module
from job_library.jobs.scheduling.update_teacher_certification import (
    UpdateTeacherCertification,
    UpdateTeacherCertificationParams,
)
from job_library.schemas.district import staff
from job_library.schemas.florida import course_cert_requirements, teacher_certifications
from job_library.schemas.scheduling import course_periods, courses
from tests.job_library.district import SYEAR, load, load_sections
from tests.job_library.jobs_context import run_in_transaction

TODAY = dt.date(2026, 11, 28)  # the run day of run_in_transaction
OPEN = dt.date(2020, 1, 1)


def _district(engine) -> None:
    """Courses: 1 (1205040) any 130-group cert, or group 130 with scope L; 2 (2002100) full
    code 20011, any scope; 5 no requirements; 6 (2003340) full code 20033 with scope S.

    Sections of the year: 1 course 1 Smith (13099, scope G: group, scope ignored) -> IN;
    2 course 1 Jones (13055, scope A: counts, no requirement names A) -> OUT; 3 no teacher
    (was IN) -> empty; 4 course 2 Smith (20011 ending on the run day) -> IN; 7 course 1 Lee
    (13077, scope L, named by a requirement) -> IN; 8 course 2 Park (20011 from tomorrow) ->
    OUT; 9 course 2 Wu (20011 ended yesterday) -> OUT; 10 course 5 Smith (was OUT) -> empty;
    11 course 6 Smith (20033 with scope M) -> OUT. Section 5 is last year's (OUT, kept).
    Bad certifications: Wu's that ends before it starts, and Park's code '13'.
    """
    load(engine)
    load_sections(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(staff),
            [
                dict(staff_id=3, first_name="Cy", last_name="Lee"),
                dict(staff_id=4, first_name="Di", last_name="Park"),
                dict(staff_id=5, first_name="Ed", last_name="Wu"),
            ],
        )
        for course, number in ((1, "1205040"), (2, "2002100")):
            conn.execute(
                sa.update(courses).where(courses.c.course_id == course).values(course_number=number)
            )
        conn.execute(
            sa.insert(courses),
            [
                dict(
                    course_id=5,
                    school_id=1,
                    syear=SYEAR,
                    title="Study",
                    short_name="ST",
                    course_number=None,
                ),
                dict(
                    course_id=6,
                    school_id=1,
                    syear=SYEAR,
                    title="Biology",
                    short_name="BIO",
                    course_number="2003340",
                ),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=i,
                    course_id=c,
                    school_id=1,
                    syear=SYEAR,
                    period_id=p,
                    teacher_id=t,
                    short_name=f"{i:02d}",
                    title=f"Section {i}",
                )
                for i, c, p, t in (
                    (7, 1, 14, 3),
                    (8, 2, 15, 4),
                    (9, 2, 16, 5),
                    (10, 5, 11, 1),
                    (11, 6, 12, 1),
                )
            ],
        )
        for section, status in ((3, "IN"), (10, "OUT"), (5, "OUT")):
            conn.execute(
                sa.update(course_periods)
                .where(course_periods.c.course_period_id == section)
                .values(cert_status=status)
            )
        conn.execute(
            sa.insert(course_cert_requirements),
            [
                dict(course_number=n, cert_code=c, scope=s)
                for n, c, s in (
                    ("1205040", "130", None),
                    ("1205040", "130", "L"),
                    ("2002100", "20011", None),
                    ("2003340", "20033", "S"),
                )
            ],
        )
        conn.execute(
            sa.insert(teacher_certifications),
            [
                dict(staff_id=s, cert_code=c, scope=sc, valid_from=f, valid_to=t)
                for s, c, sc, f, t in (
                    (1, "13099", "G", OPEN, None),
                    (1, "20011", "X", OPEN, TODAY),
                    (1, "20033", "M", OPEN, None),
                    (2, "13055", "A", OPEN, None),
                    (3, "13077", "L", OPEN, None),
                    (4, "20011", None, TODAY + dt.timedelta(days=1), None),
                    (4, "13", None, OPEN, None),
                    (5, "20011", None, OPEN, TODAY - dt.timedelta(days=1)),
                    (5, "20011", None, dt.date(2026, 12, 1), dt.date(2026, 1, 1)),
                )
            ],
        )


BEFORE = {i: None for i in (1, 2, 4, 7, 8, 9, 11)} | {3: "IN", 10: "OUT", 5: "OUT"}
AFTER = {
    1: "IN",
    2: "OUT",
    3: None,
    4: "IN",
    5: "OUT",
    7: "IN",
    8: "OUT",
    9: "OUT",
    10: None,
    11: "OUT",
}


def _statuses(engine) -> dict[int, str | None]:
    cp = course_periods
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(cp.c.course_period_id, cp.c.cert_status)).all())


def _certification_id(engine, staff_id: int, code: str, latest_start: bool = False) -> int:
    tc = teacher_certifications
    order = tc.c.valid_from.desc() if latest_start else tc.c.valid_from
    query = sa.select(tc.c.id).where(tc.c.staff_id == staff_id, tc.c.cert_code == code)
    with engine.connect() as conn:
        return conn.execute(query.order_by(order).limit(1)).scalar_one()


def _run(engine, **params):
    return run_in_transaction(
        engine, UpdateTeacherCertification(), UpdateTeacherCertificationParams(**params)
    )


def test_every_rule_of_the_certification_status(db):
    _district(db)
    assert _statuses(db) == BEFORE
    result = _run(db)
    assert _statuses(db) == AFTER
    assert result.success
    assert result.counts == {
        "sections": 9,
        "changed": 9,
        "in_field": 3,
        "out_of_field": 4,
        "bad_certifications": 2,
    }
    assert result.summary == (
        "Changed the certification status of 9 of 9 section(s) of 2026: 3 in field, 4 out of field."
    )
    assert "section 2 (P1 - 02 - Smith, Ann, course 1205040, teacher Jones, Bo): - -> OUT" in (
        result.text
    )
    assert "section 3 (P3 - 03 - Smith, Ann, course 1205040, teacher -): IN -> -" in result.text
    # Postgres does not restart the id sequence between tests: read the two bad rows' ids.
    short, backwards = _certification_id(db, 4, "13"), _certification_id(db, 5, "20011", True)
    assert f"certification {short} of staff 4 never counts: code '13' is shorter than three" in (
        result.text
    )
    assert (
        f"certification {backwards} of staff 5 never counts: it ends on 2026-01-01 before it "
        "starts"
    ) in result.text
    assert "<tr><td>10</td><td></td><td>Section 10</td><td>Smith, Ann</td><td>OUT</td>" in (
        result.html
    )


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert _statuses(db) == AFTER
    assert again.counts["changed"] == 0
    assert again.summary == (
        "All 9 section(s) of 2026 already had the right certification status; nothing changed."
    )


def test_only_the_chosen_schools(db):
    _district(db)
    result = _run(db, schools=[2])
    assert _statuses(db) == {**BEFORE, 4: "IN"}
    assert result.counts["changed"] == 1


def test_a_new_import_is_picked_up(db):
    _district(db)
    _run(db)
    with db.begin() as conn:  # Jones gets an A-scoped requirement of his own group
        conn.execute(
            sa.insert(course_cert_requirements).values(
                course_number="1205040", cert_code="130", scope="A"
            )
        )
    result = _run(db)
    assert _statuses(db) == {**AFTER, 2: "IN"}
    assert result.counts["changed"] == 1


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 7 more (listing capped at 2)." in result.text
    # Two unusable certifications (Park's, Wu's): one listed, the other counted.
    one = _run(db, max_listed=1)
    assert one.counts["bad_certifications"] == 2
    assert " of staff 4 never counts: code '13'" in one.text  # the lower id
    assert " of staff 5 " not in one.text
    assert "  ... and 1 more unusable certification(s) (listing capped at 1)." in one.text
    none = _run(db, max_listed=0)
    assert none.counts["bad_certifications"] == 2
    assert "never counts" not in none.text
    assert "  ... and 2 more unusable certification(s) (listing capped at 0)." in none.text


def test_bad_year_or_school_is_reported(db):
    _district(db)
    result = _run(db, syear=1999)
    assert not result.success
    assert result.summary.startswith("school year 1999: no such school year")
    result = _run(db, schools=[9])
    assert "schools [9]: no such school id" in result.summary
    assert _statuses(db) == BEFORE


def test_a_failure_midway_leaves_the_statuses_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _statuses(db) == BEFORE
