"""Process Assessments and Create Process Assessments on SQLite and Postgres, worked out by
hand on the hand-made district (students 1-6 at schools 1 and 2)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.florida import _process_assessments_work
from job_library.jobs.florida.create_process_assessments import (
    CreateProcessAssessments,
    CreateProcessAssessmentsParams,
)
from job_library.jobs.florida.process_assessments import (
    ProcessAssessments,
    ProcessAssessmentsParams,
)
from job_library.platform_schema import custom_field_values
from job_library.preferences import Preferences
from job_library.schemas.assessments import (
    standardized_tests,
    student_test_scores,
    student_tests,
    test_parts,
    test_score_types,
)
from job_library.schemas.scheduling import course_periods, courses, schedule
from job_library.student_fields import (
    FieldType,
    RecordTable,
    StudentField,
    StudentFields,
    define_field,
)
from tests.job_library.district import SYEAR, fingerprint, load
from tests.job_library.jobs_context import run_in_transaction

FIELDS = {
    "graduation_cohort": (901, FieldType.TEXT),
    "esol_graduation_pathway": (902, FieldType.DATE),
    "ese_test_waiver": (903, FieldType.DATE),
    "fsa_ela_graduation": (904, FieldType.TEXT),
    "fsa_ela_graduation_met_by": (905, FieldType.TEXT),
}
# (test id, name, part id, part, graduation requirement, passing score)
TESTS = [
    (1, "FSA", 1, "ELA10", "ELA", 350),
    (2, "ACT", 2, "ENGRD", "ELA", 18),
    (3, "ALG1", 3, "ALG1", None, 497),
]
# student test id -> (student, test, part, date, scale score)
SCORES = {
    1: (1, 1, 1, dt.date(2026, 5, 1), "349"),  # one short
    2: (1, 2, 2, dt.date(2026, 10, 1), "18"),  # concordant ACT: passes
    3: (2, 1, 1, dt.date(2026, 4, 20), "350"),  # exactly the passing score
    4: (5, 1, 1, dt.date(2026, 11, 29), "400"),  # tomorrow
    5: (1, 3, 3, dt.date(2026, 11, 10), "497"),
    6: (2, 3, 3, dt.date(2026, 11, 20), "496"),  # on the last administration day
    7: (4, 3, 3, dt.date(2026, 9, 1), "520"),  # before the administration dates
    8: (5, 3, 3, dt.date(2026, 11, 5), "400"),
    9: (3, 1, 1, dt.date(2026, 5, 1), "380"),  # cohort 2028
}
# student -> field values before the run
VALUES = {
    1: {"graduation_cohort": "2027"},
    2: {"graduation_cohort": "2027", "fsa_ela_graduation": "N"},
    3: {"graduation_cohort": "2028"},
    4: {"graduation_cohort": "2027", "ese_test_waiver": "2026-11-01"},
    5: {"graduation_cohort": "2027", "esol_graduation_pathway": "2026-09-01"},
}
# EOC records: id -> (student, status before)
EOC_RECORDS = {100: (1, None), 101: (2, None), 102: (4, None), 103: (5, "P")}


def _district(engine):
    load(engine)
    with engine.begin() as conn:
        for alias, (fid, kind) in FIELDS.items():
            define_field(conn, StudentField(fid, alias, alias, kind, RecordTable.STUDENTS))
        conn.execute(
            sa.insert(custom_field_values),
            [
                dict(field_id=FIELDS[alias][0], record_id=s, value=v)
                for s, values in VALUES.items()
                for alias, v in values.items()
            ],
        )
        conn.execute(
            sa.insert(standardized_tests),
            [dict(test_id=t, short_name=n, title=n) for t, n, *_ in TESTS],
        )
        conn.execute(
            sa.insert(test_parts),
            [
                dict(part_id=p, test_id=t, short_name=pn, title=pn,
                     graduation_requirement=g, passing_score=ps)
                for t, _, p, pn, g, ps in TESTS
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(test_score_types),
            [dict(score_type_id=t, test_id=t, short_name="SS") for t, *_ in TESTS],
        )
        conn.execute(
            sa.insert(student_tests),
            [
                dict(student_test_id=i, student_id=s, test_id=t, syear=SYEAR, test_date=day)
                for i, (s, t, _, day, _) in SCORES.items()
            ],
        )
        conn.execute(
            sa.insert(student_test_scores),
            [
                dict(student_test_id=i, part_id=p, score_type_id=t, score=v)
                for i, (_, t, p, _, v) in SCORES.items()
            ],
        )
        conn.execute(
            sa.insert(courses),
            [dict(course_id=10, school_id=1, syear=SYEAR, title="Algebra 1", short_name="ALG1",
                  eoc_exam="ALG1")],
        )  # fmt: skip
        conn.execute(
            sa.insert(course_periods),
            [dict(course_period_id=10, course_id=10, school_id=1, syear=SYEAR, period_id=11,
                  short_name="01", title="Algebra 1")],
        )  # fmt: skip
        conn.execute(
            sa.insert(schedule),
            [
                dict(id=r, student_id=s, syear=SYEAR, school_id=1, course_id=10,
                     course_period_id=10, start_date=dt.date(2026, 8, 10),
                     eoc_assessment_status=v)
                for r, (s, v) in EOC_RECORDS.items()
            ],
        )  # fmt: skip


def _fields(engine, alias):
    with engine.connect() as conn:
        fields = StudentFields(conn, changed_by="test")
        return {k: str(v) for k, v in fields.read(alias).items()}


def _eoc(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(schedule.c.id, schedule.c.eoc_assessment_status).where(schedule.c.id >= 100)
        ).all()
    return dict(rows)


def _create(engine, **params):
    return run_in_transaction(
        engine, CreateProcessAssessments(), CreateProcessAssessmentsParams(**params)
    )


def _process(engine, **params):
    return run_in_transaction(engine, ProcessAssessments(), ProcessAssessmentsParams(**params))


def test_fsa_ela_for_a_cohort(db):
    _district(db)
    result = _create(db, process="fsa_ela", cohorts=["2027"])
    assert result.success, result.summary
    assert _fields(db, "fsa_ela_graduation") == {1: "Y", 2: "Y", 4: "N", 5: "N"}
    assert _fields(db, "fsa_ela_graduation_met_by") == {
        1: "ACT ENGRD 18 on 2026-10-01",
        2: "FSA ELA10 350 on 2026-04-20",
    }
    assert dict(result.counts) == {
        "ela_students": 4,
        "ela_updated": 4,
        "eoc_records": 0,
        "eoc_updated": 0,
        "bad_scores": 0,
    }
    assert "student 2 (Last2, First2): FSA ELA graduation N -> Y (met by FSA ELA10 350" in (
        result.text
    )
    again = _create(db, process="fsa_ela", cohorts=["2027"])
    assert again.counts["ela_updated"] == 0


@pytest.mark.parametrize(
    ("effective", "expected"),
    [("2026-11-01", {4: "W", 5: "P"}), ("2026-10-31", {4: "N", 5: "P"}), (None, {4: "N", 5: "N"})],
)
def test_waiver_and_pathway_by_the_effective_date(db, effective, expected):
    _district(db)
    result = _process(db, effective_date=effective)
    assert result.success, result.summary
    values = _fields(db, "fsa_ela_graduation")
    assert {k: values[k] for k in (4, 5)} == expected
    assert values[3] == "Y"  # Process Assessments takes every cohort


def test_recorded_waiver_is_not_taken_back(db):
    _district(db)
    _process(db, effective_date="2026-11-01")
    _process(db)  # no effective date: W and P stay
    assert {k: v for k, v in _fields(db, "fsa_ela_graduation").items() if k in (4, 5)} == {
        4: "W",
        5: "P",
    }


def test_eoc_status_within_the_administration_dates(db):
    _district(db)
    result = _create(
        db,
        process="eoc",
        eoc_exam="alg1",
        eoc_administration_start="2026-11-01",
        eoc_administration_end="2026-11-20",
    )
    assert result.success, result.summary
    # 497 passes exactly, 496 on the last day fails, 1 Sep is outside, a P stays P.
    assert _eoc(db) == {100: "P", 101: "F", 102: None, 103: "P"}
    assert result.counts["eoc_updated"] == 2
    assert "record 101: EOC ALG1 status empty -> F (best score 496)" in result.text
    assert _fields(db, "fsa_ela_graduation") == {2: "N"}  # FSA ELA not run


def test_process_assessments_uses_the_year_so_far(db):
    _district(db)
    result = _process(db)
    assert _eoc(db) == {100: "P", 101: "F", 102: "P", 103: "P"}
    assert result.counts["eoc_records"] == 4


def test_counts_only_preference_hides_the_students(db):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).set("process_assessments_counts_only", "on")
    result = _process(db)
    assert "Last1" not in result.text
    assert "Student listings are off" in result.text
    assert result.counts["ela_updated"] == 5


def test_options_are_checked():
    with pytest.raises(ValidationError, match="FSA ELA needs at least one cohort"):
        CreateProcessAssessmentsParams(process="fsa_ela")
    with pytest.raises(ValidationError, match="EOC needs the exam and both administration"):
        CreateProcessAssessmentsParams(process="eoc", eoc_exam="ALG1")
    with pytest.raises(ValidationError, match="is before eoc_administration_start"):
        CreateProcessAssessmentsParams(
            process="eoc",
            eoc_exam="ALG1",
            eoc_administration_start="2026-11-02",
            eoc_administration_end="2026-11-01",
        )


def test_missing_student_field_is_reported(db):
    load(db)
    result = _create(db, process="fsa_ela", cohorts=["2027"])
    assert not result.success
    assert "no student field with alias 'fsa_ela_graduation'" in result.summary


def _add_scores(engine, scores):
    """Extra scale scores: student test id -> (student, test, part, date, score)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(student_tests),
            [
                dict(student_test_id=i, student_id=s, test_id=t, syear=SYEAR, test_date=day)
                for i, (s, t, _, day, _) in scores.items()
            ],
        )
        conn.execute(
            sa.insert(student_test_scores),
            [
                dict(student_test_id=i, part_id=p, score_type_id=t, score=v)
                for i, (_, t, p, _, v) in scores.items()
            ],
        )


