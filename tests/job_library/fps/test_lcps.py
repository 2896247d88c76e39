"""Assign LCPs and Recalculate LCPs on SQLite and Postgres, with levels worked out by hand
(tests/job_library/fps/adult_ed.py holds the district and the reasons for each value)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.fps import _lcp_work
from job_library.jobs.fps._lcp_work import FIELDS
from job_library.jobs.fps._levels import months_before, shipped_bands
from job_library.jobs.fps.assign_lcps import AssignLcps, AssignLcpsParams
from job_library.jobs.fps.recalculate_lcps import RecalculateLcps, RecalculateLcpsParams
from job_library.schemas.fps import fl_aefl_levels
from tests.job_library.district import fingerprint
from tests.job_library.fps.adult_ed import (
    AEFL,
    FLTESTID,
    STALE,
    load_adult_ed,
    schedule_fields,
    scores_of,
)
from tests.job_library.jobs_context import run_in_transaction

TODAY = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
EMPTY = (None,) * len(FIELDS)
STALE_ROW = (STALE["aefl_subject_area"], STALE["aefl_initial_level"], None, STALE["lcps"]) + (
    None,
) * 4

# Assign LCPs on 28 Nov 2026: the window is 28 May - 28 Nov 2026.
ASSIGNED = {
    # 215 -> 5, 235 -> 6+, 236 -> 8 (the rule band starting highest wins); LCPs of 5 and 6.
    1: ("READING", "5", "8", "EF", "0001", "0002", "0003", None),
    # 27 May not counted, 28 May counted: 227 -> 6+, then 228 -> 8; 29 Nov not counted.
    2: ("READING", "6+", "8", "F", "0002", "0003", None, None),
    3: EMPTY,  # inactive: Assign leaves it
    4: STALE_ROW,  # Exclude From LCP Job
    5: ("READING", "G", "G", None, "0001", None, None, None),  # 9900050: 236 -> G
    6: ("READING", "B", "B", None, "0001", None, None, None),  # GED Prep from CAG reading
    7: EMPTY,  # cost code 300
    8: ("MATH", "5", "5", None, "0002", None, None, None),  # math 5 is lower than reading 6+
    9: EMPTY,  # last year's record
    10: STALE_ROW,  # no test fits: Assign leaves what is there
}
FLTESTIDS = {
    (1, 1): "0001", (2, 1): "0002", (3, 1): "0003",
    (4, 3): "0001", (5, 3): "0002", (6, 3): "0003", (7, 3): "0004",
    (8, 1): "0001",
    (9, 1): "0001", (11, 3): "0002",
    (12, 3): "0001", (12, 4): "0002",
    (14, 1): "0001", (14, 2): "0002",
}  # fmt: skip
AEFLS = {
    (1, 1): "5", (2, 1): "6+", (3, 1): "8", (5, 3): "6+", (6, 3): "8",
    (9, 1): "G", (12, 3): "B", (14, 2): "5",
}  # fmt: skip


def _assign(engine, now=TODAY, **params):
    return run_in_transaction(engine, AssignLcps(), AssignLcpsParams(**params), now=now)


def _recalc(engine, now=TODAY, **params):
    return run_in_transaction(engine, RecalculateLcps(), RecalculateLcpsParams(**params), now=now)


def test_assign_places_levels_lcps_and_test_ids(db):
    load_adult_ed(db)
    result = _assign(db)
    assert result.success, result.summary
    assert schedule_fields(db, *FIELDS) == ASSIGNED
    assert scores_of(db, FLTESTID) == FLTESTIDS
    assert scores_of(db, AEFL) == AEFLS
    assert dict(result.counts) == {
        "records": 7,
        "placed": 5,
        "changed": 5,
        "excluded": 1,
        "aefl_scores": 8,
        "fltestids": 14,
        "bad_scores": 1,
        "unplaced_scores": 1,
    }
    assert "student 14 TABE RDG 2026-09-01: scale score 'ABS' is not a whole number" in (
        result.text
    )
    assert "student 14 CAG RDG 2026-08-15: score 200 is in no band of program 9900050" in (
        result.text
    )
    assert (
        "student 11 (Last11, First11), record 1 (program 9900040): levels none->none, LCPs none "
        "becomes READING 5->8, LCPs EF (pre-test 0001, post-tests 0002/0003)"
    ) in result.text


def test_second_assign_changes_nothing(db):
    load_adult_ed(db)
    _assign(db)
    before = fingerprint(db)
    again = _assign(db, now=TODAY + dt.timedelta(minutes=30))
    assert again.success
    assert again.counts["changed"] == 0
    assert again.counts["aefl_scores"] == 0
    assert again.counts["fltestids"] == 0
    assert fingerprint(db) == before


def test_window_edges_follow_the_run_day(db):
    """A day later the 28 May test is a day too old (228 on 1 Oct is the pre-test) and the
    29 Nov test is today's: 100 -> 5, lower than 8, so no LCP."""
    load_adult_ed(db)
    result = _assign(db, now=TODAY + dt.timedelta(days=1))
    assert result.success
    fields = schedule_fields(db, *FIELDS)
    assert fields[2] == ("READING", "8", "5", None, "0003", "0004", None, None)
    assert months_before(dt.date(2026, 11, 29), 6) == dt.date(2026, 5, 29)
    assert months_before(dt.date(2027, 8, 31), 6) == dt.date(2027, 2, 28)


