"""Retitle Sections on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.scheduling import retitle_sections as module
from job_library.jobs.scheduling.retitle_sections import RetitleSections, RetitleSectionsParams
from job_library.schemas.scheduling import course_periods
from tests.job_library.district import load, load_sections, section_titles
from tests.job_library.jobs_context import run_in_transaction


def _district(engine) -> None:
    load(engine)
    load_sections(engine)


def _run(engine, **params):
    return run_in_transaction(engine, RetitleSections(), RetitleSectionsParams(**params))


EXPECTED = {
    1: "P1 - 01 - Smith, Ann",  # already right
    2: "P2 - 02 - Jones, Bo",  # period and teacher changed by Run Query
    3: "P3 - 03",  # no teacher
    4: "P1 - 01 - Smith, Ann",  # school 2's period P1
    5: "stale",  # last year's section: not this year's run
}


def test_renames_sections_whose_title_is_stale(db):
    _district(db)
    result = _run(db)
    assert section_titles(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"checked": 4, "renamed": 3}
    assert result.summary == "Renamed 3 of 4 section(s) of school year 2026."
    assert (
        "school 1, Math 5 (section 2): 'P1 - 02 - Smith, Ann' -> 'P2 - 02 - Jones, Bo'"
    ) in result.text
    assert (
        "<tr><td>2</td><td>Science 6</td><td>4</td><td>Science</td>"
        "<td>P1 - 01 - Smith, Ann</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert section_titles(db) == EXPECTED
    assert dict(again.counts) == {"checked": 4, "renamed": 0}
    assert again.summary == (
        "Checked 4 section(s) of school year 2026; every title was already right, nothing changed."
    )
    assert "<table>" not in again.html


def test_a_later_run_query_change_is_picked_up(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        cp = course_periods
        conn.execute(sa.update(cp).where(cp.c.course_period_id == 1).values(short_name="01A"))
    result = _run(db)
    assert section_titles(db)[1] == "P1 - 01A - Smith, Ann"
    assert result.counts["renamed"] == 1


def test_chosen_school_year_schools_and_listing_cap(db):
    _district(db)
    last_year = _run(db, syear=2025)
    assert section_titles(db)[5] == "P1 - 01 - Smith, Ann"
    assert dict(last_year.counts) == {"checked": 1, "renamed": 1}
    school_2 = _run(db, schools=[2])
    assert dict(school_2.counts) == {"checked": 1, "renamed": 1}
    assert section_titles(db)[2] == "P1 - 02 - Smith, Ann"
    capped = _run(db, max_listed=1)
    assert capped.counts["renamed"] == 2
    assert capped.html.count("<tr><td>") == 1
    assert "... and 1 more (listing capped at 1)." in capped.text
    assert "<p>1 more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = section_titles(db)
    bad = _run(db, schools=[9])
    assert not bad.success
    assert bad.summary == (
        "schools [9]: no such school id; pick ids from the Schools list. No section was renamed."
    )
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert section_titles(db) == before


def test_a_failure_midway_leaves_the_titles_as_they_were(db, monkeypatch):
    _district(db)
    before = section_titles(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert section_titles(db) == before
    monkeypatch.undo()
    assert _run(db).counts["renamed"] == 3  # no temporary table left behind


def test_params_form():
    props = RetitleSectionsParams.model_json_schema()["properties"]
    assert props["schools"]["title"] == "Schools"
    with pytest.raises(ValueError, match="Input should be greater than or equal to 0"):
        RetitleSectionsParams(max_listed=-1)
