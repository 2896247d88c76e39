"""Communication Status Update(s) on SQLite and Postgres: forms out for unreachable numbers,
returned forms shared once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.communications.communication_status_update import (
    CommunicationStatusUpdate,
    CommunicationStatusUpdateParams,
    CommunicationStatusUpdates,
)
from job_library.preferences import Preferences
from job_library.schemas.communications import form_assignments, forms
from job_library.schemas.sss import portal_alerts
from tests.job_library.communications.conftest import MONDAY, enqueue, load_families
from tests.job_library.jobs_context import run_in_transaction

PARAMS = CommunicationStatusUpdateParams()
UTC = dt.UTC


def _setup(db, *, prefs: bool = True) -> list[int]:
    load_families(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(forms), [dict(form_id=1, title="Parent"), dict(form_id=2, title="Student")]
        )
        if prefs:
            Preferences(conn).set("callout_parent_form", "1")
            Preferences(conn).set("callout_student_form", "2")
    failed = dict(
        status="undeliverable",
        attempts=1,
        marked_at=(MONDAY - dt.timedelta(hours=2)).astimezone(UTC),
    )
    return enqueue(
        db,
        # Maria's number (student 1's mother), twice: one form.
        dict(
            channel="sms", recipient="+13525550111", body="a", student_id=1, school_id=1, **failed
        ),
        dict(
            channel="voice", recipient="+13525550111", body="b", student_id=1, school_id=1, **failed
        ),
        # Student 3's own number (no contact has it): the student form.
        dict(
            channel="sms", recipient="+13525550333", body="c", student_id=3, school_id=1, **failed
        ),
        # No student: listed.
        dict(channel="sms", recipient="+13525550999", body="d", **failed),
        # Sent fine, and an undeliverable e-mail: no form.
        dict(channel="sms", recipient="+13525550121", body="e", student_id=2, status="sent"),
        dict(recipient="gone@families.test", body="f", student_id=2, status="undeliverable"),
    )


def _assignments(db) -> list[tuple]:
    fa = form_assignments
    with db.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(fa.c.form_id, fa.c.student_id, fa.c.contact_id, fa.c.message_id)
            )
        )


@pytest.mark.parametrize("job", [CommunicationStatusUpdate, CommunicationStatusUpdates])
def test_forms_for_unreachable_numbers_then_returned_forms_shared(db, job):
    ids = _setup(db)
    result = run_in_transaction(db, job(), PARAMS, now=MONDAY)
    assert result.success, result.summary
    assert _assignments(db) == [(1, 1, 11, ids[0]), (2, 3, None, ids[2])]
    assert result.counts == {"parent_forms": 1, "student_forms": 1, "shared": 0, "no_student": 1}
    assert f"message {ids[3]} to +13525550999: names no student" in result.text
    again = run_in_transaction(db, job(), PARAMS, now=MONDAY + dt.timedelta(hours=1))
    assert again.counts["parent_forms"] == again.counts["student_forms"] == 0

    # Maria returns her form with a new number: shared once with the Registrar.
    with db.begin() as conn:
        conn.execute(
            sa.update(form_assignments)
            .where(form_assignments.c.contact_id == 11)
            .values(completed_at=MONDAY.astimezone(UTC), new_phone="+13525550777")
        )
    shared = run_in_transaction(db, job(), PARAMS, now=MONDAY + dt.timedelta(hours=2))
    assert shared.counts["shared"] == 1 and shared.counts["parent_forms"] == 0
    with db.connect() as conn:
        alerts = conn.execute(
            sa.select(
                portal_alerts.c.student_id,
                portal_alerts.c.profile,
                portal_alerts.c.school_id,
                portal_alerts.c.message,
            )
        ).all()
    assert [tuple(a) for a in alerts] == [
        (
            1,
            "Registrar",
            1,
            "Returned contact form for Ana Lopez (Maria Lopez): phone +13525550777, e-mail "
            "not given.",
        )
    ]
    last = run_in_transaction(db, job(), PARAMS, now=MONDAY + dt.timedelta(hours=3))
    assert last.counts["shared"] == 0 and last.counts["parent_forms"] == 0

    # A new failure of her number after the form: a new form.
    enqueue(
        db,
        dict(
            channel="sms",
            recipient="+13525550111",
            body="g",
            student_id=1,
            status="undeliverable",
            marked_at=(MONDAY + dt.timedelta(hours=4)).astimezone(UTC),
        ),
    )
    again = run_in_transaction(db, job(), PARAMS, now=MONDAY + dt.timedelta(hours=5))
    assert again.counts["parent_forms"] == 1


def test_without_the_forms_nothing_changes(db):
    _setup(db, prefs=False)
    result = run_in_transaction(db, CommunicationStatusUpdate(), PARAMS, now=MONDAY)
    assert not result.success
    assert "callout_parent_form is not set" in result.summary
    assert _assignments(db) == []


def test_a_form_that_does_not_exist_is_refused(db):
    _setup(db)
    with db.begin() as conn:
        Preferences(conn).set("callout_student_form", "99")
    result = run_in_transaction(db, CommunicationStatusUpdate(), PARAMS, now=MONDAY)
    assert "names form 99, which does not exist" in result.summary and not result.success
