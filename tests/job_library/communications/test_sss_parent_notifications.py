"""SSS Parent Portal Notifications on SQLite and Postgres: the 24-hour boundary, once each."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.communications.sss_parent_notifications import (
    SssParentNotifications,
    SssParentNotificationsParams,
)
from job_library.schemas.communications import communication_queue
from job_library.schemas.sss import portal_alerts
from tests.job_library.communications.conftest import MONDAY, load_families
from tests.job_library.jobs_context import run_in_transaction

PARAMS = SssParentNotificationsParams()
DAY = dt.timedelta(hours=24)


def _alerts(engine) -> None:
    """Student 1 (Maria p1, Jose p2): alert 1 raised exactly 24 h ago, alert 2 one minute
    short of 24 h, alert 3 two days ago but read, alert 4 a CTE alert (not SSS). Student 2's
    contact has no e-mail (alert 5); student 3's grandmother has one (alert 6)."""
    rows = [
        (1, 1, "sss_event", "Meeting on the IEP", DAY, None),
        (2, 1, "sss_event", "Too new", DAY - dt.timedelta(minutes=1), None),
        (3, 1, "sss_event", "Already read", 2 * DAY, MONDAY - DAY),
        (4, 1, "cte_absences", "Not SSS", 2 * DAY, None),
        (5, 2, "sss_event", "No e-mail", 2 * DAY, None),
        (6, 3, "sss_plan", "Plan review", 3 * DAY, None),
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(portal_alerts),
            [
                dict(
                    alert_id=i,
                    student_id=s,
                    alert_type=kind,
                    school_id=1,
                    message=text,
                    created_at=(MONDAY - age).astimezone(dt.UTC),
                    read_at=read.astimezone(dt.UTC) if read else None,
                )
                for i, s, kind, text, age, read in rows
            ],
        )


def _queued(engine) -> list[tuple]:
    q = communication_queue
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(sa.select(q.c.recipient, q.c.subject, q.c.body, q.c.dedupe_key))
        )


def test_unread_for_24_hours_emails_the_priority_1_contact_once(db):
    load_families(db)
    _alerts(db)
    result = run_in_transaction(db, SssParentNotifications(), PARAMS, now=MONDAY)
    assert result.success and result.counts["queued"] == 2
    assert _queued(db) == [
        (
            "maria@families.test",
            "Unread alert about Ana Lopez",
            "Meeting on the IEP",
            "sss_alert:1:11",
        ),
        ("rose@families.test", "Unread alert about Cy Dunn", "Plan review", "sss_alert:6:31"),
    ]
    again = run_in_transaction(db, SssParentNotifications(), PARAMS, now=MONDAY)
    assert again.counts["queued"] == 0
    # A minute later alert 2 has been unread for 24 hours too.
    later = run_in_transaction(
        db, SssParentNotifications(), PARAMS, now=MONDAY + dt.timedelta(minutes=1)
    )
    assert later.counts["queued"] == 1
    assert ("maria@families.test", "Unread alert about Ana Lopez", "Too new", "sss_alert:2:11") in (
        _queued(db)
    )
