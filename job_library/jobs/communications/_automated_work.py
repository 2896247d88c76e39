"""The work of Automated Emails: queue due automated messages per recipient, then send them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.communications._queue import DeliverySettings
from job_library.jobs.communications._queue_job import send_after_commit
from job_library.messaging import Channel

SOURCE = "automated"

_QUEUE = """
INSERT INTO communication_queue (channel, source, recipient, recipient_name, subject, body,
    send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'automated', r.email, r.name, m.subject, m.body, m.send_at, 'queued', 0, :now,
       'automated:' || CAST(m.automated_id AS VARCHAR(12)) || ':' || LOWER(r.email)
FROM automated_messages m
JOIN automated_message_recipients r ON r.automated_id = m.automated_id
WHERE m.active = TRUE AND m.send_at <= :now
  AND NOT EXISTS (
    SELECT 1 FROM communication_queue q
    WHERE q.dedupe_key = 'automated:' || CAST(m.automated_id AS VARCHAR(12)) || ':'
        || LOWER(r.email))
"""


def queue_automated(conn: sa.Connection, now: dt.datetime) -> int:
    statement = sa.text(_QUEUE).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True)))
    return conn.execute(statement, {"now": now.astimezone(dt.UTC)}).rowcount


def run_automated(context: JobContext, fail_on_errors: bool, max_listed: int) -> JobResult:
    queued = queue_automated(context.connection, context.now())
    before = JobResult.message(
        True, f"Queued {queued} automated e-mail(s).", {"automated_queued": queued}
    )
    send_after_commit(
        context,
        sources={SOURCE},
        channels=(Channel.EMAIL,),
        settings=DeliverySettings(max_listed=max_listed),
        fail_on_errors=fail_on_errors,
    )
    return before
