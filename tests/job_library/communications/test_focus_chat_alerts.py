"""Focus Chat Alerts on SQLite and Postgres: delivered, then unread ones e-mailed once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.communications.focus_chat_alerts import (
    FocusChatAlerts,
    FocusChatAlertsParams,
)
from job_library.schema import users
from job_library.schemas.communications import chat_messages, communication_queue
from tests.job_library.communications.conftest import MONDAY
from tests.job_library.jobs_context import run_in_transaction

PARAMS = FocusChatAlertsParams()
UTC = dt.UTC


def _chats(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(users),
            [
                dict(user_id=1, username="principal", email="principal@district.org"),
                dict(user_id=2, username="teacher", email="teacher@district.org"),
                dict(user_id=3, username="sub", email=None),
            ],
        )
        conn.execute(
            sa.insert(chat_messages),
            [
                dict(
                    chat_id=c,
                    sender_user_id=f,
                    recipient_user_id=t,
                    body=b,
                    created_at=(MONDAY + age).astimezone(UTC),
                    delivered_at=None if not delivered else MONDAY.astimezone(UTC),
                    read_at=None if not read else MONDAY.astimezone(UTC),
                )
                for c, f, t, b, age, delivered, read in (
                    (1, 1, 2, "Staff meeting at 3", -dt.timedelta(hours=1), False, False),
                    (2, 2, 1, "Got it", -dt.timedelta(minutes=5), True, True),
                    (3, 1, 3, "Room 12 today", -dt.timedelta(hours=2), True, False),
                    (4, 2, 1, "Written later", dt.timedelta(seconds=1), False, False),
                    (5, 2, 1, "Exactly now", dt.timedelta(0), True, False),
                )
            ],
        )


def test_queued_chats_delivered_and_unread_ones_emailed_once(db):
    _chats(db)
    result = run_in_transaction(db, FocusChatAlerts(), PARAMS, now=MONDAY)
    assert result.counts == {"delivered": 1, "queued": 2, "no_email": 1}
    q = communication_queue
    with db.connect() as conn:
        queued = sorted(
            tuple(r) for r in conn.execute(sa.select(q.c.recipient, q.c.subject, q.c.body))
        )
        delivered = dict(
            conn.execute(sa.select(chat_messages.c.chat_id, chat_messages.c.delivered_at)).all()
        )
    assert queued == [
        ("principal@district.org", "Unread Focus Chat message from teacher", "Exactly now"),
        ("teacher@district.org", "Unread Focus Chat message from principal", "Staff meeting at 3"),
    ]
    assert delivered[1] is not None and delivered[4] is None
    assert "sub: 1 unread message(s), no e-mail address: not e-mailed" in result.text
    again = run_in_transaction(db, FocusChatAlerts(), PARAMS, now=MONDAY)
    assert again.counts["queued"] == 0 and again.counts["delivered"] == 0
