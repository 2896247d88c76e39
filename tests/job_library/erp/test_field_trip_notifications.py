"""Field Trip Notifications on SQLite and Postgres: each notice alerted and e-mailed once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.jobs.erp.field_trip_notifications import (
    FieldTripNotifications,
    FieldTripNotificationsParams,
)
from job_library.schema import users
from job_library.schemas.communications import (
    communication_queue,
    field_trip_notices,
    user_alerts,
)
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 16, 8, 0, tzinfo=ZoneInfo("America/New_York"))
UTC = dt.UTC
PARAMS = FieldTripNotificationsParams()


def test_notices_become_alerts_and_emails_once(db):
    with db.begin() as conn:
        conn.execute(
            sa.insert(users),
            [
                dict(user_id=1, username="coach", email="coach@district.org"),
                dict(user_id=2, username="driver", email=None),
            ],
        )
        conn.execute(
            sa.insert(field_trip_notices),
            [
                dict(
                    notice_id=n,
                    trip_title=t,
                    trip_date=dt.date(2026, 12, 4),
                    user_id=u,
                    message=m,
                    created_at=(NOW + age).astimezone(UTC),
                    notified_at=None,
                )
                for n, t, u, m, age in (
                    (1, "Science Museum", 1, "Your request was approved.", -dt.timedelta(hours=1)),
                    (2, "Science Museum", 2, "You drive bus 12.", -dt.timedelta(minutes=1)),
                    (3, "Zoo", 1, "Raised later.", dt.timedelta(seconds=1)),
                )
            ],
        )
    result = run_in_transaction(db, FieldTripNotifications(), PARAMS, now=NOW)
    assert result.counts == {"alerts": 2, "queued": 1, "no_email": 1}
    q = communication_queue
    with db.connect() as conn:
        mails = [tuple(r) for r in conn.execute(sa.select(q.c.recipient, q.c.subject, q.c.body))]
        alerts = sorted(
            tuple(r) for r in conn.execute(sa.select(user_alerts.c.user_id, user_alerts.c.message))
        )
    assert mails == [
        (
            "coach@district.org",
            "Field trip: Science Museum (2026-12-04)",
            "Your request was approved.",
        )
    ]
    assert alerts == [
        (1, "Field trip Science Museum (2026-12-04): Your request was approved."),
        (2, "Field trip Science Museum (2026-12-04): You drive bus 12."),
    ]
    assert "driver: Science Museum: alert only, no e-mail address" in result.text
    again = run_in_transaction(db, FieldTripNotifications(), PARAMS, now=NOW)
    assert again.counts == {"alerts": 0, "queued": 0, "no_email": 0}
