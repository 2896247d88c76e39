"""Create Detentions from Tardies on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.attendance import detentions_from_tardies as module
from job_library.jobs.attendance.detentions_from_tardies import (
    CreateDetentionsFromTardies,
    DetentionsFromTardiesParams,
)
from job_library.schemas.attendance import attendance_period
from job_library.schemas.discipline import detentions, tardy_thresholds
from tests.job_library.district import T, d, load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))

# (student, threshold) -> (school, incident date, minutes, reason)
EXPECTED = {
    (1, 11): (1, d(4), 30, "3 tardies"),  # third tardy: period 1 on 4 Nov (before period 2)
    (2, 11): (1, d(9), 30, "3 tardies"),  # two thresholds reached in one run
    (2, 12): (1, d(10), 60, "5 tardies"),
    (3, 11): (1, d(10), 30, "3 tardies"),
    (4, 21): (2, d(10), 45, "2 tardies"),  # counted per school: 2 at school 1, 2 at school 2
}


def _district(engine) -> None:
    load(engine)
    tardies = [
        (1, d(2), 11),
        (1, d(3), 11),
        (1, d(4), 12),
        (1, d(4), 11),
        # Student 2 already has a tardy in period 1 on 5 Nov.
        (2, d(6), 11),
        (2, d(9), 11),
        (2, d(9), 12),
        (2, d(10), 11),
        (3, d(5), 11),
        (3, d(6), 11),
        (3, d(10), 11),
        (4, d(2), 11),
        (4, d(3), 11),
        (4, d(9), 21),
        (4, d(10), 22),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(student_id=s, school_date=day, period_id=p, attendance_code=T)
                for s, day, p in tardies
            ],
        )
        conn.execute(
            sa.insert(tardy_thresholds),
            [
                dict(
                    threshold_id=11,
                    school_id=1,
                    syear=2026,
                    tardies=3,
                    detention_minutes=30,
                    title="3 tardies",
                ),
                dict(
                    threshold_id=12,
                    school_id=1,
                    syear=2026,
                    tardies=5,
                    detention_minutes=60,
                    title="5 tardies",
                ),
                dict(
                    threshold_id=21,
                    school_id=2,
                    syear=2026,
                    tardies=2,
                    detention_minutes=45,
                    title="2 tardies",
                ),
            ],
        )


def _detentions(engine) -> dict[tuple[int, int], tuple]:
    t = detentions
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.student_id,
                t.c.threshold_id,
                t.c.school_id,
                t.c.incident_date,
                t.c.minutes,
                t.c.reason,
            )
        ).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _run(engine, now=SATURDAY, **params):
    return run_in_transaction(
        engine, CreateDetentionsFromTardies(), DetentionsFromTardiesParams(**params), now=now
    )


def test_adds_a_detention_for_each_threshold_reached(db):
    _district(db)
    result = _run(db)
    assert _detentions(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"thresholds": 3, "added": 5}
    assert result.summary == (
        "Added 5 detention(s) from 3 tardy threshold(s) (every school, school year 2026, "
        "tardies through 2026-11-14)."
    )
    assert (
        "student 2 (Last2, First2), school 1: 5 tardies reached on 2026-11-10, 60-minute "
        "detention (5 tardies)"
    ) in result.text
    assert (
        "<tr><td>4</td><td>Last4, First4</td><td>2</td><td>2</td><td>2026-11-10</td>"
        "<td>45</td><td>2 tardies</td></tr>"
    ) in result.html


def test_second_run_adds_nothing_and_existing_detentions_are_kept(db):
    _district(db)
    with db.begin() as conn:
        # Already on the list (served): never added twice nor changed.
        conn.execute(
            sa.insert(detentions),
            [
                dict(
                    student_id=1,
                    school_id=1,
                    syear=2026,
                    threshold_id=11,
                    incident_date=d(5),
                    minutes=20,
                    reason="entered by hand",
                    served=True,
                )
            ],
        )
    first = _run(db)
    assert first.counts["added"] == 4
    assert _detentions(db)[(1, 11)] == (1, d(5), 20, "entered by hand")
    again = _run(db)
    assert dict(again.counts) == {"thresholds": 3, "added": 0}
    assert again.summary.endswith("no new threshold was reached, nothing changed.")
    assert "<table>" not in again.html
    # A corrected tardy never removes a detention.
    with db.begin() as conn:
        conn.execute(attendance_period.delete().where(attendance_period.c.student_id == 3))
    assert _run(db).counts["added"] == 0
    assert (3, 11) in _detentions(db)


def test_tardies_through_today_only_and_chosen_schools(db):
    _district(db)
    monday = dt.datetime(2026, 11, 9, 15, 0, tzinfo=ZoneInfo("America/New_York"))
    result = _run(db, now=monday)
    # Through 9 Nov: student 1 has 4, student 2 has 4 (third on 9 Nov), 3 and 4 too few.
    assert _detentions(db) == {k: EXPECTED[k] for k in ((1, 11), (2, 11))}
    assert result.counts["added"] == 2
    school_two = _run(db, schools=[2])
    assert school_two.counts == {"thresholds": 1, "added": 1}
    assert "(school(s) 2, school year 2026" in school_two.summary


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    unknown = _run(db, schools=[5])
    assert not unknown.success
    assert unknown.summary == (
        "schools [5]: no such school id; pick ids from the Schools list. No detention was added."
    )
    assert _run(db, syear=2031).summary.startswith("school year 2031: no such school year")
    assert _detentions(db) == {}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 3 more (listing capped at 2)." in result.text
    assert "<p>3 more not listed.</p>" in result.html


def test_a_failure_midway_leaves_the_detention_list_as_it_was(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost the database while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost the database"):
        _run(db)
    assert _detentions(db) == {}
    monkeypatch.undo()
    assert _run(db).counts["added"] == 5


def test_params_form():
    props = DetentionsFromTardiesParams.model_json_schema()["properties"]
    assert props["schools"]["items"] == {"type": "integer"}
    assert props["max_listed"]["default"] == 200
    with pytest.raises(ValueError, match="less than or equal to 10000"):
        DetentionsFromTardiesParams(max_listed=20_000)
