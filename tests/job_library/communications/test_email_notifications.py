"""Email Notifications on SQLite and Postgres: who gets which notification, once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.communications.communication_queue import (
    CommunicationQueue,
    CommunicationQueueParams,
)
from job_library.jobs.communications.email_notifications import (
    EmailNotifications,
    EmailNotificationsParams,
)
from job_library.schemas.communications import (
    communication_queue,
    contact_notification_settings,
    student_notifications,
)
from tests.job_library.communications.conftest import MONDAY, load_families, run_and_send
from tests.job_library.jobs_context import run_in_transaction

UTC = dt.UTC


def _notifications(engine) -> None:
    """Maria (contact 11) wants attendance and grades; Jose (12) wants grades but switched
    attendance off; Pat (21) wants everything but has no e-mail; Rose (31) wants events."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(contact_notification_settings),
            [
                dict(contact_id=11, category="attendance", email=True),
                dict(contact_id=11, category="grades", email=True),
                dict(contact_id=12, category="grades", email=True),
                dict(contact_id=12, category="attendance", email=False),
                *[dict(contact_id=21, category=c, email=True) for c in ("attendance", "grades")],
                dict(contact_id=31, category="events", email=True),
            ],
        )
        conn.execute(
            sa.insert(student_notifications),
            [
                dict(
                    notification_id=n,
                    student_id=s,
                    school_id=1,
                    category=c,
                    title=t,
                    message=m,
                    created_at=(MONDAY - age).astimezone(UTC),
                )
                for n, s, c, t, m, age in (
                    (1, 1, "attendance", "Absence", "Absent period 2.", dt.timedelta(hours=1)),
                    (2, 1, "grades", "New grade", "Math: A.", dt.timedelta(days=7)),
                    (3, 1, "grades", "Old grade", "Art: B.", dt.timedelta(days=7, seconds=1)),
                    (4, 2, "attendance", "Absence", "Absent all day.", dt.timedelta(hours=2)),
                    (5, 3, "events", "Concert", "Choir concert Friday.", dt.timedelta(0)),
                    (6, 3, "billing", "Fee", "Field trip fee due.", dt.timedelta(hours=1)),
                    (7, 1, "events", "Future", "Raised later.", -dt.timedelta(minutes=1)),
                )
            ],
        )


def _queued(engine) -> list[tuple[str, str, str]]:
    q = communication_queue
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(q.c.recipient, q.c.subject, q.c.body).where(q.c.source == "notification")
            )
        )


EXPECTED = [
    ("jose@families.test", "New grade: Ana Lopez", "Math: A."),
    ("maria@families.test", "Absence: Ana Lopez", "Absent period 2."),
    ("maria@families.test", "New grade: Ana Lopez", "Math: A."),
    ("rose@families.test", "Concert: Cy Dunn", "Choir concert Friday."),
]


def test_each_contact_gets_what_their_settings_ask_for_once(db, tmp_path):
    load_families(db)
    _notifications(db)
    result = run_in_transaction(db, EmailNotifications(), EmailNotificationsParams(), now=MONDAY)
    assert result.success and result.counts["queued"] == 4
    assert _queued(db) == EXPECTED
    assert "maria@families.test: Absence: Ana Lopez" in result.text
    again = run_in_transaction(db, EmailNotifications(), EmailNotificationsParams(), now=MONDAY)
    assert again.counts["queued"] == 0 and _queued(db) == EXPECTED


def test_only_the_chosen_types(db):
    load_families(db)
    _notifications(db)
    params = EmailNotificationsParams(categories=["events"])
    run_in_transaction(db, EmailNotifications(), params, now=MONDAY)
    assert _queued(db) == [("rose@families.test", "Concert: Cy Dunn", "Choir concert Friday.")]


def test_the_age_limit_counts_exactly_that_old(db):
    load_families(db)
    _notifications(db)
    params = EmailNotificationsParams(max_age_days=8)
    run_in_transaction(db, EmailNotifications(), params, now=MONDAY)
    assert ("maria@families.test", "Old grade: Ana Lopez", "Art: B.") in _queued(db)


def test_the_queue_sends_them(db, mail):
    load_families(db)
    _notifications(db)
    run_in_transaction(db, EmailNotifications(), EmailNotificationsParams(), now=MONDAY)
    run_and_send(db, CommunicationQueue(), CommunicationQueueParams())
    assert sorted(mail.sent()) == EXPECTED


def test_a_failure_midway_queues_nothing(db):
    load_families(db)
    _notifications(db)

    class Boom(Exception):
        pass

    class Failing(EmailNotifications):
        def run(self, context, params):
            result = super().run(context, params)
            raise Boom(result.summary)

    with pytest.raises(Boom, match="Queued 4"):
        run_in_transaction(db, Failing(), EmailNotificationsParams(), now=MONDAY)
    assert _queued(db) == []


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"categories": ["homework"]}, "categories.0"),
        ({"categories": []}, "at least 1 item"),
        ({"max_age_days": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_parameters_are_refused_with_the_reason(raw, error):
    with pytest.raises(ValidationError, match=error):
        EmailNotificationsParams.model_validate(raw)
