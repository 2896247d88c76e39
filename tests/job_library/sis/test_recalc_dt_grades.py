"""Recalc DT Grades Fix on SQLite and Postgres, worked out by hand (run day 28 Nov 2026: the
second quarter at both schools).

Section 1 (school 1, unweighted): Q1 a1 Tests 100 pts, a2 Homework 20; Q2 a3 Tests 50, a4
Homework 10, a5 worth 0 pts. Student 1: 90, 18, 40, 10, 5 -> DT Q1 108/120 = 90.00, DT Q2
50/60 = 83.33, Dy Q1 90.00, Dy Q2 158/180 = 87.78. Student 2: 80, exempt, not graded, 5 ->
DT Q1 80/100 = 80.00, DT Q2 5/10 = 50.00, Dy Q1 80.00, Dy Q2 85/110 = 77.27.
Section 4 (school 2, weighted Tests 70, Labs 30, Participation without weight): Q2 a6 Tests
50, a7 Labs 20, a8 Participation 10. Student 4: 40, 10, 10 -> (70 * 0.8 + 30 * 0.5) / 100 =
71.00 (DT and Dy). Student 5: 45, not graded -> 70 * 0.9 / 70 = 90.00.
Section 2 has no assignments."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import recalc_dt_grades as module
from job_library.jobs.sis.recalc_dt_grades import RecalcDtGrades, RecalcDtGradesParams
from job_library.schemas.grades import (
    gradebook_assignments,
    gradebook_categories,
    gradebook_config,
    gradebook_grades,
    gradebook_running_grades,
    marking_periods,
)
from tests.job_library.district import load, load_sections
from tests.job_library.jobs_context import run_in_transaction

Q = dt.date
# id: (school, type, short name, start, end)
PERIODS = {
    1: (1, "QTR", "Q1", Q(2026, 8, 10), Q(2026, 10, 9)),
    2: (1, "QTR", "Q2", Q(2026, 10, 12), Q(2026, 12, 18)),
    3: (1, "QTR", "Q3", Q(2027, 1, 5), Q(2027, 3, 12)),
    11: (2, "QTR", "Q1", Q(2026, 8, 10), Q(2026, 10, 9)),
    12: (2, "QTR", "Q2", Q(2026, 10, 12), Q(2026, 12, 18)),
    20: (1, "SEM", "S1", Q(2026, 8, 10), Q(2026, 12, 18)),
}
# id: (section, title, weight)
CATEGORIES = {
    1: (1, "Tests", 60),
    2: (1, "Homework", 40),
    3: (4, "Tests", 70),
    4: (4, "Labs", 30),
    5: (4, "Participation", None),
}
# id: (section, category, marking period, points)
ASSIGNMENTS = {
    1: (1, 1, 1, 100),
    2: (1, 2, 1, 20),
    3: (1, 1, 2, 50),
    4: (1, 2, 2, 10),
    5: (1, 2, 2, 0),
    6: (4, 3, 12, 50),
    7: (4, 4, 12, 20),
    8: (4, 5, 12, 10),
}
# (student, assignment, points, exempt)
GRADES = [
    (1, 1, 90, False),
    (1, 2, 18, False),
    (1, 3, 40, False),
    (1, 4, 10, False),
    (1, 5, 5, False),
    (2, 1, 80, False),
    (2, 2, 0, True),
    (2, 3, None, False),
    (2, 4, 5, False),
    (4, 6, 40, False),
    (4, 7, 10, False),
    (4, 8, 10, False),
    (5, 6, 45, False),
    (5, 7, None, False),
]
# (student, section, marking period, type) -> percent
STORED = {
    (1, 1, 1, "DT"): 90.0,  # right
    (1, 1, 2, "DT"): 80.0,  # wrong: 83.33
    (2, 1, 1, "DT"): 80.0,  # right
    (3, 1, 2, "DT"): 70.0,  # student 3 has no scores
    (1, 2, 1, "DT"): 60.0,  # section 2 has no assignments
    (1, 2, 2, "DT"): 75.0,
    (1, 2, 2, "Dy"): 75.0,
    (1, 1, 20, "DT"): 88.0,  # a semester: never recomputed
}
COMPUTED = {
    (1, 1, 1, "DT"): 90.0,
    (1, 1, 2, "DT"): 83.33,
    (1, 1, 1, "Dy"): 90.0,
    (1, 1, 2, "Dy"): 87.78,
    (2, 1, 1, "DT"): 80.0,
    (2, 1, 2, "DT"): 50.0,
    (2, 1, 1, "Dy"): 80.0,
    (2, 1, 2, "Dy"): 77.27,
    (4, 4, 12, "DT"): 71.0,
    (4, 4, 12, "Dy"): 71.0,
    (5, 4, 12, "DT"): 90.0,
    (5, 4, 12, "Dy"): 90.0,
}
BEFORE_RUN = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def _district(engine) -> None:
    load(engine)
    load_sections(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(marking_periods),
            [
                dict(
                    marking_period_id=i,
                    syear=2026,
                    school_id=s,
                    mp_type=kind,
                    short_name=name,
                    title=name,
                    start_date=start,
                    end_date=end,
                    sort_order=i,
                )
                for i, (s, kind, name, start, end) in PERIODS.items()
            ],
        )
        conn.execute(sa.insert(gradebook_config).values(course_period_id=4, weighted=True))
        conn.execute(
            sa.insert(gradebook_categories),
            [
                dict(category_id=i, course_period_id=cp, title=t, weight=w)
                for i, (cp, t, w) in CATEGORIES.items()
            ],
        )
        conn.execute(
            sa.insert(gradebook_assignments),
            [
                dict(
                    assignment_id=i,
                    course_period_id=cp,
                    category_id=c,
                    marking_period_id=mp,
                    title=f"Assignment {i}",
                    points=p,
                )
                for i, (cp, c, mp, p) in ASSIGNMENTS.items()
            ],
        )
        conn.execute(
            sa.insert(gradebook_grades),
            [dict(student_id=s, assignment_id=a, points=p, exempt=x) for s, a, p, x in GRADES],
        )
        conn.execute(
            sa.insert(gradebook_running_grades),
            [
                dict(
                    student_id=s,
                    course_period_id=cp,
                    marking_period_id=mp,
                    grade_type=kind,
                    percent=pct,
                    calculated_at=BEFORE_RUN,
                )
                for (s, cp, mp, kind), pct in STORED.items()
            ],
        )


def _stored(engine) -> dict[tuple, float]:
    r = gradebook_running_grades
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                r.c.student_id,
                r.c.course_period_id,
                r.c.marking_period_id,
                r.c.grade_type,
                r.c.percent,
            )
        ).all()
    return {tuple(row[:4]): float(row[4]) for row in rows}


def _run(engine, **params):
    return run_in_transaction(engine, RecalcDtGrades(), RecalcDtGradesParams(**params))


def test_recomputes_every_quarter_and_deletes_grades_of_sections_without_assignments(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert _stored(db) == {**COMPUTED, (1, 1, 20, "DT"): 88.0}
    assert dict(result.counts) == {
        "quarters": 4,
        "computed": 12,
        "inserted": 9,
        "updated": 1,
        "deleted": 4,
        "deleted_without_assignments": 3,
    }
    assert result.summary == (
        "Recomputed 12 running grade(s) in 4 quarter(s) of 2026: 9 added, 1 corrected, "
        "4 deleted (3 of sections without assignments)."
    )
    assert "student 1, section 1, marking period 2, DT: 80.00 -> 83.33" in result.text
    assert "student 1, section 2, marking period 1, DT: 60.00 -> deleted (no assignments)" in (
        result.text
    )
    assert "student 3, section 1, marking period 2, DT: 70.00 -> deleted" in result.text


def test_current_quarters_only(db):
    _district(db)
    result = _run(db, current_quarters_only=True)
    current = {k: v for k, v in COMPUTED.items() if k[2] in (2, 12)}
    kept = {k: v for k, v in STORED.items() if k[2] not in (2, 12)}
    assert _stored(db) == {**kept, **current}
    assert dict(result.counts) == {
        "quarters": 2,
        "computed": 8,
        "inserted": 7,
        "updated": 1,
        "deleted": 3,
        "deleted_without_assignments": 2,
    }
    assert result.summary.startswith("Recomputed 8 running grade(s) in 2 current quarter(s)")


def test_the_chosen_schools_only(db):
    _district(db)
    result = _run(db, schools=[2])
    assert _stored(db) == {**STORED, **{k: v for k, v in COMPUTED.items() if k[1] == 4}}
    assert result.counts["inserted"] == 4 and result.counts["deleted"] == 0


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    stored = _stored(db)
    again = _run(db)
    assert _stored(db) == stored
    assert again.summary == (
        "Recomputed 12 running grade(s) in 4 quarter(s) of 2026; every stored DT and Dy grade "
        "was right, nothing changed."
    )


def test_unknown_school_is_refused_with_the_reason(db):
    _district(db)
    result = _run(db, schools=[9])
    assert not result.success
    assert result.summary == (
        "schools [9]: no such school id; pick ids from the Schools list. Nothing was changed."
    )
    assert _stored(db) == STORED


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=3)
    assert result.html.count("<tr><td>") == 3
    assert "... and 11 more (listing capped at 3)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("connection lost while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _stored(db) == STORED


@pytest.mark.parametrize(
    ("day", "quarters", "computed", "inserted", "deleted"),
    [
        (Q(2026, 10, 9), 2, 4, 2, 1),  # Q1's last day: Q1 is current
        (Q(2026, 10, 12), 2, 8, 7, 3),  # Q2's first day: Q2 is current
    ],
)
def test_the_current_quarter_at_its_boundaries(db, day, quarters, computed, inserted, deleted):
    from zoneinfo import ZoneInfo

    _district(db)
    now = dt.datetime.combine(day, dt.time(2, 0), ZoneInfo("America/New_York"))
    result = run_in_transaction(
        db, RecalcDtGrades(), RecalcDtGradesParams(current_quarters_only=True), now=now
    )
    counts = result.counts
    assert (counts["quarters"], counts["computed"]) == (quarters, computed)
    assert (counts["inserted"], counts["deleted"]) == (inserted, deleted)
