"""The work of PCard Email Reminder: one set-based INSERT of reminders into the queue."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.erp.pcard_email_reminder import DRAFT_CLAUSE, PENDING_CLAUSE
from job_library.output import listed_result
from job_library.preferences import Preferences
from job_library.schemas.communications import erp_clauses

TZ = sa.DateTime(timezone=True)

_KEY = (
    "'pcard:' || CAST(r.requisition_id AS VARCHAR(12)) || ':' || r.status || ':' "
    "|| CAST(r.status_date AS VARCHAR(10))"
)
_QUEUE = f"""
INSERT INTO communication_queue (channel, source, recipient, recipient_name, subject, body,
    send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'pcard', :admin, 'P-Card Administrator',
       CASE r.status WHEN 'draft' THEN 'P-Card draft ' ELSE 'P-Card awaiting approval ' END
           || r.number || ' (' || r.requester || ')',
       CASE r.status WHEN 'draft' THEN :draft_text ELSE :pending_text END
           || ' Requisition ' || r.number || ', ' || r.requester || '.',
       :now, 'queued', 0, :now, {_KEY}
FROM pcard_requisitions r
WHERE r.status IN ('draft', 'pending_approval') AND r.status_date <= :cutoff
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {_KEY})
"""


def remind(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    prefs = Preferences(conn)
    days, admin = prefs.get("pcard_reminder_days"), prefs.get("pcard_administrator_email")
    clauses = dict(
        conn.execute(
            sa.select(erp_clauses.c.title, erp_clauses.c.text).where(
                erp_clauses.c.title.in_([DRAFT_CLAUSE, PENDING_CLAUSE])
            )
        ).all()
    )
    missing = [f"the {c!r} clause" for c in (DRAFT_CLAUSE, PENDING_CLAUSE) if c not in clauses]
    if days is None:
        missing.append("the pcard_reminder_days preference")
    elif days < 1:
        missing.append(f"a pcard_reminder_days of at least 1 (it is {days})")
    if not admin:
        missing.append("the pcard_administrator_email preference")
    if missing:
        return JobResult.message(
            False, f"Nothing queued: set {', '.join(missing)} first.", {"queued": 0}
        )
    local = context.now()
    now = local.astimezone(dt.UTC)
    start = conn.execute(
        sa.text("SELECT COALESCE(MAX(message_id), 0) FROM communication_queue")
    ).scalar_one()
    queued = conn.execute(
        sa.text(_QUEUE).bindparams(
            sa.bindparam("now", type_=TZ), sa.bindparam("cutoff", type_=sa.Date)
        ),
        {
            "now": now,
            "cutoff": local.date() - dt.timedelta(days=days),
            "admin": admin,
            "draft_text": clauses[DRAFT_CLAUSE],
            "pending_text": clauses[PENDING_CLAUSE],
        },
    ).rowcount
    rows = [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT recipient, subject FROM communication_queue WHERE source = 'pcard' "
                "AND message_id > :start ORDER BY message_id LIMIT :cap"
            ),
            {"start": start, "cap": max_listed},
        )
    ]
    summary = f"Queued {queued} P-Card reminder(s) to {admin} ({days} days old or more)."
    return listed_result(
        summary,
        [summary, *(f"  {subject}" for _, subject in rows)],
        ("To", "Subject"),
        rows,
        total=queued,
        cap=max_listed,
        counts={"queued": queued},
    )
