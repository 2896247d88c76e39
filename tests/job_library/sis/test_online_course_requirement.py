"""Online Course Req. Populate Student Field on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import online_course_requirement as module
from job_library.jobs.sis.online_course_requirement import (
    OnlineCourseReqParams,
    OnlineCourseReqPopulateStudentField,
)
from job_library.platform_schema import custom_field_log
from job_library.schemas.district import grade_levels
from job_library.schemas.enrollment import student_enrollment
from job_library.schemas.grades import course_history, graduation_waivers
from job_library.student_fields import (
    FieldType,
    RecordTable,
    StudentField,
    StudentFields,
    define_field,
)
from tests.job_library.district import SYEAR, load
from tests.job_library.jobs_context import run_in_transaction

FIELD = StudentField(
    3001,
    "online_course_req",
    "Online Course Requirement",
    FieldType.TEXT,
    RecordTable.STUDENTS,
    True,
)
TODAY = dt.date(2026, 11, 28)


def _district(engine) -> None:
    """Active on 28 Nov: 1 (09), 2 (12), 4 (11), 6 (10); 5 (08); 3 (10) left on 10 Nov.

    1: an online course with 0.5 credit and a waiver (Yes wins); 2: an online course failed
    (0 credits) and a waiver granted on the run day (Exempt); 4: a waiver from tomorrow and
    a classroom course (No); 6: nothing, already No; 5 (grade 08): an online course, value
    'Junk'; 3: left, value 'Yes'."""
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
            sa.insert(course_history),
            [
                dict(
                    student_id=s,
                    syear=SYEAR,
                    school_id=1,
                    course_title=t,
                    credits_earned=c,
                    online=online,
                )
                for s, t, c, online in (
                    (1, "Virtual Econ", 0.5, True),
                    (2, "Virtual Art", 0, True),
                    (4, "Biology", 1, False),
                    (5, "Virtual Health", 1, True),
                )
            ],
        )
        conn.execute(
            sa.insert(graduation_waivers),
            [
                dict(student_id=1, requirement="online_course", granted_on=dt.date(2026, 9, 1)),
                dict(student_id=2, requirement="online_course", granted_on=TODAY),
                dict(
                    student_id=4,
                    requirement="online_course",
                    granted_on=TODAY + dt.timedelta(days=1),
                ),
                dict(student_id=6, requirement="other", granted_on=dt.date(2026, 9, 1)),
            ],
        )
        define_field(conn, FIELD)
        StudentFields(conn, changed_by="setup").write(FIELD.alias, {6: "No", 5: "Junk", 3: "Yes"})


BEFORE = {6: "No", 5: "Junk", 3: "Yes"}
AFTER = {1: "Yes", 2: "Exempt", 4: "No", 6: "No", 5: "Junk", 3: "Yes"}


def _values(engine) -> dict[int, str]:
    with engine.connect() as conn:
        return StudentFields(conn, changed_by="test").read(FIELD.alias)


def _run(engine, **params):
    return run_in_transaction(
        engine, OnlineCourseReqPopulateStudentField(), OnlineCourseReqParams(**params)
    )


def test_yes_exempt_and_no(db):
    _district(db)
    result = _run(db)
    assert _values(db) == AFTER
    assert result.success
    assert result.counts == {"students": 4, "changed": 3, "yes": 1, "exempt": 1, "no": 2}
    assert result.summary == ("Set online_course_req of 3 of 4 student(s) (1 Yes, 1 Exempt, 2 No).")
    assert "student 2 (Last2, First2): - -> Exempt" in result.text
    with db.connect() as conn:
        logged = conn.execute(
            sa.select(custom_field_log.c.record_id, custom_field_log.c.changed_by).where(
                custom_field_log.c.changed_by != "setup"
            )
        ).all()
    assert sorted(logged) == [(1, "job test-job"), (2, "job test-job"), (4, "job test-job")]


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["changed"] == 0
    assert again.summary == (
        "online_course_req of all 4 student(s) was already right (1 Yes, 1 Exempt, 2 No); "
        "nothing changed."
    )
    assert _values(db) == AFTER


def test_chosen_grades_and_field_by_number(db):
    _district(db)
    result = _run(db, grades=["08"], field="custom_3001")
    assert _values(db) == {**BEFORE, 5: "Yes"}
    assert "student 5 (Last5, First5): Junk -> Yes" in result.text


def test_bad_input_is_reported_and_nothing_written(db):
    _district(db)
    missing = _run(db, field="no_such_field")
    assert not missing.success
    assert "no student field with alias 'no_such_field'" in missing.summary
    with db.begin() as conn:
        define_field(
            conn,
            StudentField(3002, "online_flag", "Online", FieldType.FLAG, RecordTable.STUDENTS),
        )
    flag = _run(db, field="online_flag")
    assert flag.summary == (
        "student field online_flag (custom_3002) is a flag field and cannot hold No, Yes or "
        "Exempt; pick a text field. No student was updated."
    )
    grade = _run(db, grades=["14"])
    assert grade.summary.startswith("grades ['14']: no such grade level")
    assert _values(db) == BEFORE


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 2 more (listing capped at 1)." in result.text


def test_a_failure_midway_leaves_the_field_as_it_was(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _values(db) == BEFORE
