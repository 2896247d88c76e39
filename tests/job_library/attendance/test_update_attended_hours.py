"""Update Attended Hours on SQLite and Postgres: the whole year, the School Year option in the
title, a second run, a failure midway and bad values (worked by hand in test_attended_hours)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.defaults import default_title
from job_library.jobs.attendance import _hours_work
from job_library.jobs.attendance.attended_hours import AttendedHours
from job_library.jobs.attendance.update_attended_hours import (
    UpdateAttendedHours,
    UpdateAttendedHoursParams,
)
from job_library.schemas.district import school_years
from job_library.site import AddOn
from tests.job_library.attendance.test_attended_hours import (
    OPEN,
    _attended,
    _district,
    _update,
    _values,
)


def test_update_attended_hours_takes_every_record_of_the_year(db):
    _district(db)
    result = _update(db)
    assert _values(db) == {**OPEN, 6: 5.0, 9: 0.0, 10: None}  # 6: 2-6 Nov; 9: from 20 Nov
    assert dict(result.counts) == {"checked": 10, "updated": 10, "skipped": 1}
    assert "every schedule record" in result.summary


def test_second_run_changes_nothing_and_a_new_absence_changes_one_record(db):
    _district(db)
    _update(db)
    again = _update(db)
    assert dict(again.counts) == {"checked": 10, "updated": 0, "skipped": 1}
    assert "were already up to date, nothing changed." in again.summary
    from job_library.schemas.attendance import attendance_period
    from tests.job_library.district import E, d

    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_period).values(
                student_id=1, school_date=d(12), period_id=11, attendance_code=E
            )
        )
    third = _attended(db)
    assert dict(third.counts) == {"checked": 8, "updated": 1, "skipped": 1}
    assert _values(db)[1] == 7.0
    assert "Attended Hours 8.00 -> 7.00" in third.text


def test_school_year_and_school_choices_and_bad_values(db):
    _district(db)
    only = _update(db, schools=[2])
    assert dict(only.counts) == {"checked": 1, "updated": 1, "skipped": 1}
    assert {k for k, v in _values(db).items() if v is not None} == {7}
    last_year = _update(db, syear=2025)
    assert dict(last_year.counts) == {"checked": 0, "updated": 0, "skipped": 0}
    assert _update(db, syear=1999).summary.startswith("school year 1999: no such school year")
    assert not _attended(db, schools=[7]).success
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    assert "no default school year is set" in _update(db).summary


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _update(db, max_listed=3)
    assert result.html.count("<tr><td>") == 3
    assert "... and 7 more (listing capped at 3)." in result.text


def test_a_failure_midway_leaves_the_schedule_as_it_was(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while reporting")

    monkeypatch.setattr(_hours_work, "hours_report", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _update(db)
    assert all(v is None for v in _values(db).values())


def test_the_title_carries_the_school_year_and_the_add_on():
    assert default_title(UpdateAttendedHours, {"syear": 2018}) == "Update Attended Hours for 2018"
    assert default_title(UpdateAttendedHours, {"syear": None}) == "Update Attended Hours"
    assert AttendedHours.needs_add_ons == {AddOn.FPS}
    props = UpdateAttendedHoursParams.model_json_schema()["properties"]
    assert props["syear"]["title"] == "School year"