@pytest.mark.parametrize(("score", "level"), [("235", "6+"), ("236", "8")], ids=["235", "236"])
def test_life_and_work_reading_threshold(db, score, level):
    load_adult_ed(db)
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE student_test_scores SET score = :s WHERE student_test_id = 9"),
            {"s": score},
        )
        conn.execute(sa.text("UPDATE schedule SET course_id = 1 WHERE id = 5"))  # 9900040
    _assign(db)
    assert schedule_fields(db, "aefl_initial_level")[5] == (level,)


@pytest.mark.parametrize(("score", "level"), [("227", "6+"), ("228", "8")], ids=["227", "228"])
def test_goals_reading_threshold(db, score, level):
    load_adult_ed(db)
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE student_test_scores SET score = :s WHERE student_test_id = 6"),
            {"s": score},
        )
    _assign(db)
    assert schedule_fields(db, "aefl_final_level")[2] == (level,)


def test_exclusion_flag_cleared_lets_the_record_be_placed(db):
    load_adult_ed(db)
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE schedule SET exclude_from_lcp = :f WHERE id = 4"), {"f": False}
        )
    _assign(db)
    # 230 on CLW reading: 6+; the stale values are replaced.
    expected = ("READING", "6+", "6+", None, "0001", None, None, None)
    assert schedule_fields(db, *FIELDS)[4] == expected


@pytest.mark.parametrize("job", ["assign", "recalculate"])
def test_previous_school_year_is_refused(db, job):
    load_adult_ed(db)
    before = fingerprint(db)
    if job == "assign":
        result = _assign(db, syear=2025)
    else:
        result = _recalc(db, syear=2025, start_date="2025-09-01", end_date="2025-10-01")
    assert not result.success
    assert "never runs for a previous school year" in result.summary
    assert fingerprint(db) == before


def test_shipped_facts_fill_an_empty_level_table(db):
    load_adult_ed(db, district_bands=False)
    result = _assign(db)
    assert result.success
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(fl_aefl_levels)).scalar() == 4
    fields = schedule_fields(db, *FIELDS)
    assert fields[1] == ("READING", "8", "8", None, "0003", None, None, None)  # only 236
    assert fields[2] == ("READING", "8", "8", None, "0003", None, None, None)  # only 228
    assert fields[5] == ("READING", "G", "G", None, "0001", None, None, None)
    assert result.counts["unplaced_scores"] == 5  # 215, 235, 227, GOALS 200, 230
    assert "copied from the shipped Appendix R facts" in result.text
    assert {b["source"] for b in shipped_bands()} == {"Focus guide (Appendix R rule)"}


