"""Nightly Immunization Compliance on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import immunization_compliance as module
from job_library.jobs.sis.immunization_compliance import (
    ImmunizationComplianceParams,
    NightlyImmunizationCompliance,
)
from job_library.schemas.district import school_years
from tests.job_library.district import (
    CHECKED_BEFORE,
    DTAP,
    DTAP_2025,
    TDAP,
    VARICELLA_05,
    compliance_rows,
    load,
    load_immunizations,
)
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def _district(engine) -> None:
    load(engine)
    load_immunizations(engine)


def _values(engine) -> dict[tuple[int, int], tuple[int, bool]]:
    return {k: v[:2] for k, v in compliance_rows(engine).items()}


def _at(stored: dt.datetime, expected: dt.datetime) -> bool:
    """SQLite keeps an aware time's wall clock without its zone; Postgres the instant."""
    return stored == (expected if stored.tzinfo else expected.replace(tzinfo=None))


def _run(engine, **params):
    return run_in_transaction(
        engine, NightlyImmunizationCompliance(), ImmunizationComplianceParams(**params), now=NOW
    )


# Grade 05 needs DTaP 5, Tdap 1 and Varicella 1 (the grade's, not the all-grades 2).
EXPECTED = {
    (1, DTAP): (5, True),
    (1, TDAP): (1, True),
    (1, VARICELLA_05): (1, True),
    (2, DTAP): (4, False),  # 2019 entered twice ("DTaP", "dtap "): one dose
    (2, TDAP): (0, True),  # exemption on file
    (2, VARICELLA_05): (0, False),  # dose dated 15 Dec: not given yet
    **{(s, r): (0, False) for s in (4, 6) for r in (DTAP, TDAP, VARICELLA_05)},
    (5, DTAP): (0, False),
    (5, TDAP): (0, False),
    (5, VARICELLA_05): (2, True),
    (3, DTAP): (0, False),  # student 3 left 10 Nov: kept as it was
    (4, DTAP_2025): (0, False),  # last year's requirement: kept
}


def test_brings_compliance_records_up_to_date(db):
    _district(db)
    result = _run(db)
    rows = compliance_rows(db)
    assert {k: v[:2] for k, v in rows.items()} == EXPECTED  # (2, all-grades Varicella) gone
    # Unchanged records keep their checked time; written ones carry the run time.
    assert _at(rows[(1, DTAP)][2], CHECKED_BEFORE)
    assert _at(rows[(3, DTAP)][2], CHECKED_BEFORE)
    assert _at(rows[(2, DTAP)][2], NOW)
    assert _at(rows[(2, TDAP)][2], NOW)
    assert result.success
    assert dict(result.counts) == {
        "students": 5,
        "checked": 15,
        "compliant": 5,
        "added": 13,
        "updated": 1,
        "removed": 1,
    }
    assert result.summary == (
        "5 active student(s), 15 requirement(s) checked, 5 compliant, 10 not (school year "
        "2026, active on 2026-11-28); added 13, updated 1 and removed 1 compliance record(s)."
    )
    assert "  student 2 (Last2, First2), DTaP: updated; doses 3 -> 4, compliant no -> no" in (
        result.text
    )
    assert "  student 2 (Last2, First2), Varicella: removed; doses 0 -> -, compliant no -> -" in (
        result.text
    )
    assert (
        "<tr><td>2</td><td>Last2, First2</td><td>Tdap</td><td>added</td><td>- -&gt; 0</td>"
        "<td>- -&gt; yes</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after_first = compliance_rows(db)
    again = _run(db)
    assert compliance_rows(db) == after_first
    assert (again.counts["added"], again.counts["updated"], again.counts["removed"]) == (0, 0, 0)
    assert again.summary.endswith("every compliance record was up to date, nothing changed.")
    assert "<table>" not in again.html


def test_a_new_dose_makes_a_student_compliant(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO immunization_records (student_id, vaccine, dose_date, exempt) "
                "VALUES (2, 'DTaP', '2026-11-20', FALSE)"
            )
        )
    result = _run(db)
    assert _values(db)[(2, DTAP)] == (5, True)
    assert result.counts["updated"] == 1


def test_schools_and_listing_cap(db):
    _district(db)
    school_2 = _run(db, schools=[2])  # student 4 only
    assert (school_2.counts["students"], school_2.counts["added"]) == (1, 3)
    capped = _run(db, max_listed=2)
    assert capped.counts["added"] == 10
    assert capped.html.count("<tr><td>") == 2
    total = sum(capped.counts[k] for k in ("added", "updated", "removed"))
    assert f"... and {total - 2} more (listing capped at 2)." in capped.text
    assert f"<p>{total - 2} more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    load(db)
    none = _run(db)
    assert not none.success
    assert none.summary == (
        "school year 2026: no immunization requirements; set them up for the default school "
        "year before running this job. No compliance record was changed."
    )
    load_immunizations(db)
    before = compliance_rows(db)
    assert _run(db, schools=[9]).summary.startswith("schools [9]: no such school id")
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    assert _run(db).summary.startswith("school year: none given and no default school year")
    assert compliance_rows(db) == before


def test_a_failure_midway_leaves_the_records_as_they_were(db, monkeypatch):
    _district(db)
    before = compliance_rows(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert compliance_rows(db) == before
    monkeypatch.undo()
    assert _run(db).counts["added"] == 13  # no temporary table left behind


def test_params_form():
    props = ImmunizationComplianceParams.model_json_schema()["properties"]
    assert set(props) == {"schools", "max_listed"}
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        ImmunizationComplianceParams(syear=2026)
