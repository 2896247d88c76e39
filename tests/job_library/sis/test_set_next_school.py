"""Set Next School on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import set_next_school as module
from job_library.jobs.sis.set_next_school import SetNextSchool, SetNextSchoolParams
from job_library.schemas.addresses import address_catalog
from job_library.schemas.district import school_grade_levels
from job_library.schemas.enrollment import student_enrollment
from tests.job_library.district import (
    EAST_ELEMENTARY,
    G06,
    G07,
    GPK,
    enrollment_values,
    load,
    load_zoning,
)
from tests.job_library.jobs_context import run_in_transaction


def _district(engine) -> None:
    load(engine)
    load_zoning(engine)


def _next(engine) -> dict[int, int | None]:
    return {k: v[0] for k, v in enrollment_values(engine, "next_school").items()}


def _set(engine, enrollment_id: int, **values) -> None:
    se = student_enrollment
    with engine.begin() as conn:
        conn.execute(sa.update(se).where(se.c.id == enrollment_id).values(**values))


def _run(engine, **params):
    return run_in_transaction(engine, SetNextSchool(), SetNextSchoolParams(**params))


# Set by a run on 28 Nov 2026 with this year's catalog (see load_zoning); others stay None.
EXPECTED_SET = {
    21: 2,  # 05 -> 06 at 11 Main: segment C (A covers PK-05 only)
    23: 2,  # 05 -> 06 at 12 Main: segment C
    25: 2,  # 155 N Oak for 06: D has no school, G has school 2: G
    28: 1,  # PK (not used for zoning) -> KG, which is: segment A, school 1 offers KG
    30: 1,  # retained in 05 at 11 Main: segment A, school 1 offers 05
}


def test_sets_the_next_school_from_the_address_catalog(db):
    _district(db)
    result = _run(db)
    assert {k: v for k, v in _next(db).items() if v is not None} == EXPECTED_SET
    assert result.success
    # Scope: 1, 2, 5, 6, 8 and 21, 23, 25-28, 30, 31. Not 7 and 22 (second school), 24
    # (nobody rolls into 07), 29 (ended). 26: Elm Rd has no zoned school; 31: Pine St's
    # school 4 has no grade 06.
    assert dict(result.counts) == {
        "checked": 13,
        "unmatched": 6,
        "no_zoned_school": 1,
        "grade_not_offered": 1,
        "updated": 5,
    }
    assert result.summary == (
        "Checked 13 active enrollment record(s): 6 matched no Address Catalog record, 1 only "
        "records without a zoned school, 1 a school without the grade rolled into; set the "
        "next school of 5 (school year 2026, active on 2026-11-28, Address Catalog of 2026)."
    )
    assert (
        "student 29 (Last29, First29), school 1 (enrollment 30): next school - -> 1 (grade 05)"
    ) in result.text
    assert (
        "<tr><td>27</td><td>Last27, First27</td><td>1</td><td>28</td><td>KG</td><td></td>"
        "<td>1</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after_first = _next(db)
    again = _run(db)
    assert _next(db) == after_first
    assert again.counts["updated"] == 0
    assert again.summary.endswith("every next school was already set, nothing changed.")
    assert "<table>" not in again.html


def test_a_set_next_school_is_replaced_unless_only_blank(db):
    _district(db)
    _set(db, 21, next_school=EAST_ELEMENTARY)
    kept = _run(db, only_blank=True)
    assert _next(db)[21] == EAST_ELEMENTARY
    assert (kept.counts["checked"], kept.counts["updated"]) == (12, 4)
    replaced = _run(db)
    assert _next(db)[21] == 2
    assert replaced.counts["updated"] == 1


def test_do_not_enroll_is_left_out(db):
    _district(db)
    _set(db, 21, rolling_retention="do_not_enroll")
    result = _run(db)
    assert _next(db)[21] is None
    assert result.counts["checked"] == 12


def test_next_years_catalog_is_used_once_loaded(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(address_catalog),
            [
                dict(
                    catalog_id=10,
                    syear=2027,
                    house_number_low=1,
                    house_number_high=999,
                    parity="both",
                    street_name="MAIN",
                    street_type="ST",
                    zipcode="32301",
                    low_grade_id=GPK,
                    high_grade_id=G07,
                    zoned_school_id=EAST_ELEMENTARY,
                )
            ],
        )
        conn.execute(
            sa.insert(school_grade_levels), [dict(school_id=EAST_ELEMENTARY, grade_id=G06)]
        )
    result = _run(db)
    # 21, 23, 27 (300 Main is within 1-999; 06) and 28 (KG) go to school 4; retained 30
    # (05) is not offered there; Oak, Elm and Pine are not in next year's catalog.
    assert {k: v for k, v in _next(db).items() if v is not None} == {21: 4, 23: 4, 27: 4, 28: 4}
    assert dict(result.counts) == {
        "checked": 13,
        "unmatched": 8,
        "no_zoned_school": 0,
        "grade_not_offered": 1,
        "updated": 4,
    }
    assert "Address Catalog of 2027" in result.summary


def test_schools_grades_and_listing_cap(db):
    _district(db)
    pk = _run(db, grades=["PK"])
    assert (pk.counts["checked"], pk.counts["updated"]) == (1, 1)
    capped = _run(db, schools=[1], max_listed=1)
    assert capped.counts["updated"] == 4
    assert capped.html.count("<tr><td>") == 1
    assert "... and 3 more (listing capped at 1)." in capped.text
    assert "<p>3 more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = _next(db)
    closed = _run(db, grades=["05", "06", "07"])
    assert not closed.success
    assert closed.summary == (
        "grades ['06', '07']: their next grade level is missing or not marked both Used for "
        "Zoning and Students can roll into this grade level; fix it in Setup > Grade Levels "
        "or leave them out. Nothing was changed."
    )
    assert _run(db, grades=["13"]).summary.startswith(
        "grades ['13']: no grade level with that short name"
    )
    assert _run(db, schools=[9]).summary.startswith("schools [9]: no such school id")
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert _next(db) == before


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    _district(db)
    before = _next(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert _next(db) == before
    monkeypatch.undo()
    assert _run(db).counts["updated"] == 5  # no temporary table left behind


def test_params_form():
    props = SetNextSchoolParams.model_json_schema()["properties"]
    assert props["only_blank"]["default"] is False
    assert props["grades"]["title"] == "Grade levels"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        SetNextSchoolParams(zoned_school=True)
