"""Update Cost Factor From Matrix of Services on SQLite and Postgres, worked out by hand.

The run day is 28 Nov 2026: the window opens on 29 Oct (30 days before, included)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sss import update_cost_factor as module
from job_library.jobs.sss.update_cost_factor import (
    UpdateCostFactorFromMatrix,
    UpdateCostFactorParams,
)
from job_library.schemas.enrollment import students
from job_library.schemas.sss import sss_events, sss_matrix_forms
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

NY = ZoneInfo("America/New_York")
RUN = dt.datetime(2026, 11, 28, 2, 0, tzinfo=NY)
NEXT_DAY = dt.datetime(2026, 11, 29, 2, 0, tzinfo=NY)
EARLIER = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


# (form id, student, event type, services start, locked, cost factor, FEFP code, pushed)
FORMS = [
    (1, 1, "IEP", day(10, 29), True, "254", "254", False),  # 30 days back: taken
    (2, 2, "IEP", day(10, 28), True, "252", "112", False),  # 31 days back: too old
    (3, 2, "IEP", day(11, 5), True, "256", "113", False),  # no such cost factor
    (4, 3, "IEP", day(11, 10), True, "253", "113", False),  # what the SIS already has
    (5, 3, "IEP", day(11, 29), True, "252", "112", False),  # starts tomorrow
    (6, 4, "IEP", day(11, 28), False, "251", "111", False),  # not locked
    (7, 4, "IEP", day(11, 15), True, "254", "113", False),  # values that do not match
    (8, 5, "IEP", day(11, 1), True, "251", "111", False),  # superseded by form 9
    (9, 5, "IEP", day(11, 20), True, "255", "255", False),
    (10, 6, "IEP", day(11, 20), True, "252", "112", True),  # already pushed
    (11, 6, "EP", day(11, 20), True, "253", "113", False),  # not an IEP
]
BEFORE = {1: (None, None), 2: ("K", "M2"), 3: ("113", "253"), 4: (None, None)}
BEFORE |= {5: ("112", "252"), 6: (None, None)}


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        for student, (code, mckay) in BEFORE.items():
            conn.execute(
                sa.update(students)
                .where(students.c.student_id == student)
                .values(ese_code=code, charter_mckay=mckay)
            )
        for form, student, kind, start, locked, factor, code, pushed in FORMS:
            conn.execute(
                sa.insert(sss_events).values(
                    event_id=form,
                    student_id=student,
                    event_type=kind,
                    event_date=start - dt.timedelta(days=7),
                    services_start_date=start,
                    locked=locked,
                )
            )
            conn.execute(
                sa.insert(sss_matrix_forms).values(
                    form_id=form,
                    event_id=form,
                    cost_factor=factor,
                    fefp_code=code,
                    pushed_at=EARLIER if pushed else None,
                )
            )


def _codes(engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(students.c.student_id, students.c.ese_code, students.c.charter_mckay)
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _pushed(engine) -> set[int]:
    m = sss_matrix_forms
    with engine.connect() as conn:
        return set(conn.execute(sa.select(m.c.form_id).where(m.c.pushed_at.is_not(None))).scalars())


def _run(engine, now=RUN, **params):
    return run_in_transaction(
        engine, UpdateCostFactorFromMatrix(), UpdateCostFactorParams(**params), now=now
    )


def test_pushes_the_newest_locked_form_of_the_last_30_days(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert _codes(db) == {**BEFORE, 1: ("254", "254"), 5: ("255", "255")}
    # Form 1 (29 Oct, the window's first day), 4 (already equal), 8 and 9 (student 5).
    assert _pushed(db) == {1, 4, 8, 9, 10}
    assert dict(result.counts) == {"forms": 5, "updated": 2, "marked_pushed": 4, "rejected": 2}
    assert result.summary == (
        "Took the newest matrix form of 5 student(s) (services starting 2026-10-29 to "
        "2026-11-28): 2 student(s) got a new cost factor or FEFP code, 4 form(s) marked "
        "pushed, 2 rejected."
    )
    assert (
        "student 1 (Last1, First1), form 1 (services from 2026-10-29): McKay - -> 254, "
        "ESE FEFP - -> 254: updated" in result.text
    )
    assert "form 4 (services from 2026-11-10): McKay 253 -> 253, ESE FEFP 113 -> 113: " in (
        result.text
    )
    assert "already in the SIS" in result.text
    assert "form 9 (services from 2026-11-20): McKay 252 -> 255, ESE FEFP 112 -> 255" in (
        result.text
    )


def test_bad_forms_are_listed_with_the_reason_and_stay_unpushed(db):
    _district(db)
    result = _run(db)
    assert (
        "form 3 (services from 2026-11-05): McKay M2 -> 256, ESE FEFP K -> 113: not pushed: "
        "Matrix Cost Factor 256 is not one of 251-255" in result.text
    )
    assert "not pushed: cost factor 254 needs FEFP code 254, not 113" in result.text
    assert {3, 7}.isdisjoint(_pushed(db))
    assert "<td>not pushed: Matrix Cost Factor 256 is not one of 251-255</td>" in result.html


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    codes, pushed = _codes(db), _pushed(db)
    again = _run(db, now=RUN + dt.timedelta(hours=1))
    assert again.success
    assert _codes(db) == codes and _pushed(db) == pushed
    assert dict(again.counts) == {"forms": 2, "updated": 0, "marked_pushed": 0, "rejected": 2}


def test_a_day_later_the_window_moves(db):
    # 29 Nov: 29 Oct is now 31 days back; student 3's form starting that day is taken.
    _district(db)
    result = _run(db, now=NEXT_DAY)
    assert _codes(db) == {**BEFORE, 3: ("112", "252"), 5: ("255", "255")}
    assert _pushed(db) == {4, 5, 8, 9, 10}
    assert result.counts["updated"] == 2


def test_nothing_in_the_window_says_so(db):
    load(db)
    result = _run(db)
    assert result.success
    assert result.summary == (
        "No locked IEP matrix form waited to be pushed (services starting 2026-10-29 to "
        "2026-11-28); nothing changed."
    )


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 3 more (listing capped at 2)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("connection lost while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _codes(db) == BEFORE
    assert _pushed(db) == {10}


def test_class_needs_sss_in_florida():
    from job_library.site import AddOn

    assert UpdateCostFactorFromMatrix.needs_state == "FL"
    assert UpdateCostFactorFromMatrix.needs_add_ons == frozenset({AddOn.SSS})
