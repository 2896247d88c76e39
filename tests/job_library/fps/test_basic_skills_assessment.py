"""Basic Skills Assessment on SQLite and Postgres, with values worked out by hand on top of the
adult education district of tests/job_library/fps/adult_ed.py."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import _basic_skills_work
from job_library.jobs.fps.basic_skills_assessment import (
    BasicSkillsAssessment,
    BasicSkillsAssessmentParams,
)
from job_library.platform_schema import custom_field_values
from job_library.preferences import Preferences
from job_library.schemas.fps import fps_basic_skills_minimums, fps_programs
from job_library.schemas.scheduling import course_periods, courses, schedule
from job_library.student_fields import FieldType, RecordTable, StudentField, define_field
from tests.job_library.district import ADULT_PERIOD, ADULT_SCHOOL, SYEAR, fingerprint
from tests.job_library.fps.adult_ed import add_tests, load_adult_ed, schedule_fields
from tests.job_library.jobs_context import run_in_transaction

CAREER, WELDING = "8000000", "8000100"
# Program minimums: (program, family, subject, score, level).
MINIMUMS = [
    (CAREER, "TABE", "MATH", 550, 5),
    (CAREER, "TABE", "READING", 560, 5),
    (CAREER, "TABE", "LANGUAGE", 540, 5),
    (CAREER, "CASAS", "MATH", 235, 5),
    (CAREER, "CASAS", "READING", 236, 5),
    (WELDING, "TABE", "MATH", 600, None),
]
# Records: id -> (student, course, start, end, Basic Skills Exam before the run)
RECORDS = {
    20: (11, 4, dt.date(2026, 9, 1), None, None),
    21: (12, 4, dt.date(2026, 9, 1), None, "E"),  # E is no exemption: replaced
    22: (13, 4, dt.date(2026, 9, 1), None, "W"),  # never replaced
    23: (14, 4, dt.date(2026, 9, 1), None, "N"),
    24: (15, 4, dt.date(2026, 9, 1), None, None),
    25: (17, 4, dt.date(2026, 9, 1), None, None),
    26: (16, 4, dt.date(2026, 9, 1), None, "N"),
    27: (15, 6, dt.date(2026, 9, 1), None, None),
    28: (12, 4, dt.date(2026, 8, 1), dt.date(2026, 11, 27), None),  # ended yesterday
    29: (12, 4, dt.date(2027, 1, 10), None, None),  # starts next term
}
# Tests on top of adult_ed's: TABE (3) parts 5 RDG, 6 MATH, 7 LANG; CJE (4); CL (5); CF (6).
TESTS = {
    20: (11, 3, dt.date(2026, 10, 1), {5: "560", 6: "550", 7: "539"}),
    21: (12, 3, dt.date(2026, 10, 1), {5: "560", 6: "550", 7: "540"}),
    22: (13, 3, dt.date(2026, 10, 1), {5: "300", 6: "300", 7: "300"}),
    23: (14, 4, dt.date(2026, 10, 1), {8: "70"}),
    24: (15, 5, dt.date(2026, 9, 15), {9: "236"}),
    25: (15, 6, dt.date(2026, 9, 15), {10: "235"}),
    26: (15, 3, dt.date(2026, 9, 15), {7: "540"}),
    27: (17, 3, dt.date(2026, 9, 15), {7: "545"}),
    28: (11, 3, dt.date(2026, 11, 29), {7: "700"}),  # tomorrow: not counted
}
LEVELS = {(14, 1): 5, (14, 2): 5, (27, 7): 5}  # student 17's CLW and TABE functional levels
TEST_FIELD = StudentField(900, "basic_skills_test", "Basic skills test", FieldType.TEXT,
                          RecordTable.STUDENTS)  # fmt: skip


def _district(engine):
    load_adult_ed(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(fps_programs), [dict(program_number=WELDING, title="Welding", cost_code="")]
        )
        conn.execute(
            sa.insert(fps_basic_skills_minimums),
            [
                dict(program_number=p, test_family=f, subject=s, min_score=sc, min_level=lv)
                for p, f, s, sc, lv in MINIMUMS
            ],
        )
        conn.execute(
            sa.insert(courses),
            [dict(course_id=6, school_id=ADULT_SCHOOL, syear=SYEAR, title="Welding",
                  short_name="WLD", program_number=WELDING)],
        )  # fmt: skip
        conn.execute(
            sa.insert(course_periods),
            [dict(course_period_id=6, course_id=6, school_id=ADULT_SCHOOL, syear=SYEAR,
                  period_id=ADULT_PERIOD, short_name="01", title="Welding")],
        )  # fmt: skip
        conn.execute(
            sa.insert(schedule),
            [
                dict(id=rid, student_id=s, syear=SYEAR, school_id=ADULT_SCHOOL, course_id=c,
                     course_period_id=c, start_date=start, end_date=end, basic_skills_exam=v)
                for rid, (s, c, start, end, v) in RECORDS.items()
            ],
        )  # fmt: skip
        add_tests(conn, TESTS, LEVELS)
        define_field(conn, TEST_FIELD)
        conn.execute(
            sa.insert(custom_field_values),
            [
                dict(field_id=900, record_id=15, value="CASAS"),
                dict(field_id=900, record_id=17, value="casas goals"),
                dict(field_id=900, record_id=16, value="ACT"),
                dict(field_id=900, record_id=12, value="TABE"),
            ],
        )


def _run(engine, **params):
    return run_in_transaction(
        engine, BasicSkillsAssessment(), BasicSkillsAssessmentParams(**params)
    )


def _values(engine) -> dict[int, str | None]:
    return {k: v[0] for k, v in schedule_fields(engine, "basic_skills_exam").items() if k >= 20}


EXPECTED = {
    20: "N",  # reading 560 and math 550 meet, language 539 is one short
    21: "Y",  # every TABE minimum met exactly
    22: "W",
    23: "H",  # a CJE test
    24: "Y",  # CASAS: CL reading 236, CF math 235; TABE language 540
    25: "N",  # CASAS reading 230 and math 100 are short
    26: "N",  # 'ACT' is no test the field may hold: left alone
    27: None,  # a CASAS student; the program has no CASAS math minimum: left alone
    28: None,  # ended yesterday
    29: "Y",  # a future record counts
}


def test_sets_basic_skills_from_tabe_and_casas(db):
    _district(db)
    result = _run(db)
    assert result.success, result.summary
    assert _values(db) == EXPECTED
    # Ten records: adult_ed's record 7 (student 16, this program) is one of them.
    assert dict(result.counts) == {
        "records": 10,
        "changed": 6,
        "kept": 1,
        "set_y": 3,
        "set_n": 2,
        "set_h": 1,
        "skipped_inputs": 2,
    }
    assert (
        "student 16: Student Field basic_skills_test is 'ACT'; use TABE, CASAS or CASAS GOALS"
        in result.text
    )
    assert "student 14: TABE RDG 2026-09-01 SS score 'ABS' is not a whole number" in result.text
    assert "record 21 (program 8000000): E -> Y (met)" in result.text
    assert "record 23 (program 8000000): N -> H (CJE test)" in result.text


def test_skipped_inputs_are_capped_and_counted(db):
    _district(db)
    result = _run(db, max_listed=1)
    # The two skipped inputs of test_sets_basic_skills_from_tabe_and_casas: the field value
    # comes first, the score is only counted; the records are set all the same.
    assert result.counts["skipped_inputs"] == 2
    assert "student 16: Student Field basic_skills_test is 'ACT'" in result.text
    assert "'ABS' is not a whole number" not in result.text
    assert "... and 1 more skipped." in result.text
    assert _values(db) == EXPECTED


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    before = fingerprint(db)
    again = _run(db)
    assert again.counts["changed"] == 0
    assert fingerprint(db) == before


def test_check_level_preference_lets_levels_meet_a_subject(db):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).set("basic_skills_check_level", "on")
    _run(db)
    # Student 17: CLW reading and math at level 5, TABE language at level 5.
    assert _values(db)[25] == "Y"
    assert _values(db)[20] == "N"  # no levels recorded: scores still decide


@pytest.mark.parametrize(("choice", "expected"), [("reading", "Y"), ("language", "N")])
def test_tabe_language_or_reading_preference_of_the_school(db, choice, expected):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).set(
            "basic_skills_tabe_language_or_reading", choice, school_id=ADULT_SCHOOL
        )
    _run(db)
    # Student 11: math and reading met, language one short.
    assert _values(db)[20] == expected


def test_kept_values_are_never_replaced(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.update(schedule).where(schedule.c.id.in_([20, 23, 25])).values(basic_skills_exam="D")
        )
    _run(db)
    assert {k: _values(db)[k] for k in (20, 23, 25)} == {20: "D", 23: "D", 25: "D"}


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)
    before = fingerprint(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_basic_skills_work, "_report", broken_report)
    with pytest.raises(RuntimeError, match="injected failure"):
        _run(db)
    assert fingerprint(db) == before
