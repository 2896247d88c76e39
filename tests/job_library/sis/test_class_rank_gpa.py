"""Calculate Class Rank and GPA on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import class_rank_gpa as module
from job_library.jobs.sis.class_rank_gpa import CalculateClassRankAndGpa, ClassRankGpaParams
from job_library.platform_schema import system_preferences
from job_library.preferences import Preferences
from tests.job_library.district import gpa_rows, load, load_gpa
from tests.job_library.jobs_context import run_in_transaction


def _district(engine) -> None:
    load(engine)
    load_gpa(engine)


def _run(engine, **params):
    return run_in_transaction(engine, CalculateClassRankAndGpa(), ClassRankGpaParams(**params))


KEPT = {
    (3, 2026): (1, 2.0, 2.0, 2, 4),  # withdrawn with a drop code: kept as it was
    (2, 2025): (1, 1.0, 1.0, 9, 9),  # another year
}
# (school, gpa, weighted, rank, class size)
WEIGHTED = {
    **KEPT,
    (1, 2026): (1, 3.6, 4.0, 1, 3),  # 9 / 2.5 and 10 / 2.5 credits: already on file
    (2, 2026): (1, 3.0, 3.0, 3, 3),  # PE does not affect GPA; Art has no weighted points
    (4, 2026): (2, 4.0, 4.5, 1, 1),  # at school 2 now; school 1's history still counts
    (5, 2026): (1, 3.0, 3.5, 2, 3),  # the 0-credit Reading course is left out
    (6, 2026): (1, None, None, None, None),  # no history: cleared, not ranked
}


def test_calculates_gpas_and_ranks_by_weighted_gpa(db):
    _district(db)
    result = _run(db)
    assert gpa_rows(db) == WEIGHTED
    assert result.success
    assert dict(result.counts) == {"students": 5, "ranked": 4, "added": 3, "updated": 1}
    assert result.summary == (
        "5 student(s), 4 with a GPA and ranked (school year 2026, ranked by weighted GPA); "
        "added 3 and updated 1 GPA record(s)."
    )
    assert (
        "  student 5 (Last5, First5), school 1 grade 05: GPA - -> 3.000, weighted - -> 3.500, "
        "rank - -> 2 of 3"
    ) in result.text
    assert (
        "  student 6 (Last6, First6), school 1 grade 05: GPA 2.000 -> -, weighted 2.000 -> -, "
        "rank 4 -> -"
    ) in result.text
    assert (
        "<tr><td>4</td><td>Last4, First4</td><td>2</td><td>05</td><td>- -&gt; 4.000</td>"
        "<td>- -&gt; 4.500</td><td>- -&gt; 1 of 1</td></tr>"
    ) in result.html
    # Listed by school, grade and rank, the unranked last.
    assert [line.split(" (")[0] for line in result.text.splitlines()[1:]] == [
        "  student 5",
        "  student 2",
        "  student 6",
        "  student 4",
    ]


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert gpa_rows(db) == WEIGHTED
    assert dict(again.counts) == {"students": 5, "ranked": 4, "added": 0, "updated": 0}
    assert again.summary.endswith("every GPA and rank was already stored, nothing changed.")
    assert "<table>" not in again.html


def test_unweighted_ranks_share_a_rank_on_equal_gpas(db):
    _district(db)
    _run(db)
    result = _run(db, rank_by="unweighted")
    rows = gpa_rows(db)
    # 3.6, then 3.0 and 3.0: ranks 1, 2, 2.
    assert (rows[(1, 2026)][3], rows[(2, 2026)][3], rows[(5, 2026)][3]) == (1, 2, 2)
    assert result.counts["updated"] == 1
    assert "ranked by unweighted GPA" in result.summary


def _prefer(engine, **by_school: str) -> None:
    """Store each school's text as it is (a bad one too: written before types were checked)."""
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(system_preferences),
            [
                {
                    "key": "class_rank_by",
                    "school_id": int(k[1:]),
                    "value": v,
                    "updated_at": now,
                    "updated_by": "test",
                }
                for k, v in by_school.items()
            ],
        )


