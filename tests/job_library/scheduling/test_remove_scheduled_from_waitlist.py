"""Remove Scheduled Students from Waitlist on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.scheduling import remove_scheduled_from_waitlist as module
from job_library.jobs.scheduling.remove_scheduled_from_waitlist import (
    RemoveScheduledFromWaitlist,
    RemoveScheduledFromWaitlistParams,
)
from job_library.schemas.scheduling import course_periods, courses, schedule, waitlist
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))
ADDED = dt.datetime(2026, 10, 1, 9, 0, tzinfo=ZoneInfo("UTC"))

# waitlist id -> (student, section, position). Sections 100 and 101 are two sections of
# Algebra at school 1, 200 is Science at school 2.
WAITLIST = {
    1: (1, 100, 1),  # scheduled into 100: removed
    2: (2, 100, 2),  # scheduled into 101, another section: stays, moves up to 1
    3: (3, 100, 3),  # was in 100 until 6 Nov (dropped): stays, moves up to 2
    4: (5, 100, 4),  # scheduled into 100 from 1 Dec: removed
    5: (4, 101, 1),  # not scheduled: untouched
    6: (6, 200, 2),  # moves up to 1 (a gap before it closes too)
    7: (4, 200, 3),  # scheduled into 200: removed
}


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(courses),
            [
                dict(course_id=1, school_id=1, syear=2026, title="Algebra", short_name="ALG"),
                dict(course_id=2, school_id=2, syear=2026, title="Science", short_name="SCI"),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=cp,
                    course_id=course,
                    school_id=school,
                    syear=2026,
                    period_id=period,
                    short_name=name,
                    title=f"{name} - Teacher",
                )
                for cp, course, school, period, name in (
                    (100, 1, 1, 11, "ALG-1"),
                    (101, 1, 1, 12, "ALG-2"),
                    (200, 2, 2, 21, "SCI-1"),
                )
            ],
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    student_id=s,
                    syear=2026,
                    school_id=school,
                    course_id=course,
                    course_period_id=cp,
                    start_date=start,
                    end_date=end,
                )
                for s, school, course, cp, start, end in (
                    (1, 1, 1, 100, d(2), None),
                    (2, 1, 1, 101, d(2), None),
                    (3, 1, 1, 100, d(2), d(6)),
                    (5, 1, 1, 100, dt.date(2026, 12, 1), None),
                    (4, 2, 2, 200, d(9), None),
                )
            ],
        )
        conn.execute(
            sa.insert(waitlist),
            [
                dict(waitlist_id=w, student_id=s, course_period_id=cp, position=p, added_at=ADDED)
                for w, (s, cp, p) in WAITLIST.items()
            ],
        )


def _waitlist(engine) -> dict[int, tuple]:
    w = waitlist
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(w.c.waitlist_id, w.c.student_id, w.c.course_period_id, w.c.position)
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _run(engine, now=SATURDAY, **params):
    return run_in_transaction(
        engine,
        RemoveScheduledFromWaitlist(),
        RemoveScheduledFromWaitlistParams(**params),
        now=now,
    )


def test_removes_scheduled_students_and_moves_the_others_up(db):
    _district(db)
    result = _run(db)
    assert _waitlist(db) == {2: (2, 100, 1), 3: (3, 100, 2), 5: (4, 101, 1), 6: (6, 200, 1)}
    assert result.success
    assert dict(result.counts) == {"removed": 3, "renumbered": 3}
    assert result.summary == (
        "Removed 3 scheduled student(s) from section waitlists and moved up 3 waiting "
        "student(s) (every school, school year 2026)."
    )
    assert (
        "student 5 (Last5, First5), school 1: removed from the waitlist of section 100 "
        "(ALG-1 - Teacher) at position 4"
    ) in result.text
    assert (
        "<tr><td>4</td><td>Last4, First4</td><td>2</td><td>200</td><td>SCI-1 - Teacher</td>"
        "<td>3</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after = _waitlist(db)
    again = _run(db)
    assert _waitlist(db) == after
    assert dict(again.counts) == {"removed": 0, "renumbered": 0}
    assert again.summary == (
        "No waitlisted student is scheduled into the section (every school, school year "
        "2026); nothing changed."
    )
    assert "<table>" not in again.html


def test_only_the_chosen_school_and_bad_values_are_named(db):
    _district(db)
    result = _run(db, schools=[2])
    assert result.counts == {"removed": 1, "renumbered": 1}
    assert _waitlist(db) == {**{k: v for k, v in WAITLIST.items() if k != 7}, 6: (6, 200, 1)}
    bad = _run(db, schools=[77])
    assert not bad.success
    assert bad.summary == (
        "schools [77]: no such school id; pick ids from the Schools list. Nothing was removed."
    )
    assert _run(db, syear=2025).counts == {"removed": 0, "renumbered": 0}  # no 2025 sections


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 1 more (listing capped at 2)." in result.text


def test_a_failure_midway_leaves_the_waitlists_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("network error while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="network error"):
        _run(db)
    assert _waitlist(db) == WAITLIST
    monkeypatch.undo()
    assert _run(db).counts == {"removed": 3, "renumbered": 3}


def test_params_form():
    props = RemoveScheduledFromWaitlistParams.model_json_schema()["properties"]
    assert props["schools"]["items"] == {"type": "integer"}
    assert props["syear"]["title"] == "School year"
