"""Refresh Choice Data on SQLite and Postgres, worked out by hand.

Default year 2026 (enrollments of the shared district), next year 2027: student 1 enrolls at
school 2 (grade 06, zoned 2) for it. In 2026 student 1 is at school 1 (zoned 1), student 2 at
school 1 (zoned 2), student 4 moved from school 1 to school 2 (zoned 2) on 9 Nov, student 5 is
at school 1 with a second-school record at school 2, student 7 has no enrollment."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.sis import refresh_choice_data as module
from job_library.jobs.sis.refresh_choice_data import RefreshChoiceData, RefreshChoiceDataParams
from job_library.schemas.choice import (
    school_choice_application_status,
    school_choice_audit_log,
    school_choice_programs,
)
from job_library.schemas.district import attendance_calendars, grade_levels, school_years
from job_library.schemas.enrollment import student_enrollment, students
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

G05, G06 = 1, 2
# id: (student, year, program, status, current school, grade, zoned, next zoned)
APPS = {
    1: (1, 2026, 1, "Waiting", 2, G05, None, None),
    2: (2, 2026, 1, "Waiting", 1, G05, 2, None),  # already current
    3: (4, 2026, 2, "Accepted", 1, G05, None, None),
    4: (7, 2026, 1, "Waiting", 2, G05, 2, None),  # no enrollment: keeps its values
    5: (5, 2027, 2, "Waiting", None, None, None, None),
    6: (4, 2026, 1, "Waiting", 1, G05, None, None),
}


def _district(engine) -> None:
    load(engine)
    se = student_enrollment
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years).values(
                syear=2027,
                title="2027-2028",
                start_date=dt.date(2027, 7, 1),
                end_date=dt.date(2028, 6, 30),
            )
        )
        conn.execute(
            sa.insert(grade_levels).values(grade_id=G06, short_name="06", title="6", sort_order=6)
        )
        conn.execute(
            sa.insert(attendance_calendars).values(
                calendar_id=10, school_id=2, syear=2027, title="Main"
            )
        )
        conn.execute(sa.insert(students).values(student_id=7, first_name="First7", last_name="L7"))
        for enrollment, zoned in ((1, 1), (2, 2), (5, 2)):
            conn.execute(sa.update(se).where(se.c.id == enrollment).values(zoned_school_id=zoned))
        conn.execute(
            sa.insert(se).values(
                id=20,
                student_id=1,
                syear=2027,
                school_id=2,
                grade_id=G06,
                calendar_id=10,
                start_date=dt.date(2027, 8, 10),
                zoned_school_id=2,
            )
        )
        conn.execute(
            sa.insert(school_choice_programs),
            [
                dict(program_id=1, school_id=1, title="STEM Academy", program_type="Magnet"),
                dict(program_id=2, school_id=2, title="Dual Language", program_type="Choice"),
            ],
        )
        conn.execute(
            sa.insert(school_choice_application_status),
            [
                dict(
                    id=i,
                    student_id=s,
                    syear=y,
                    program_id=p,
                    status=st,
                    current_school_id=cs,
                    current_grade_id=g,
                    zoned_school_id=z,
                    next_zoned_school_id=nz,
                )
                for i, (s, y, p, st, cs, g, z, nz) in APPS.items()
            ],
        )


def _apps(engine) -> dict[int, tuple]:
    a = school_choice_application_status
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                a.c.id,
                a.c.current_school_id,
                a.c.current_grade_id,
                a.c.zoned_school_id,
                a.c.next_zoned_school_id,
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _audit(engine) -> list[tuple]:
    t = school_choice_audit_log
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(t.c.status_id, t.c.student_id, t.c.changes, t.c.logged_by).order_by(
                    t.c.status_id
                )
            )
        ]


BEFORE = {i: app[4:] for i, app in APPS.items()}


def _run(engine, **params):
    return run_in_transaction(engine, RefreshChoiceData(), RefreshChoiceDataParams(**params))


def test_refreshes_waiting_applications_of_the_default_year(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert _apps(db) == {**BEFORE, 1: (1, G05, 1, 2), 6: (2, G05, 2, None)}
    assert _audit(db) == [
        (
            1,
            1,
            "current school 2 -> 1; zoned school - -> 1; next year zoned school - -> 2",
            "job test-job",
        ),
        (6, 4, "current school 1 -> 2; zoned school - -> 2", "job test-job"),
    ]
    assert dict(result.counts) == {
        "checked": 4,
        "not_enrolled": 1,
        "refreshed": 2,
        "audit_rows": 2,
    }
    assert result.summary == (
        "Checked 4 application(s) (application year 2026, statuses Waiting), 1 of students "
        "without an enrollment this year; refreshed 2, each logged in the audit log."
    )
    assert (
        "student 4 (Last4, First4), application 6 (program 1, Waiting): current school 1 -> 2; "
        "zoned school - -> 2" in result.text
    )


def test_second_run_changes_nothing_and_logs_nothing(db):
    _district(db)
    _run(db)
    apps, audit = _apps(db), _audit(db)
    again = _run(db)
    assert _apps(db) == apps and _audit(db) == audit
    assert again.counts["refreshed"] == 0
    assert again.summary.endswith("every one was current, nothing changed.")


def test_chosen_statuses_and_a_status_nobody_has(db):
    _district(db)
    result = _run(db, statuses=["Waiting", "Accepted", "Wating"])
    assert _apps(db)[3] == (2, G05, 2, None)
    assert result.counts["checked"] == 5 and result.counts["refreshed"] == 3
    assert "No application of 2026 has the status(es) Wating" in result.text


def test_the_next_year(db):
    _district(db)
    result = _run(db, year="next")
    # Application 5 (2027): student 5's primary record of 2026, not the second school.
    assert _apps(db) == {**BEFORE, 5: (1, G05, None, None)}
    assert _audit(db) == [(5, 5, "current school - -> 1; current grade - -> 1", "job test-job")]
    assert result.counts["checked"] == 1


def test_bad_statuses_are_refused_with_the_reason():
    with pytest.raises(ValidationError, match="name at least one application status"):
        RefreshChoiceDataParams(statuses=["  "])
    with pytest.raises(ValidationError, match="Input should be 'default' or 'next'"):
        RefreshChoiceDataParams(year="last")


def test_no_default_year_fails_without_changes(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    result = _run(db)
    assert not result.success
    assert "no default school year is set" in result.summary
    assert _apps(db) == BEFORE


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 1 more (listing capped at 1)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("connection lost while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _apps(db) == BEFORE and _audit(db) == []
