"""Populate Graduation Requirements Summary on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import graduation_requirements_summary as module
from job_library.jobs.sis.graduation_requirements_summary import (
    GraduationSummaryParams,
    PopulateGraduationRequirementsSummary,
)
from job_library.schemas.district import grade_levels
from job_library.schemas.enrollment import student_enrollment
from job_library.schemas.grades import course_history, grad_requirements, grad_requirements_summary
from tests.job_library.district import SYEAR, load
from tests.job_library.jobs_context import run_in_transaction

ENG, MATH, TOTAL = 1, 2, 3


def _district(engine) -> None:
    """Active on 28 Nov: 1 (09), 2 (12), 4 (11 at school 2; 05 at school 1 before), 5 (08),
    6 (10); 3 (10) left on 10 Nov. Requirements: English 4 (ENG), Math 4 (MATH), Total 6.
    History: 1 ENG 1 + 1 (one of last year), MATH 0.5; 2 ENG four times 1 (exactly 4),
    MATH 3.5, ART 1 (no requirement); 3 ENG 1; 4 MATH 5; 5 ENG 1; 6 nothing."""
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(grade_levels),
            [
                dict(grade_id=i, short_name=g, title=f"Grade {g}", sort_order=int(g))
                for i, g in ((2, "08"), (3, "09"), (4, "10"), (5, "11"), (6, "12"))
            ],
        )
        for enrollment, grade in ((1, 3), (2, 6), (3, 4), (5, 5), (6, 2), (8, 4)):
            conn.execute(
                sa.update(student_enrollment)
                .where(student_enrollment.c.id == enrollment)
                .values(grade_id=grade)
            )
        conn.execute(
            sa.insert(grad_requirements),
            [
                dict(
                    requirement_id=ENG,
                    title="English",
                    subject="ENG",
                    credits_required=4,
                    sort_order=1,
                ),
                dict(
                    requirement_id=MATH,
                    title="Math",
                    subject="MATH",
                    credits_required=4,
                    sort_order=2,
                ),
                dict(
                    requirement_id=TOTAL,
                    title="Total",
                    subject=None,
                    credits_required=6,
                    sort_order=3,
                ),
            ],
        )
        history = [
            (1, SYEAR, "ENG", 1),
            (1, 2025, "ENG", 1),
            (1, SYEAR, "MATH", 0.5),
            *((2, SYEAR, "ENG", 1) for _ in range(4)),
            (2, SYEAR, "MATH", 3.5),
            (2, SYEAR, "ART", 1),
            (3, SYEAR, "ENG", 1),
            (4, SYEAR, "MATH", 5),
            (5, SYEAR, "ENG", 1),
        ]
        conn.execute(
            sa.insert(course_history),
            [
                dict(
                    student_id=s,
                    syear=y,
                    school_id=1,
                    course_title=subject.title(),
                    credits_earned=c,
                    grad_subject=subject,
                )
                for s, y, subject, c in history
            ],
        )


# (student, requirement): (grade, required, earned, remaining, met)
EXPECTED = {
    (1, ENG): ("09", 4, 2, 2, False),
    (1, MATH): ("09", 4, 0.5, 3.5, False),
    (1, TOTAL): ("09", 6, 2.5, 3.5, False),
    (2, ENG): ("12", 4, 4, 0, True),
    (2, MATH): ("12", 4, 3.5, 0.5, False),
    (2, TOTAL): ("12", 6, 8.5, 0, True),
    (4, ENG): ("11", 4, 0, 4, False),
    (4, MATH): ("11", 4, 5, 0, True),
    (4, TOTAL): ("11", 6, 5, 1, False),
    (6, ENG): ("10", 4, 0, 4, False),
    (6, MATH): ("10", 4, 0, 4, False),
    (6, TOTAL): ("10", 6, 0, 6, False),
}


def _summary(engine) -> dict[tuple[int, int], tuple]:
    t = grad_requirements_summary
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t)).all()
    return {
        (r.student_id, r.requirement_id): (
            r.grade_level,
            float(r.credits_required),
            float(r.credits_earned),
            float(r.credits_remaining),
            bool(r.met),
        )
        for r in rows
    }


def _run(engine, **params):
    return run_in_transaction(
        engine, PopulateGraduationRequirementsSummary(), GraduationSummaryParams(**params)
    )


def test_summary_of_grades_9_to_12(db):
    _district(db)
    result = _run(db)
    assert _summary(db) == EXPECTED
    assert result.success
    assert result.counts == {
        "students": 4,
        "inserted": 12,
        "updated": 0,
        "unmatched_subjects": 1,
    }
    assert result.summary == (
        "Graduation requirements summary of 4 student(s) in grades 09, 10, 11, 12: 12 row(s) "
        "added, 0 updated."
    )
    assert "student 2 (Last2, First2, grade 12) English: earned - -> 4 of 4, met" in result.text
    assert "1 course history record(s) of subject 'ART' count toward no subject" in result.text


def test_second_run_changes_nothing_and_new_credits_update_rows(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["inserted"] + again.counts["updated"] == 0
    assert again.summary == (
        "The summary of 4 student(s) in grades 09, 10, 11, 12 was already up to date; "
        "nothing changed."
    )
    with db.begin() as conn:
        conn.execute(
            sa.insert(course_history).values(
                student_id=1,
                syear=SYEAR,
                school_id=1,
                course_title="Math",
                credits_earned=3.5,
                grad_subject="MATH",
            )
        )
    third = _run(db)
    assert third.counts["updated"] == 2
    assert _summary(db) == {
        **EXPECTED,
        (1, MATH): ("09", 4, 4, 0, True),
        (1, TOTAL): ("09", 6, 6, 0, True),
    }
    assert "student 1 (Last1, First1, grade 09) Math: earned 0.5 -> 4 of 4, met" in third.text


def test_chosen_grades_only(db):
    _district(db)
    result = _run(db, grades=["08"])
    assert _summary(db) == {
        (5, ENG): ("08", 4, 1, 3, False),
        (5, MATH): ("08", 4, 0, 4, False),
        (5, TOTAL): ("08", 6, 1, 5, False),
    }
    assert result.counts["students"] == 1


def test_unknown_grade_is_reported_and_nothing_written(db):
    _district(db)
    result = _run(db, grades=["12", "13"])
    assert not result.success
    assert result.summary == (
        "grades ['13']: no such grade level; pick short names from Grade Levels. "
        "No summary row was written."
    )
    assert _summary(db) == {}


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=5)
    assert result.html.count("<tr><td>") == 5
    assert "... and 7 more (listing capped at 5)." in result.text


def test_a_failure_midway_leaves_the_summary_as_it_was(db, monkeypatch):
    _district(db)
    _run(db, grades=["08"])
    before = _summary(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _summary(db) == before
