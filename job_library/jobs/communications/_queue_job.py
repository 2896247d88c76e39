"""The work of the Communication Queue jobs: queue the day's attendance messages, then send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.communications._queue import (
    DeliverySettings,
    communication_queue,
    deliver,
    delivery_result,
)
from job_library.messaging import Channel

# One message per absent student, day, channel and contact up to the setting's priority,
# with an address for the channel (e-mail for email, a phone number for texts and calls,
# the contact itself for push); the dedupe key keeps a second run from queueing it again.
_ATTENDANCE = """
INSERT INTO communication_queue (channel, source, school_id, student_id, recipient,
    recipient_name, subject, body, send_after, status, attempts, created_at, dedupe_key)
SELECT ms.channel, 'attendance', ad.school_id, ad.student_id,
       CASE ms.channel WHEN 'email' THEN c.email
                       WHEN 'push' THEN 'contact-' || CAST(c.contact_id AS VARCHAR(12))
                       ELSE c.phone END,
       c.name,
       REPLACE(REPLACE(ms.subject, '{student}', s.first_name || ' ' || s.last_name),
               '{date}', :date_text),
       REPLACE(REPLACE(ms.template, '{student}', s.first_name || ' ' || s.last_name),
               '{date}', :date_text),
       :now, 'queued', 0, :now,
       'attendance:' || CAST(ad.student_id AS VARCHAR(12)) || ':' || :date_text || ':'
           || ms.channel || ':' || CAST(c.contact_id AS VARCHAR(12))
FROM attendance_day ad
JOIN attendance_message_settings ms ON ms.absence_type = ad.absence_type
JOIN students s ON s.student_id = ad.student_id
JOIN student_contacts c ON c.student_id = ad.student_id AND c.priority <= ms.max_priority
WHERE ad.school_date = :today
  AND ad.absence_type IS NOT NULL
  AND CASE ms.channel WHEN 'email' THEN c.email WHEN 'push' THEN 'push' ELSE c.phone END
      IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM communication_queue q
    WHERE q.dedupe_key = 'attendance:' || CAST(ad.student_id AS VARCHAR(12)) || ':'
        || :date_text || ':' || ms.channel || ':' || CAST(c.contact_id AS VARCHAR(12)))
"""


def queue_attendance_messages(conn: sa.Connection, now: dt.datetime) -> int:
    """Queue today's attendance messages (set-based); how many were added."""
    today = now.date()
    statement = sa.text(_ATTENDANCE).bindparams(
        sa.bindparam("now", type_=sa.DateTime(timezone=True)),
        sa.bindparam("today", type_=sa.Date),
    )
    return conn.execute(
        statement,
        {"today": today, "date_text": today.isoformat(), "now": now.astimezone(dt.UTC)},
    ).rowcount


def due_count(conn: sa.Connection, now: dt.datetime) -> int:
    q = communication_queue
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(q)
        .where(q.c.status == "queued", q.c.send_after <= now.astimezone(dt.UTC))
    ).scalar_one()


def send_after_commit(
    context: JobContext,
    *,
    sources: Collection[str] | None = None,
    channels: Collection[Channel] = tuple(Channel),
    settings: DeliverySettings | None = None,
    fail_on_errors: bool = False,
) -> None:
    """Leave the sending to the runner, after the job's changes and its claim commit."""
    engine = context.connection.engine
    messaging = context.messaging

    def step(committed: JobResult) -> JobResult:
        if messaging is None:
            return JobResult(
                success=False,
                summary=f"{committed.summary} Nothing was sent: this runner has no mail "
                "server or message provider; the messages stay queued.",
                text=committed.text,
                html=committed.html,
                counts=committed.counts,
            )
        report = deliver(
            engine,
            messaging,
            job_id=context.job_id,
            now=context.now(),
            log=context.log,
            sources=sources,
            channels=channels,
            settings=settings or DeliverySettings(),
        )
        return delivery_result(report, before=committed, fail_on_errors=fail_on_errors)

    context.finish_after_commit(step)


def run_queue(context: JobContext, *, batch_size: int, max_listed: int) -> JobResult:
    now = context.now()
    queued = queue_attendance_messages(context.connection, now)
    due = due_count(context.connection, now)
    before = JobResult.message(
        True,
        f"Queued {queued} attendance message(s); {due} message(s) due to send.",
        {"attendance_queued": queued, "due": due},
    )
    send_after_commit(
        context, settings=DeliverySettings(batch_size=batch_size, max_listed=max_listed)
    )
    return before