def test_non_numeric_scores_are_listed_with_a_reason(db):
    _district(db)
    _add_scores(
        db,
        {
            20: (4, 1, 1, dt.date(2026, 6, 1), "4O0"),  # letter O: not a number
            21: (2, 3, 3, dt.date(2026, 11, 3), "A+"),
            22: (6, 3, 3, dt.date(2026, 11, 3), "x"),  # student 6 has no ALG1 record
        },
    )
    ela = _create(db, process="fsa_ela", cohorts=["2027"])
    assert _fields(db, "fsa_ela_graduation")[4] == "N"
    assert ela.counts["bad_scores"] == 1
    assert (
        "skipped: student 4 FSA ELA FSA ELA10 on 2026-06-01: scale score '4O0' is not a "
        "whole number" in ela.text
    )
    eoc = _create(
        db,
        process="eoc",
        eoc_exam="ALG1",
        eoc_administration_start="2026-11-01",
        eoc_administration_end="2026-11-20",
    )
    assert eoc.counts["bad_scores"] == 1
    assert "skipped: student 2 EOC ALG1 ALG1 on 2026-11-03: scale score 'A+'" in eoc.text
    assert "student 6" not in eoc.text
    assert _eoc(db)[101] == "F"  # decided by the 496, the 'A+' left out


