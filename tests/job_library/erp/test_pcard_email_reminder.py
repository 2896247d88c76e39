"""PCard Email Reminder on SQLite and Postgres: days-old boundary, clauses, once per state."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.erp.pcard_email_reminder import (
    DRAFT_CLAUSE,
    PENDING_CLAUSE,
    PcardEmailReminder,
    PcardEmailReminderParams,
)
from job_library.preferences import Preferences
from job_library.schemas.communications import (
    communication_queue,
    erp_clauses,
    pcard_requisitions,
)
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 16, 6, 0, tzinfo=ZoneInfo("America/New_York"))
PARAMS = PcardEmailReminderParams()


def _setup(engine, *, clauses=True, prefs=True) -> None:
    today = NOW.date()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(pcard_requisitions),
            [
                dict(
                    requisition_id=i,
                    number=n,
                    requester=who,
                    amount=10,
                    status=st,
                    status_date=today - dt.timedelta(days=age),
                )
                for i, n, who, st, age in (
                    (1, "PC-1", "J. Smith", "draft", 5),  # exactly 5 days
                    (2, "PC-2", "A. Jones", "draft", 4),  # one day short
                    (3, "PC-3", "B. Wu", "pending_approval", 9),
                    (4, "PC-4", "C. Diaz", "approved", 30),
                )
            ],
        )
        if clauses:
            conn.execute(
                sa.insert(erp_clauses),
                [
                    dict(title=DRAFT_CLAUSE, text="Please finish this draft."),
                    dict(title=PENDING_CLAUSE, text="Please approve or return this."),
                ],
            )
        if prefs:
            Preferences(conn).set("pcard_reminder_days", "5")
            Preferences(conn).set("pcard_administrator_email", "pcard@district.org")


def _queued(engine) -> list[tuple]:
    q = communication_queue
    with engine.connect() as conn:
        return sorted(
            tuple(r) for r in conn.execute(sa.select(q.c.recipient, q.c.subject, q.c.body))
        )


def test_requisitions_n_days_old_remind_the_administrator_once(db):
    _setup(db)
    result = run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW)
    assert result.success and result.counts["queued"] == 2
    assert _queued(db) == [
        (
            "pcard@district.org",
            "P-Card awaiting approval PC-3 (B. Wu)",
            "Please approve or return this. Requisition PC-3, B. Wu.",
        ),
        (
            "pcard@district.org",
            "P-Card draft PC-1 (J. Smith)",
            "Please finish this draft. Requisition PC-1, J. Smith.",
        ),
    ]
    assert run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW).counts["queued"] == 0
    tomorrow = run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW + dt.timedelta(days=1))
    assert tomorrow.counts["queued"] == 1  # PC-2 reaches 5 days


def test_a_requisition_moving_to_approval_is_reminded_again_for_that_state(db):
    _setup(db)
    run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW)
    with db.begin() as conn:
        conn.execute(
            sa.update(pcard_requisitions)
            .where(pcard_requisitions.c.requisition_id == 1)
            .values(status="pending_approval", status_date=NOW.date() - dt.timedelta(days=5))
        )
    again = run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW)
    assert again.counts["queued"] == 1


@pytest.mark.parametrize(
    ("clauses", "prefs", "missing"),
    [
        (False, True, "the 'Default P-Card Draft Email Text' clause"),
        (True, False, "the pcard_reminder_days preference"),
    ],
)
def test_missing_setup_fails_and_queues_nothing(db, clauses, prefs, missing):
    _setup(db, clauses=clauses, prefs=prefs)
    result = run_in_transaction(db, PcardEmailReminder(), PARAMS, now=NOW)
    assert not result.success and missing in result.summary
    assert _queued(db) == []
