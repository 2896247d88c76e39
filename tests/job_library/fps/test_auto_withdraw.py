"""AutoWithdraw on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import auto_withdraw as module
from job_library.jobs.fps.auto_withdraw import AutoWithdraw, AutoWithdrawParams
from job_library.schemas.attendance import attendance_day
from job_library.schemas.enrollment import student_enrollment
from tests.job_library.district import DAYS, DROP_CODE, absent_days, d, load, load_adult
from tests.job_library.jobs_context import run_in_transaction

# Saturday early morning: school days through Friday 13 Nov are counted.
SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def _district(engine) -> None:
    load(engine)
    load_adult(engine)
    absent = 0.0
    absent_days(
        engine,
        {
            11: [(day, absent) for day in DAYS],  # never attended: 9 absences
            # Present 2-4 Nov, then 5, 6, 9, 10, 12, 13 Nov: six absences across the
            # 11 Nov holiday, which is not a school day and does not break the run.
            12: [(day, absent) for day in DAYS[3:]],
            13: [(day, absent) for day in DAYS[4:]],  # five absences
            # Six absences 3-10 Nov, then present 12 Nov, absent 13 Nov: only one now.
            14: [(day, absent) for day in DAYS[1:7]] + [(d(13), absent)],
            # Five full absences, then a half day 13 Nov: a half day counts as attended.
            15: [(day, absent) for day in DAYS[3:8]] + [(d(13), 0.5)],
            16: [(day, absent) for day in DAYS],  # withdrawn by hand 3 Nov: not active
            # Enrolled from 6 Nov: the absences before that are another school's days.
            17: [(day, absent) for day in DAYS],
        },
    )
    # Student 1 is absent all week at a regular school: never an adult withdrawal.
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    student_id=1,
                    school_date=day,
                    syear=2026,
                    school_id=1,
                    minutes_present=0,
                    state_value=0,
                    absence_type="unexcused",
                    disciplinary=False,
                )
                for day in DAYS
            ],
        )


def _enrollments(engine) -> dict[int, tuple]:
    se = student_enrollment
    with engine.connect() as conn:
        rows = conn.execute(sa.select(se.c.id, se.c.end_date, se.c.drop_code)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _run(engine, now=SATURDAY, **params):
    params.setdefault("drop_code", "W26")
    return run_in_transaction(engine, AutoWithdraw(), AutoWithdrawParams(**params), now=now)


def test_withdraws_students_whose_last_six_school_days_were_absences(db):
    _district(db)
    before = _enrollments(db)
    result = _run(db)
    after = _enrollments(db)
    assert after[11] == (d(2), DROP_CODE)  # never attended: ends on its start date
    assert after[12] == (d(4), DROP_CODE)  # last day attended
    assert {k: v for k, v in after.items() if k not in (11, 12)} == {
        k: v for k, v in before.items() if k not in (11, 12)
    }
    assert result.success
    # Active adult enrollments: 11-15 and 17 (16 already ended).
    assert dict(result.counts) == {"checked": 6, "withdrawn": 2}
    assert result.summary == (
        "Withdrew 2 of 6 active adult enrollment(s) with drop code W26 (6 consecutive "
        "absences through 2026-11-13, school year 2026)."
    )
    assert (
        "student 12 (Last12, First12), school 3 (enrollment 12): absent 6 school day(s) "
        "since 2026-11-05, withdrawn as of 2026-11-04"
    ) in result.text
    assert (
        "<tr><td>11</td><td>Last11, First11</td><td>3</td><td>11</td><td>9</td>"
        "<td>2026-11-02</td><td>2026-11-02</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after_first = _enrollments(db)
    again = _run(db)
    assert _enrollments(db) == after_first
    assert dict(again.counts) == {"checked": 4, "withdrawn": 0}
    assert again.summary.endswith("nobody had reached the limit, nothing changed.")
    assert "<table>" not in again.html


def test_five_absences_and_absences_before_enrolling(db):
    _district(db)
    result = _run(db, absences=5)
    after = _enrollments(db)
    assert result.counts["withdrawn"] == 4
    assert after[13] == (d(5), DROP_CODE)
    # Absent on all five school days since enrolling 6 Nov; earlier days do not count.
    assert after[17] == (d(6), DROP_CODE)
    assert after[14] == (None, None)
    assert after[15] == (None, None)

    seven = _district_fresh_run(db, absences=7)
    assert seven == {11: (d(2), DROP_CODE)}


def _district_fresh_run(engine, **params) -> dict[int, tuple]:
    with engine.begin() as conn:
        conn.execute(
            sa.update(student_enrollment)
            .where(student_enrollment.c.id.in_([11, 12, 13, 17]))
            .values(end_date=None, drop_code=None)
        )
    _run(engine, **params)
    ended = _enrollments(engine).items()
    return {k: v for k, v in ended if v[0] is not None and 11 <= k <= 17 and k != 16}


def test_todays_attendance_is_not_counted(db):
    _district(db)
    # Friday 13 Nov at noon: counts through Thursday 12 Nov, so student 12 has five.
    result = _run(db, now=dt.datetime(2026, 11, 13, 12, 0, tzinfo=ZoneInfo("America/New_York")))
    assert result.counts["withdrawn"] == 1
    assert _enrollments(db)[12] == (None, None)
    assert _enrollments(db)[11] == (d(2), DROP_CODE)


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    before = _enrollments(db)
    add_code = _run(db, drop_code="E01")
    assert not add_code.success
    assert add_code.summary.startswith(
        "drop code 'E01': no Drop enrollment code with that short name in school year 2026"
    )
    assert _run(db, schools=[1, 3]).summary.startswith("schools [1]: not adult education schools")
    assert _run(db, schools=[9]).summary.startswith("schools [9]: no such school id")
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert _enrollments(db) == before


def test_only_the_chosen_adult_school_and_listing_cap(db):
    _district(db)
    result = _run(db, schools=[3], max_listed=1)
    assert result.counts["withdrawn"] == 2
    assert result.html.count("<tr><td>") == 1
    assert "... and 1 more (listing capped at 1)." in result.text
    assert "<p>1 more not listed.</p>" in result.html


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    _district(db)
    before = _enrollments(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("worker killed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="worker killed"):
        _run(db)
    assert _enrollments(db) == before
    monkeypatch.undo()
    assert _run(db).counts["withdrawn"] == 2  # no temporary table left behind


def test_params_form():
    props = AutoWithdrawParams.model_json_schema()["properties"]
    assert props["absences"]["enum"] == [5, 6, 7]
    assert props["absences"]["default"] == 6
    assert props["drop_code"]["title"] == "Drop code"
    with pytest.raises(ValueError, match="Input should be 5, 6 or 7"):
        AutoWithdrawParams(absences=4, drop_code="W26")
    with pytest.raises(ValueError, match="Field required"):
        AutoWithdrawParams()
