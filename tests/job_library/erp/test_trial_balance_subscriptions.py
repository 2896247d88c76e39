"""Process Trial Balance Subscriptions on SQLite and Postgres: late postings to closed periods."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.jobs.erp.trial_balance_subscriptions import (
    ProcessTrialBalanceSubscriptions,
    TrialBalanceSubscriptionsParams,
)
from job_library.schemas.communications import (
    communication_queue,
    gl_periods,
    gl_transactions,
    trial_balance_subscriptions,
)
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 16, 6, 30, tzinfo=ZoneInfo("America/New_York"))
UTC = dt.UTC
PARAMS = TrialBalanceSubscriptionsParams()
CLOSED = dt.datetime(2026, 11, 5, 17, 0, tzinfo=UTC)


def _setup(db) -> None:
    """September closed 5 Nov 17:00: one posting before closing, one exactly at closing
    (not late), two after; October open with postings; subscribers: the controller and the
    auditor."""
    with db.begin() as conn:
        conn.execute(
            sa.insert(gl_periods),
            [
                dict(period_id=9, title="September 2026", closed_at=CLOSED),
                dict(period_id=10, title="October 2026", closed_at=None),
            ],
        )
        conn.execute(
            sa.insert(gl_transactions),
            [
                dict(txn_id=i, period_id=p, account="1100", amount=a, posted_at=at)
                for i, p, a, at in (
                    (1, 9, 100, CLOSED - dt.timedelta(days=1)),
                    (2, 9, 50, CLOSED),
                    (3, 9, 25.5, CLOSED + dt.timedelta(hours=1)),
                    (4, 9, -10, CLOSED + dt.timedelta(days=2)),
                    (5, 10, 999, CLOSED + dt.timedelta(days=3)),
                )
            ],
        )
        conn.execute(
            sa.insert(trial_balance_subscriptions),
            [
                dict(email="controller@district.org", name="Controller"),
                dict(email="auditor@district.org", name="Auditor"),
            ],
        )


def _alerts(db) -> list[tuple]:
    q = communication_queue
    with db.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(q.c.recipient, q.c.body)))


def test_each_subscriber_alerted_once_per_change(db):
    _setup(db)
    result = run_in_transaction(db, ProcessTrialBalanceSubscriptions(), PARAMS, now=NOW)
    body = (
        "2 transaction(s) were posted to September 2026 after it was closed; the trial "
        "balance of that period has changed."
    )
    assert _alerts(db) == [("auditor@district.org", body), ("controller@district.org", body)]
    assert "September 2026: 2 late posting(s), net 15.50" in result.text
    again = run_in_transaction(db, ProcessTrialBalanceSubscriptions(), PARAMS, now=NOW)
    assert again.counts["queued"] == 0
    with db.begin() as conn:
        conn.execute(
            sa.insert(gl_transactions).values(
                txn_id=6,
                period_id=9,
                account="2100",
                amount=5,
                posted_at=NOW.astimezone(UTC) - dt.timedelta(minutes=1),
            )
        )
    later = run_in_transaction(db, ProcessTrialBalanceSubscriptions(), PARAMS, now=NOW)
    assert later.counts["queued"] == 2
