"""The work of the ERP alert jobs: Trial Balance subscriptions and Field Trip notices."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import listed_result

TZ = sa.DateTime(timezone=True)

_LATE = """
SELECT t.period_id, COUNT(*) AS n, MAX(t.txn_id) AS last_id, MAX(t.posted_at) AS last_at
FROM gl_transactions t JOIN gl_periods p ON p.period_id = t.period_id
WHERE p.closed_at IS NOT NULL AND t.posted_at > p.closed_at AND t.posted_at <= :now
GROUP BY t.period_id
"""
_TB_KEY = (
    "'trial_balance:' || CAST(p.period_id AS VARCHAR(12)) || ':' "
    "|| CAST(x.last_id AS VARCHAR(12)) || ':' || LOWER(ts.email)"
)
_TRIAL_BALANCE = f"""
INSERT INTO communication_queue (channel, source, recipient, recipient_name, subject, body,
    send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'trial_balance', ts.email, ts.name,
       'Trial balance changed for closed period ' || p.title,
       CAST(x.n AS VARCHAR(12)) || ' transaction(s) were posted to ' || p.title
           || ' after it was closed; the trial balance of that period has changed.',
       :now, 'queued', 0, :now, {_TB_KEY}
FROM ({_LATE}) x
JOIN gl_periods p ON p.period_id = x.period_id
CROSS JOIN trial_balance_subscriptions ts
WHERE NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {_TB_KEY})
"""


def trial_balance_alerts(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    now = context.now().astimezone(dt.UTC)
    stamp = sa.bindparam("now", type_=TZ)
    queued = conn.execute(sa.text(_TRIAL_BALANCE).bindparams(stamp), {"now": now}).rowcount
    periods = [
        (title, n, net)
        for title, n, net in conn.execute(
            sa.text(
                "SELECT p.title, COUNT(*), SUM(t.amount) FROM gl_transactions t "
                "JOIN gl_periods p ON p.period_id = t.period_id "
                "WHERE p.closed_at IS NOT NULL AND t.posted_at > p.closed_at "
                "AND t.posted_at <= :now GROUP BY p.period_id, p.title ORDER BY p.period_id "
                "LIMIT :cap"
            ).bindparams(stamp),
            {"now": now, "cap": max_listed},
        )
    ]
    summary = (
        f"Queued {queued} trial balance alert(s); {len(periods)} closed period(s) have "
        "postings after closing."
    )
    rows = [(t, n, f"{float(net):.2f}") for t, n, net in periods]
    return listed_result(
        summary,
        [summary, *(f"  {t}: {n} late posting(s), net {net}" for t, n, net in rows)],
        ("Period", "Late postings", "Net amount"),
        rows,
        total=len(periods),
        cap=max_listed,
        counts={"queued": queued, "periods": len(periods)},
    )


_FT_KEY = "'field_trip:' || CAST(n.notice_id AS VARCHAR(12))"
_FIELD_TRIP_MAIL = f"""
INSERT INTO communication_queue (channel, source, recipient, recipient_name, subject, body,
    send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'field_trip', u.email, u.username,
       'Field trip: ' || n.trip_title || ' (' || CAST(n.trip_date AS VARCHAR(10)) || ')',
       n.message, :now, 'queued', 0, :now, {_FT_KEY}
FROM field_trip_notices n JOIN users u ON u.user_id = n.user_id
WHERE n.notified_at IS NULL AND n.created_at <= :now
  AND u.email IS NOT NULL AND u.email <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {_FT_KEY})
"""
_FIELD_TRIP_ALERTS = """
INSERT INTO user_alerts (user_id, alert_type, message, created_at)
SELECT n.user_id, 'field_trip',
       'Field trip ' || n.trip_title || ' (' || CAST(n.trip_date AS VARCHAR(10)) || '): '
           || n.message,
       :now
FROM field_trip_notices n
WHERE n.notified_at IS NULL AND n.created_at <= :now
"""


def field_trip_notices(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    now = context.now().astimezone(dt.UTC)
    stamp = sa.bindparam("now", type_=TZ)
    no_address = [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT u.username, n.trip_title FROM field_trip_notices n "
                "JOIN users u ON u.user_id = n.user_id "
                "WHERE n.notified_at IS NULL AND n.created_at <= :now "
                "AND (u.email IS NULL OR u.email = '') ORDER BY n.notice_id LIMIT :cap"
            ).bindparams(stamp),
            {"now": now, "cap": max_listed},
        )
    ]
    mailed = conn.execute(sa.text(_FIELD_TRIP_MAIL).bindparams(stamp), {"now": now}).rowcount
    alerted = conn.execute(sa.text(_FIELD_TRIP_ALERTS).bindparams(stamp), {"now": now}).rowcount
    conn.execute(
        sa.text(
            "UPDATE field_trip_notices SET notified_at = :now "
            "WHERE notified_at IS NULL AND created_at <= :now"
        ).bindparams(stamp),
        {"now": now},
    )
    summary = f"Raised {alerted} field trip alert(s) and queued {mailed} e-mail(s)."
    return listed_result(
        summary,
        [summary, *(f"  {u}: {t}: alert only, no e-mail address" for u, t in no_address)],
        ("User", "Trip (alert only: no e-mail address)"),
        no_address,
        total=len(no_address),
        cap=max_listed,
        counts={"alerts": alerted, "queued": mailed, "no_email": len(no_address)},
    )
