"""The work of Email Notifications: one queued e-mail per notification and subscribed contact."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import listed_result

_KEY = (
    "'notification:' || CAST(n.notification_id AS VARCHAR(12)) || ':' "
    "|| CAST(c.contact_id AS VARCHAR(12))"
)

_QUEUE = f"""
INSERT INTO communication_queue (channel, source, school_id, student_id, recipient,
    recipient_name, subject, body, send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'notification', n.school_id, n.student_id, c.email, c.name,
       n.title || ': ' || s.first_name || ' ' || s.last_name,
       n.message, :now, 'queued', 0, :now, {_KEY}
FROM student_notifications n
JOIN students s ON s.student_id = n.student_id
JOIN student_contacts c ON c.student_id = n.student_id
JOIN contact_notification_settings ns
  ON ns.contact_id = c.contact_id AND ns.category = n.category AND ns.email = TRUE
WHERE n.category IN :categories
  AND n.created_at >= :oldest AND n.created_at <= :now
  AND c.email IS NOT NULL AND c.email <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {_KEY})
"""


def queue_notifications(
    context: JobContext, categories: list[str], max_age_days: int, max_listed: int
) -> JobResult:
    conn = context.connection
    now = context.now().astimezone(dt.UTC)
    marker = conn.execute(sa.text("SELECT COALESCE(MAX(message_id), 0) FROM communication_queue"))
    start = marker.scalar_one()
    statement = sa.text(_QUEUE).bindparams(
        sa.bindparam("now", type_=sa.DateTime(timezone=True)),
        sa.bindparam("oldest", type_=sa.DateTime(timezone=True)),
        sa.bindparam("categories", expanding=True),
    )
    queued = conn.execute(
        statement,
        {"now": now, "oldest": now - dt.timedelta(days=max_age_days), "categories": categories},
    ).rowcount
    rows = conn.execute(
        sa.text(
            "SELECT recipient, subject FROM communication_queue "
            "WHERE source = 'notification' AND message_id > :start "
            "ORDER BY message_id LIMIT :cap"
        ),
        {"start": start, "cap": max_listed},
    ).all()
    summary = f"Queued {queued} notification e-mail(s) for the Communication Queue to send."
    lines = [summary, *(f"  {to}: {subject}" for to, subject in rows)]
    return listed_result(
        summary,
        lines,
        ("Recipient", "Subject"),
        [tuple(r) for r in rows],
        total=queued,
        cap=max_listed,
        counts={"queued": queued},
    )