def test_shipped_file_holds_exactly_the_guide_rules():
    # From the Focus guide: CASAS reading 236+ (Life and Work) or 228+ (GOALS) gives level 8
    # in 9900040 and G in 9900050. The Florida tables were not readable (see the file's
    # comment), so nothing else is shipped: no 9900130 band and no LCP letter.
    bands = {
        (b["program_number"], b["test_family"], b["subject"]): (
            b["low_score"],
            b["level"],
            b["lcp"],
        )
        for b in shipped_bands()
    }
    assert bands == {
        ("9900040", "CASAS_LW", "READING"): (236, "8", None),
        ("9900040", "CASAS_GOALS", "READING"): (228, "8", None),
        ("9900050", "CASAS_LW", "READING"): (236, "G", None),
        ("9900050", "CASAS_GOALS", "READING"): (228, "G", None),
    }


def test_recalculate_wipes_and_places_active_and_inactive_records(db):
    load_adult_ed(db)
    result = _recalc(db, start_date="2026-10-01", end_date="2026-10-15")
    assert result.success, result.summary
    fields = schedule_fields(db, *FIELDS)
    assert fields[1] == ("READING", "5", "6+", "E", "0001", "0002", None, None)  # 20 Nov: later
    assert fields[2] == EMPTY  # starts 31 Oct: outside the range
    # Inactive since 30 Oct, active in the range: 200 -> 5, 227 -> 6+, 228 -> 8.
    assert fields[3] == ("READING", "5", "8", "EF", "0001", "0002", "0003", None)
    assert fields[4] == STALE_ROW
    assert fields[10] == EMPTY  # wiped: nothing places it
    assert {k: fields[k] for k in (5, 6, 8)} == {k: ASSIGNED[k] for k in (5, 6, 8)}
    assert result.counts["records"] == 7
    assert result.counts["changed"] == 6
    second = _recalc(db, start_date="2026-10-01", end_date="2026-10-15")
    assert second.counts["changed"] == 0


def test_recalculate_after_assign_takes_back_a_later_test(db):
    load_adult_ed(db)
    _assign(db)
    _recalc(db, start_date="2026-08-01")  # through today: the same as Assign, plus the wipe
    fields = schedule_fields(db, *FIELDS)
    assert fields[1] == ASSIGNED[1]
    assert fields[10] == EMPTY


def test_recalculate_range_is_checked():
    with pytest.raises(ValidationError, match="end_date 2026-09-01 is before start_date"):
        RecalculateLcpsParams(start_date="2026-10-01", end_date="2026-09-01")


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    load_adult_ed(db)
    before = fingerprint(db)
    real = _lcp_work.assign_fltestids

    def assign_then_fail(conn, names, cap):
        real(conn, names, cap)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_lcp_work, "assign_fltestids", assign_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        _assign(db)
    assert fingerprint(db) == before


def test_listing_is_capped(db):
    load_adult_ed(db)
    result = _assign(db, max_listed=2)
    assert "... and 3 more (listing capped at 2)." in result.text
    assert result.counts["changed"] == 5


def test_skipped_scores_are_capped_with_a_count_of_the_rest(db):
    load_adult_ed(db, district_bands=False)
    result = _assign(db, max_listed=2)
    # One score is not a number, five are in no shipped band (as in
    # test_shipped_facts_fill_an_empty_level_table): up to 2 of each listed, 6 - 3 left over.
    assert (result.counts["bad_scores"], result.counts["unplaced_scores"]) == (1, 5)
    assert result.text.count("is not a whole number") == 1
    assert result.text.count("in no band of program") == 2
    assert "... and 3 more skipped score(s)." in result.text


def test_recalculate_refuses_a_start_date_after_today(db):
    load_adult_ed(db)
    before = fingerprint(db)
    result = _recalc(db, start_date="2026-11-29")  # TODAY is 28 Nov 2026
    assert not result.success
    assert "start_date 2026-11-29: after today (2026-11-28)" in result.summary
    assert fingerprint(db) == before
    assert _recalc(db, start_date="2026-11-28").success  # today itself is allowed
