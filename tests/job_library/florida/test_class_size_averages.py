"""Class Size Averages on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from job_library.jobs.florida import class_size_averages as module
from job_library.jobs.florida.class_size_averages import ClassSizeAverages, ClassSizeAveragesParams
from tests.job_library.district import (
    class_size_rows,
    d,
    load,
    load_class_size,
    load_sections,
    load_zoning,
)
from tests.job_library.jobs_context import run_in_transaction

STALE = {(1, d(28), "9-12"): (1, 20, 20.0)}


def _district(engine) -> None:
    load(engine)
    load_zoning(engine)
    load_sections(engine)
    load_class_size(engine)


def _run(engine, now=None, **params):
    return run_in_transaction(
        engine, ClassSizeAverages(), ClassSizeAveragesParams(**params), now=now
    )


# As of 28 Nov. School 1: section 1 has 1, 2, 5 (05) and 27 (PK): 4-8, 4 students;
# section 2 has 21 and 22 (28 has left, 24's schedule ended): 4-8, 2; section 3 has 27
# (PK) and 21 (05): a tie, so PK-3, 2. Art is not core. School 2: section 4 has 23, 4, 21.
TODAY = {
    (1, d(28), "4-8"): (2, 6, 3.0),
    (1, d(28), "PK-3"): (1, 2, 2.0),
    (2, d(28), "4-8"): (1, 3, 3.0),
}


def test_calculates_averages_as_of_the_current_date(db):
    _district(db)
    result = _run(db)
    assert class_size_rows(db) == TODAY  # the stale 9-12 record of the day is removed
    assert result.success
    assert dict(result.counts) == {"records": 3, "added": 3, "updated": 0, "removed": 1}
    assert result.summary == (
        "Calculated 3 school/grade group record(s) (school year 2026, as of 2026-11-28, "
        "stored under 2026-11-28); added 3, updated 0, removed 1."
    )
    assert (
        "  school 1 (Test Elementary), grades 4-8: added; sections - -> 2, students - -> 6, "
        "average - -> 3.00"
    ) in result.text
    assert (
        "<tr><td>1</td><td>Test Elementary</td><td>9-12</td><td>removed</td><td>1 -&gt; -</td>"
        "<td>20 -&gt; -</td><td>20.00 -&gt; -</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert class_size_rows(db) == TODAY
    assert dict(again.counts) == {"records": 3, "added": 0, "updated": 0, "removed": 0}
    assert again.summary.endswith("all were already stored, nothing changed.")
    assert "<table>" not in again.html


def test_separate_records_for_a_given_effective_date(db):
    _district(db)
    result = _run(db, use_current_date=False, effective_date=d(13), save_separate=True)
    # 13 Nov: student 28 is still enrolled, so section 2 has 3 students: 7 / 2 sections.
    assert class_size_rows(db) == {
        **STALE,  # the run date's records are left alone
        (1, d(13), "4-8"): (2, 7, 3.5),
        (1, d(13), "PK-3"): (1, 2, 2.0),
        (2, d(13), "4-8"): (1, 3, 3.0),
    }
    assert dict(result.counts) == {"records": 3, "added": 3, "updated": 0, "removed": 0}
    assert "as of 2026-11-13, stored under 2026-11-13" in result.summary


def test_a_given_date_without_separate_records_replaces_the_run_dates_records(db):
    _district(db)
    _run(db)
    result = _run(db, use_current_date=False, effective_date=d(5))
    # 5 Nov: 24 is still scheduled in section 2 (4 students: 8 / 2); 4 is not yet
    # enrolled at school 2 (section 4: 23 and 21).
    assert class_size_rows(db) == {
        (1, d(28), "4-8"): (2, 8, 4.0),
        (1, d(28), "PK-3"): (1, 2, 2.0),
        (2, d(28), "4-8"): (1, 2, 2.0),
    }
    assert dict(result.counts) == {"records": 3, "added": 0, "updated": 2, "removed": 0}
    assert "  school 2 (Test Middle), grades 4-8: updated; sections 1 -> 1, students 3 -> 2" in (
        result.text
    )


def test_schools_and_listing_cap(db):
    _district(db)
    school_2 = _run(db, schools=[2])
    assert class_size_rows(db) == {**STALE, (2, d(28), "4-8"): (1, 3, 3.0)}
    assert dict(school_2.counts) == {"records": 1, "added": 1, "updated": 0, "removed": 0}
    capped = _run(db, max_listed=1)
    assert (capped.counts["added"], capped.counts["removed"]) == (2, 1)
    assert capped.html.count("<tr><td>") == 1
    assert "... and 2 more (listing capped at 1)." in capped.text
    assert "<p>2 more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = class_size_rows(db)
    late = _run(db, use_current_date=False, effective_date=dt.date(2027, 7, 15))
    assert not late.success
    assert late.summary == (
        "effective date 2027-07-15: outside school year 2026 (2026-08-01 to 2027-06-30); give "
        "a date in the school year or pick its year. No record was written."
    )
    summer = _run(db, now=dt.datetime(2027, 7, 10, 2, 0, tzinfo=ZoneInfo("America/New_York")))
    assert summer.summary.startswith("current date 2027-07-10: outside school year 2026")
    assert _run(db, schools=[9]).summary.startswith("schools [9]: no such school id")
    assert class_size_rows(db) == before


def test_date_choices_are_checked_by_the_form():
    with pytest.raises(ValueError, match="effective_date 2026-11-13: given while Current Date"):
        ClassSizeAveragesParams(effective_date=d(13))
    with pytest.raises(ValueError, match="effective_date: required when Current Date is unch"):
        ClassSizeAveragesParams(use_current_date=False)
    with pytest.raises(ValueError, match="save_separate: only for a given effective date"):
        ClassSizeAveragesParams(save_separate=True)
    props = ClassSizeAveragesParams.model_json_schema()["properties"]
    assert props["save_separate"]["title"] == "Save Separate Records for Given Effective Date"
    assert props["use_current_date"]["default"] is True


def test_a_failure_midway_leaves_the_table_as_it_was(db, monkeypatch):
    _district(db)
    before = class_size_rows(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert class_size_rows(db) == before
    monkeypatch.undo()
    assert _run(db).counts["added"] == 3  # no temporary table left behind
