"""Deactivate MTSS events for withdrawn students on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sss import deactivate_mtss_events as module
from job_library.jobs.sss.deactivate_mtss_events import (
    DeactivateMtssEvents,
    DeactivateMtssEventsParams,
)
from job_library.schemas.sss import mtss_events
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))

# event id -> (student, school, active, inactivated on)
EVENTS = {
    1: (1, 1, True, None),  # enrolled (last year's ended record does not matter)
    2: (3, 1, True, None),  # withdrawn 10 Nov: inactivated
    3: (3, 1, False, d(1)),  # already inactive: untouched
    4: (4, 1, True, None),  # moved to school 2 on 9 Nov: inactivated
    5: (4, 2, True, None),  # enrolled at school 2
    6: (6, 1, True, None),  # enrolls 20 Nov: never withdrawn
    7: (2, 2, True, None),  # never enrolled at school 2: left alone
    8: (5, 2, True, None),  # second-school enrollment still open
}


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(mtss_events),
            [
                dict(
                    event_id=e,
                    student_id=s,
                    school_id=school,
                    title=f"Tier 2 reading {e}",
                    start_date=dt.date(2026, 9, 1),
                    active=active,
                    inactivated_on=on,
                )
                for e, (s, school, active, on) in EVENTS.items()
            ],
        )


def _events(engine) -> dict[int, tuple]:
    t = mtss_events
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.event_id, t.c.student_id, t.c.school_id, t.c.active, t.c.inactivated_on)
        ).all()
    return {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in rows}


def _run(engine, now=SATURDAY, **params):
    return run_in_transaction(
        engine, DeactivateMtssEvents(), DeactivateMtssEventsParams(**params), now=now
    )


def test_inactivates_the_events_of_withdrawn_students(db):
    _district(db)
    result = _run(db)
    assert _events(db) == {**EVENTS, 2: (3, 1, False, d(14)), 4: (4, 1, False, d(14))}
    assert result.success
    assert dict(result.counts) == {"inactivated": 2}
    assert result.summary == (
        "Inactivated 2 MTSS event(s) of students withdrawn from their school, as of 2026-11-14."
    )
    assert (
        "student 3 (Last3, First3), school 1: event 2 (Tier 2 reading 2) inactivated; "
        "withdrawn 2026-11-10"
    ) in result.text
    assert (
        "<tr><td>4</td><td>Last4, First4</td><td>1</td><td>4</td><td>Tier 2 reading 4</td>"
        "<td>2026-11-06</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after = _events(db)
    again = _run(db, now=SATURDAY + dt.timedelta(days=1))
    assert _events(db) == after
    assert dict(again.counts) == {"inactivated": 0}
    assert again.summary == (
        "No active MTSS event belongs to a student withdrawn from its school as of "
        "2026-11-15; nothing changed."
    )
    assert "<table>" not in again.html


def test_a_student_is_enrolled_through_the_last_day(db):
    _district(db)
    # 10 Nov is student 3's last day: still enrolled; student 4 left school 1 on 6 Nov.
    result = _run(db, now=dt.datetime(2026, 11, 10, 16, 0, tzinfo=ZoneInfo("America/New_York")))
    assert result.counts == {"inactivated": 1}
    assert _events(db)[2] == EVENTS[2]
    assert _events(db)[4] == (4, 1, False, d(10))


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 1 more (listing capped at 1)." in result.text


def test_a_failure_midway_leaves_the_events_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("timeout while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="timeout while reporting"):
        _run(db)
    assert _events(db) == EVENTS
    monkeypatch.undo()
    assert _run(db).counts == {"inactivated": 2}


def test_params_form():
    props = DeactivateMtssEventsParams.model_json_schema()["properties"]
    assert props == {
        "max_listed": {
            "default": 200,
            "maximum": 10000,
            "minimum": 0,
            "title": "Inactivated events listed",
            "type": "integer",
        }
    }