def test_each_schools_own_preference(db):
    _district(db)
    _run(db)
    _prefer(db, s1="Unweighted")
    ignored = _run(db)  # the preference counts only when the job is told to use it
    assert ignored.counts["updated"] == 0
    result = _run(db, use_school_preference=True)
    rows = gpa_rows(db)
    # School 1 ranks by unweighted GPA (2 and 5 tie at 3.0); school 2 has no preference.
    assert (rows[(1, 2026)][3], rows[(2, 2026)][3], rows[(5, 2026)][3]) == (1, 2, 2)
    assert rows[(4, 2026)] == WEIGHTED[(4, 2026)]
    assert result.counts["updated"] == 1
    assert "ranked by each school's preference, else weighted GPA" in result.summary


def test_a_bad_school_preference_is_named_and_nothing_changes(db):
    _district(db)
    before = gpa_rows(db)
    _prefer(db, s1="weighted", s2="percentile")
    result = _run(db, use_school_preference=True)
    assert not result.success
    assert result.summary == (
        "preference class_rank_by: 'percentile' is not one of weighted, unweighted (stored "
        "for school 2); set it again with focus-jobs prefs set class_rank_by VALUE --school 2. "
        "Nothing was calculated."
    )
    assert gpa_rows(db) == before


def test_the_district_value_ranks_the_schools_without_their_own(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        Preferences(conn).set("class_rank_by", "unweighted")  # the district's default
        Preferences(conn).set("class_rank_by", "weighted", school_id=2)
    result = _run(db, use_school_preference=True)
    rows = gpa_rows(db)
    # School 1 follows the district (unweighted: 2 and 5 tie); school 2 keeps weighted.
    assert (rows[(1, 2026)][3], rows[(2, 2026)][3], rows[(5, 2026)][3]) == (1, 2, 2)
    assert rows[(4, 2026)] == WEIGHTED[(4, 2026)]
    assert result.counts["updated"] == 1


def test_an_earlier_year_counts_its_history_only(db):
    _district(db)
    result = _run(db, syear=2025)
    # 2025: student 1's enrollment only; 2026's Science is not counted: 7 / 2, 7.5 / 2.
    assert gpa_rows(db)[(1, 2025)] == (1, 3.5, 3.75, 1, 1)
    assert gpa_rows(db)[(2, 2025)] == KEPT[(2, 2025)]
    assert dict(result.counts) == {"students": 1, "ranked": 1, "added": 1, "updated": 0}


def test_schools_and_listing_cap(db):
    _district(db)
    school_2 = _run(db, schools=[2])
    assert dict(school_2.counts) == {"students": 1, "ranked": 1, "added": 1, "updated": 0}
    assert gpa_rows(db)[(4, 2026)] == (2, 4.0, 4.5, 1, 1)
    capped = _run(db, max_listed=1)
    assert (capped.counts["added"], capped.counts["updated"]) == (2, 1)
    assert capped.html.count("<tr><td>") == 1
    assert "... and 2 more (listing capped at 1)." in capped.text
    assert "<p>2 more not listed.</p>" in capped.html


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = gpa_rows(db)
    bad = _run(db, schools=[9])
    assert not bad.success
    assert bad.summary == (
        "schools [9]: no such school id; pick ids from the Schools list. Nothing was calculated."
    )
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert gpa_rows(db) == before


def test_a_failure_midway_leaves_the_gpas_as_they_were(db, monkeypatch):
    _district(db)
    before = gpa_rows(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert gpa_rows(db) == before
    monkeypatch.undo()
    assert _run(db).counts["added"] == 3  # no temporary table left behind


def test_params_form():
    props = ClassRankGpaParams.model_json_schema()["properties"]
    assert props["rank_by"]["enum"] == ["weighted", "unweighted"]
    assert props["rank_by"]["default"] == "weighted"
    with pytest.raises(ValueError, match="Input should be 'weighted' or 'unweighted'"):
        ClassRankGpaParams(rank_by="percentile")
