"""WDIS Total Hours on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.attendance import _hours_work
from job_library.jobs.attendance.wdis_total_hours import WdisTotalHours, WdisTotalHoursParams
from job_library.schemas.attendance import fl_survey_periods
from job_library.schemas.scheduling import courses
from job_library.site import AddOn
from tests.job_library.attendance.hours_district import load_hours, schedule_values
from tests.job_library.district import SYEAR, d, load
from tests.job_library.jobs_context import run_in_transaction

FRIDAY = dt.datetime(2026, 11, 13, 10, 0, tzinfo=ZoneInfo("America/New_York"))
COLUMNS = (
    "total_hours",
    "survey_w_hours",
    "survey_s_hours",
    "survey_f_hours",
    "att_hours_w",
    "att_hours_s",
    "att_hours_f",
)
# Windows: F 2-5 Nov, W 6-10 Nov, S 12-30 Nov. Calendar days 2-6, 9, 10, 12, 13 Nov; attended
# hours count through 12 Nov. Program course 1 (school 1) only.
# schedule id -> (total, W, S, F, attended W, S, F)
EXPECTED = {
    1: (9.0, 3.0, 2.0, 4.0, 3.0, 1.0, 4.0),  # S: 12 and 13 Nov planned, 13 Nov not yet attended
    2: (9.0, 3.0, 2.0, 4.0, 3.0, 1.0, 2.0),  # absent P1 3 and 4 Nov (inside F)
    3: (9.0, 3.0, 2.0, 4.0, 2.0, 1.0, 3.0),  # absent P4 3 Nov (F) and 6 Nov (W's first day)
    4: (7.5, 2.5, 1.67, 3.33, 2.5, 0.83, 3.33),  # 50-minute period
    5: (4.0, 3.0, 0.0, 1.0, 2.0, 0.0, 1.0),  # enrolled 5-10 Nov; suspended 9 Nov
    6: (5.0, 1.0, 0.0, 4.0, 1.0, 0.0, 4.0),  # 2-6 Nov
    8: (4.0, 2.0, 2.0, 0.0, 2.0, 1.0, 0.0),  # 9-13 Nov
    9: (0.0,) * 7,  # starts 20 Nov: no school day in the calendar yet
    11: (9.0, 3.0, 2.0, 4.0, 3.0, 0.0, 4.0),  # 10 Nov mark is section 106's; 12 Nov is his
}


def _windows(engine, **changes) -> None:
    windows = {"F": (d(2), d(5)), "W": (d(6), d(10)), "S": (d(12), d(30)), **changes}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(fl_survey_periods),
            [
                dict(syear=SYEAR, survey=s, start_date=a, end_date=b)
                for s, (a, b) in windows.items()
                if a is not None
            ],
        )


def _district(engine, **windows) -> None:
    load(engine)
    load_hours(engine)
    _windows(engine, **windows)


def _values(engine) -> dict[int, tuple]:
    return {k: v for k, v in schedule_values(engine, *COLUMNS).items() if v[0] is not None}


def _run(engine, now=FRIDAY, **params):
    return run_in_transaction(engine, WdisTotalHours(), WdisTotalHoursParams(**params), now=now)


def test_total_survey_and_attended_hours_of_program_records(db):
    _district(db)
    result = _run(db)
    assert _values(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"checked": 9, "updated": 9, "skipped": 0}
    assert result.summary == (
        "Updated WDIS hours on 9 of 9 schedule record(s) (school year 2026, program courses, "
        "attended hours through 2026-11-12)."
    )
    assert (
        "student 2, section 104 (schedule 4): Total Hours - -> 7.50; Survey W Hours - -> 2.50; "
        "Survey S Hours - -> 1.67; Survey F Hours - -> 3.33" in result.text
    )


def test_second_run_changes_nothing_and_the_next_day_moves_attended_hours(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert dict(again.counts) == {"checked": 9, "updated": 0, "skipped": 0}
    assert _values(db) == EXPECTED
    saturday = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    later = _run(db, now=saturday)
    # 13 Nov is now attended: every record planned that day gains an attended S hour.
    assert later.counts["updated"] == 6  # records 1, 2, 3, 4, 8, 11
    values = _values(db)
    assert values[1][5] == 2.0 and values[4][5] == 1.67 and values[11][5] == 1.0


def test_a_record_no_enrollment_covers_is_listed_with_the_reason(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(sa.update(courses).where(courses.c.course_id == 2).values(program_number="X"))
    result = _run(db)
    assert dict(result.counts) == {"checked": 10, "updated": 10, "skipped": 1}
    assert _values(db)[7] == (4.0, 2.0, 2.0, 0.0, 1.0, 1.0, 0.0)  # school 2 from 9 Nov
    assert "skipped: student 1, section 201 (schedule 10): no enrollment" in result.text
    assert schedule_values(db, "total_hours")[10] == (None,)


def test_missing_or_backwards_survey_windows_stop_the_job(db):
    _district(db, S=(None, None), W=(None, None))
    result = _run(db)
    assert not result.success
    assert result.summary.startswith(
        "school year 2026: no survey window for survey W, S; add the dates"
    )
    assert _values(db) == {}
    with db.begin() as conn:
        conn.execute(
            sa.insert(fl_survey_periods),
            [
                dict(syear=SYEAR, survey="W", start_date=d(10), end_date=d(6)),
                dict(syear=SYEAR, survey="S", start_date=d(12), end_date=d(30)),
            ],
        )
    backwards = _run(db)
    assert not backwards.success
    assert "survey window W (2026-11-10 to 2026-11-06) ends before it starts" in backwards.summary
    assert not _run(db, schools=[9]).success


def test_a_failure_midway_leaves_the_schedule_as_it_was(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost the connection")

    monkeypatch.setattr(_hours_work, "hours_report", broken)
    with pytest.raises(RuntimeError, match="lost the connection"):
        _run(db)
    assert _values(db) == {}


def test_listing_is_capped_and_the_class_is_for_florida_fps_sites(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert "... and 7 more (listing capped at 2)." in result.text
    assert WdisTotalHours.needs_state == "FL"
    assert WdisTotalHours.needs_add_ons == {AddOn.FPS}
