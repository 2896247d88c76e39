"""Set Zoned School on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import set_zoned_school as module
from job_library.jobs.sis.set_zoned_school import SetZonedSchool, SetZonedSchoolParams
from job_library.schemas.addresses import address_catalog
from tests.job_library.district import enrollment_values, load, load_zoning
from tests.job_library.jobs_context import run_in_transaction


def _district(engine) -> None:
    load(engine)
    load_zoning(engine)


def _zoned(engine) -> dict[int, tuple]:
    return enrollment_values(engine, "zoned_school_id", "zoned_district")


def _run(engine, **params):
    return run_in_transaction(engine, SetZonedSchool(), SetZonedSchoolParams(**params))


# After a run on 28 Nov 2026 (see load_zoning for the catalog and addresses).
EXPECTED = {
    21: (1, "37"),  # 11 Main: odd segment A, no district there: school 1's district
    22: (1, "37"),  # the same student's second-school record: the address decides
    23: (4, "41"),  # "12 main St", zip 32301-1234: even segment B, school 4's district 41
    24: (2, "37"),  # grade 06: segment C; already set
    25: (1, "37"),  # 155 N Oak: the narrower D has no school, E has one: E
    26: (None, "38"),  # Elm Rd: only a record without a school: out of zone, district 38
    27: (1, "37"),  # 300 Main matches no segment: keeps its values
    28: (None, None),  # PK is not used for zoning
    29: (None, None),  # ended 20 Nov: not active
    30: (1, "37"),  # first parsed address (11 Main), not the second (12 Main)
    31: (4, "41"),  # Pine St: school 4
}


def test_sets_the_zoned_school_from_the_address_catalog(db):
    _district(db)
    before = _zoned(db)
    result = _run(db)
    after = _zoned(db)
    assert {k: after[k] for k in EXPECTED} == EXPECTED
    # It does not set the next school for rollover.
    assert {v for (v,) in enrollment_values(db, "next_school").values()} == {None}
    # Students 1-6 have no address: their records keep their (empty) values.
    assert {k: v for k, v in after.items() if k < 21} == {k: v for k, v in before.items() if k < 21}
    assert result.success
    # In scope: 1, 2, 5, 6, 7, 8 (no address) and 21-27, 30, 31; 7 changed (24 was set).
    assert dict(result.counts) == {"checked": 15, "matched": 8, "unmatched": 7, "updated": 7}
    assert result.summary == (
        "8 of 15 active enrollment record(s) matched the Address Catalog, 7 did not; updated "
        "the zoned school/district of 7 (school year 2026, active on 2026-11-28)."
    )
    assert (
        "student 25 (Last25, First25), school 1 (enrollment 26): zoned school/district 1/37 -> -/38"
    ) in result.text
    assert (
        "<tr><td>22</td><td>Last22, First22</td><td>1</td><td>23</td><td>-/-</td><td>4/41</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after_first = _zoned(db)
    again = _run(db)
    assert _zoned(db) == after_first
    assert dict(again.counts) == {"checked": 15, "matched": 8, "unmatched": 7, "updated": 0}
    assert again.summary.endswith("every zoned school was already set, nothing changed.")
    assert "<table>" not in again.html


def test_clear_unmatched_blanks_records_whose_address_matches_nothing(db):
    _district(db)
    result = _run(db, clear_unmatched=True)
    assert _zoned(db)[27] == (None, None)
    assert result.counts["updated"] == 8  # the 7, and 27; no-address records were blank


def test_the_catalog_of_the_school_year_only(db):
    _district(db)
    # Without this year's Main St segments, last year's row (school 2 for all) is not used.
    with db.begin() as conn:
        conn.execute(sa.delete(address_catalog).where(address_catalog.c.catalog_id.in_([1, 2])))
    _run(db)
    assert _zoned(db)[21] == (None, None)
    assert _zoned(db)[23] == (None, None)


def test_schools_grades_and_listing_cap(db):
    _district(db)
    result = _run(db, schools=[2], grades=["06"])
    assert dict(result.counts) == {"checked": 1, "matched": 1, "unmatched": 0, "updated": 0}
    capped = _run(db, grades=["05"], max_listed=2)
    assert capped.counts["updated"] == 7
    assert capped.html.count("<tr><td>") == 2
    assert "... and 5 more (listing capped at 2)." in capped.text
    assert "<p>5 more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = _zoned(db)
    pk = _run(db, grades=["PK", "05"])
    assert not pk.success
    assert pk.summary == (
        "grades ['PK']: not marked Used for Zoning; mark them in Setup > Grade Levels or "
        "leave them out. Nothing was changed."
    )
    assert _run(db, grades=["13"]).summary.startswith(
        "grades ['13']: no grade level with that short name"
    )
    assert _run(db, schools=[9]).summary.startswith("schools [9]: no such school id")
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert _zoned(db) == before


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    _district(db)
    before = _zoned(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert _zoned(db) == before
    monkeypatch.undo()
    assert _run(db).counts["updated"] == 7  # no temporary table left behind


def test_params_form():
    props = SetZonedSchoolParams.model_json_schema()["properties"]
    assert props["clear_unmatched"]["default"] is False
    assert props["grades"]["title"] == "Grade levels"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        SetZonedSchoolParams(next_school=True)