def test_bad_score_listing_is_capped_in_sql(db):
    _district(db)
    _add_scores(db, {30 + s: (s, 1, 1, dt.date(2026, 6, 1), "n/a") for s in (1, 2, 4, 5)})
    result = _create(db, process="fsa_ela", cohorts=["2027"], max_listed=2)
    assert result.counts["bad_scores"] == 4
    assert result.text.count("skipped: student") == 2
    assert "skipped: student 1 " in result.text and "skipped: student 2 " in result.text
    assert "... and 2 more skipped score(s)." in result.text


def test_eoc_score_on_the_first_administration_day_counts_and_second_run_is_quiet(db):
    _district(db)
    _add_scores(db, {23: (4, 3, 3, dt.date(2026, 11, 1), "497")})
    params = dict(
        process="eoc",
        eoc_exam="ALG1",
        eoc_administration_start="2026-11-01",
        eoc_administration_end="2026-11-20",
    )
    first = _create(db, **params)
    # Student 4's 497 on the start day passes; the 520 of 1 Sep stays outside.
    assert _eoc(db) == {100: "P", 101: "F", 102: "P", 103: "P"}
    assert first.counts["eoc_updated"] == 3
    before = fingerprint(db)
    again = _create(db, **params)
    assert again.counts["eoc_updated"] == 0
    assert fingerprint(db) == before


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)
    before = fingerprint(db)
    with db.connect() as conn:
        log_before = conn.execute(sa.text("SELECT COUNT(*) FROM custom_field_values")).scalar()

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_process_assessments_work, "_eoc", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        _process(db)
    assert fingerprint(db) == before
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM custom_field_values")).scalar() == (
            log_before
        )
