"""Synchronize Schedule of Services on SQLite and Postgres, worked out by hand (run day
28 Nov 2026)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.sss import synchronize_schedule_of_services as module
from job_library.jobs.sss.synchronize_schedule_of_services import (
    SynchronizeScheduleOfServices,
    SynchronizeScheduleOfServicesParams,
)
from job_library.platform_schema import custom_field_values
from job_library.schemas.sss import sss_events, sss_schedule_of_services
from job_library.student_fields import FieldType, RecordTable, StudentField, define_field
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

FIELDS = {
    2001: ("ese_time_with_non_disabled", FieldType.NUMBER),
    2002: ("ese_time_total_week", FieldType.NUMBER),
    2003: ("idea_educational_environment", FieldType.TEXT),
}


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


# (event, student, services start, locked, with non-disabled, total week, environment)
FORMS = [
    (1, 1, day(11, 28), True, 1500, 1800, "K"),  # services begin on the run day
    (2, 2, day(9, 1), True, 600, 1800, "M"),  # an older IEP of student 2
    (3, 2, day(11, 20), True, 1200, 1800, "l"),  # the current one (lower case)
    (4, 3, day(11, 29), True, 100, 1800, "M"),  # services begin tomorrow
    (5, 3, day(11, 1), False, 100, 1800, "M"),  # a draft
    (6, 4, day(11, 2), True, 2000, 1800, "K"),  # more than the whole week
    (7, 5, day(10, 1), True, 1800, 1800, "K"),  # what the fields already hold
    (8, 6, day(10, 1), True, 0, 0, "M"),  # no school week
]
# Values on file before the run: {student: (with non-disabled, total, environment)}.
BEFORE = {4: ("900", "1800", "L"), 5: ("1800", "1800", "K")}


def _district(engine, *, fields: bool = True) -> None:
    load(engine)
    with engine.begin() as conn:
        if fields:
            for field_id, (alias, kind) in FIELDS.items():
                define_field(conn, StudentField(field_id, alias, alias, kind, RecordTable.STUDENTS))
            conn.execute(
                sa.insert(custom_field_values),
                [
                    dict(field_id=2001 + k, record_id=student, value=value)
                    for student, values in BEFORE.items()
                    for k, value in enumerate(values)
                ],
            )
        for event, student, start, locked, with_nd, total, env in FORMS:
            conn.execute(
                sa.insert(sss_events).values(
                    event_id=event,
                    student_id=student,
                    event_type="IEP",
                    event_date=start,
                    services_start_date=start,
                    locked=locked,
                )
            )
            conn.execute(
                sa.insert(sss_schedule_of_services).values(
                    form_id=10 + event,
                    event_id=event,
                    minutes_with_non_disabled=with_nd,
                    minutes_total_week=total,
                    idea_environment=env,
                )
            )


def _values(engine) -> dict[int, tuple]:
    v = custom_field_values
    out: dict[int, list] = {}
    with engine.connect() as conn:
        for field_id, record, value in conn.execute(
            sa.select(v.c.field_id, v.c.record_id, v.c.value).order_by(v.c.field_id)
        ):
            out.setdefault(record, [None, None, None])[field_id - 2001] = value
    return {k: tuple(vals) for k, vals in out.items()}


def _run(engine, **params):
    return run_in_transaction(
        engine, SynchronizeScheduleOfServices(), SynchronizeScheduleOfServicesParams(**params)
    )


def test_pushes_the_current_schedule_of_services(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert _values(db) == {
        **BEFORE,
        1: ("1500", "1800", "K"),
        2: ("1200", "1800", "L"),
    }
    assert dict(result.counts) == {"students": 5, "updated": 2, "rejected": 2}
    assert result.summary == (
        "5 student(s) have a current Schedule of Services (locked IEPs, services begun by "
        "2026-11-28); updated the ESE tab fields of 2, 2 rejected."
    )
    assert (
        "student 2 (Last2, First2), form 13: with non-disabled - -> 1200, total week - -> "
        "1800, environment - -> L: updated" in result.text
    )


def test_bad_forms_are_listed_and_leave_the_fields_alone(db):
    _district(db)
    result = _run(db)
    assert (
        "student 4 (Last4, First4), form 16: with non-disabled 900 -> 2000, total week 1800 "
        "-> 1800, environment L -> K: not synchronized: the time with non-disabled peers "
        "(2000) is longer than the whole week (1800)" in result.text
    )
    assert (
        "form 18: with non-disabled - -> 0, total week - -> 0, environment - -> M: not "
        "synchronized: the total student week is not a number of minutes above 0" in result.text
    )
    assert 6 not in _values(db)


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    values = _values(db)
    again = _run(db)
    assert _values(db) == values
    assert dict(again.counts) == {"students": 5, "updated": 0, "rejected": 2}
    assert again.summary.endswith("the ESE tab already matched, nothing changed, 2 rejected.")


def test_missing_student_fields_fail_without_changes(db):
    _district(db, fields=False)
    result = _run(db)
    assert not result.success
    assert "no student field with alias 'ese_time_with_non_disabled'" in result.summary
    assert result.summary.endswith("Nothing was changed.")


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 3 more (listing capped at 1)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("connection lost while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _values(db) == BEFORE
