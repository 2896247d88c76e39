"""Medical on SQLite and Postgres, worked out by hand.

The run day is Tue 10 Nov 2026, a school day. Enrolled that day: students 1, 2, 3 (5-10 Nov)
and 5 at school 1, 4 at school 2, and 5 at school 2 as a second school; 6 only from 20 Nov."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import medical as module
from job_library.jobs.sis.medical import Medical, MedicalParams
from job_library.preferences import Preferences
from job_library.schemas.health import (
    calendar_categories,
    medication_administrations,
    medication_orders,
    user_calendar_events,
)
from job_library.site import AddOn
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

NY = ZoneInfo("America/New_York")
RUN = dt.datetime(2026, 11, 10, 6, 0, tzinfo=NY)
T = dt.time

# id: (student, medication, form, order date, end date, start, end, pills received, count)
ORDERS = {
    1: (1, "Amoxicillin", "tablet", d(1), None, T(11, 30), T(11, 45), 20, None),
    2: (5, "Albuterol", "inhaler", d(10), None, T(9, 0), None, None, None),  # ordered today
    3: (2, "Ritalin", "tablet", d(11), None, T(8, 0), None, 30, 30),  # from tomorrow
    4: (2, "Insulin", "liquid", dt.date(2026, 10, 1), d(9), T(12, 0), None, None, None),
    5: (3, "Ibuprofen", "tablet", d(1), d(10), T(12, 0), T(12, 15), 10, 10),  # ends today
    6: (1, "Amoxicillin", "tablet", d(5), None, T(11, 30), T(11, 45), 5, 5),  # as order 1
    7: (4, "Zyrtec", None, d(1), None, T(8, 0), T(8, 10), None, None),  # event exists
    8: (6, "Zyrtec", None, d(1), None, T(8, 0), None, None, None),  # not enrolled yet
    9: (2, "Tylenol", "tablet", d(1), None, T(13, 0), T(12, 0), None, None),  # ends first
}
# (order, day, quantity, status)
GIVEN = [(1, d(2), 1, "given"), (1, d(3), 1, "given"), (1, d(4), 1, "refused")]
GIVEN += [(5, d(6), 2, "given"), (6, d(6), 6, "given")]
EXISTING = dict(
    school_id=2,
    event_date=d(10),
    start_time=T(8, 0),
    end_time=T(8, 10),
    title="Zyrtec for student 4",
    category_id=1,
    profile="Health Aide",
    student_id=4,
    medication="Zyrtec",
    medication_form=None,
)


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(calendar_categories),
            [dict(category_id=1, title="Medication"), dict(category_id=2, title="Field Trips")],
        )
        prefs = Preferences(conn)
        prefs.set("medication_administrator_profile", "Nurse")
        prefs.set("medication_administrator_profile", "Health Aide", school_id=2)
        prefs.set("medication_administration_category", "Medication")
        conn.execute(
            sa.insert(medication_orders),
            [
                dict(
                    order_id=i,
                    student_id=s,
                    medication=m,
                    medication_form=f,
                    order_date=od,
                    end_date=ed,
                    admin_start=start,
                    admin_end=end,
                    pills_received=pills,
                    pill_count=count,
                )
                for i, (s, m, f, od, ed, start, end, pills, count) in ORDERS.items()
            ],
        )
        conn.execute(
            sa.insert(medication_administrations),
            [
                dict(
                    order_id=o,
                    administered_at=dt.datetime.combine(day, T(12, 0), NY),
                    quantity=q,
                    status=status,
                )
                for o, day, q, status in GIVEN
            ],
        )
        conn.execute(sa.insert(user_calendar_events).values(event_id=100, **EXISTING))


def _events(engine) -> set[tuple]:
    e = user_calendar_events
    with engine.connect() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.select(
                    e.c.school_id,
                    e.c.event_date,
                    e.c.student_id,
                    e.c.medication,
                    e.c.medication_form,
                    e.c.start_time,
                    e.c.end_time,
                    e.c.profile,
                    e.c.category_id,
                )
            )
        }


def _counts(engine) -> dict[int, int | None]:
    o = medication_orders
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(o.c.order_id, o.c.pill_count)).tuples().all())


BEFORE = {(2, d(10), 4, "Zyrtec", None, T(8, 0), T(8, 10), "Health Aide", 1)}
ADDED = {
    (1, d(10), 1, "Amoxicillin", "tablet", T(11, 30), T(11, 45), "Nurse", 1),
    (1, d(10), 5, "Albuterol", "inhaler", T(9, 0), None, "Nurse", 1),
    (2, d(10), 5, "Albuterol", "inhaler", T(9, 0), None, "Health Aide", 1),
    (1, d(10), 3, "Ibuprofen", "tablet", T(12, 0), T(12, 15), "Nurse", 1),
}
COUNTS = {i: o[8] for i, o in ORDERS.items()}


def _run(engine, now=RUN, **params):
    return run_in_transaction(engine, Medical(), MedicalParams(**params), now=now)


def test_adds_todays_events_once_per_school_and_counts_pills(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert _events(db) == BEFORE | ADDED
    assert _counts(db) == {**COUNTS, 1: 18, 5: 8}
    assert dict(result.counts) == {
        "orders_due": 5,  # 1, 2, 5, 6 and 7 (3, 4 and 8 not in force or enrolled, 9 bad)
        "order_schools_due": 6,  # order 2 (student 5) at schools 1 and 2
        "events_created": 4,
        "pill_counts_updated": 2,
        "problems": 2,
    }
    assert result.summary == (
        "5 medication order(s) due at 6 school placement(s) in session on 2026-11-10: added "
        "4 calendar event(s), updated 2 pill count(s), 2 problem(s) listed."
    )
    assert (
        "school 1, student 1: Medication: Amoxicillin (tablet) - Last1, First1 at 11:30-11:45 "
        "for Nurse" in result.text
    )
    assert (
        "school 2, student 5: Medication: Albuterol (inhaler) - Last5, First5 at 09:00 for "
        "Health Aide" in result.text
    )


def test_bad_orders_are_listed_with_the_reason(db):
    _district(db)
    result = _run(db)
    assert (
        "not done: order 9 (student 2, Last2, First2, Tylenol): When Admin End is before When "
        "Admin Start" in result.text
    )
    assert (
        "not done: order 6 (student 1, Amoxicillin): 6 pill(s) logged as given but only 5 "
        "received; the pill count stays 5" in result.text
    )


def test_second_run_adds_nothing(db):
    _district(db)
    _run(db)
    again = _run(db, now=RUN + dt.timedelta(hours=3))
    assert _events(db) == BEFORE | ADDED
    assert again.counts["events_created"] == 0 and again.counts["pill_counts_updated"] == 0


def test_no_events_on_a_day_without_school(db):
    _district(db)
    result = _run(db, now=dt.datetime(2026, 11, 11, 6, 0, tzinfo=NY))  # Veterans Day
    assert _events(db) == BEFORE
    assert result.counts["orders_due"] == 0 and result.counts["order_schools_due"] == 0
    assert _counts(db) == {**COUNTS, 1: 18, 5: 8}  # pill counts do not wait for school


def test_a_school_whose_category_does_not_exist_gets_no_events(db):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).set("medication_administration_category", "Meds", school_id=2)
    result = _run(db)
    assert _events(db) == BEFORE | {e for e in ADDED if e[0] == 1}
    assert (
        "not done: school 2: Medication Administration Category 'Meds' is not a calendar "
        "category" in result.text
    )


def test_preferences_not_set_are_named(db):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).unset("medication_administration_category")
    result = _run(db)
    assert _events(db) == BEFORE
    assert (
        "not done: school 1: Medication Administration Category not set (System Preferences)"
        in result.text
    )


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
    assert _events(db) == BEFORE and _counts(db) == COUNTS


def test_needs_the_medical_add_on():
    assert Medical.needs_add_ons == frozenset({AddOn.MEDICAL})
    assert Medical.module == "Medical"
