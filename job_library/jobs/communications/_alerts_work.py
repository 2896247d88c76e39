"""The work of the jobs that queue alerts: SSS Parent Portal Notifications, Focus Chat Alerts
and Attendance SMS. Each is one set-based INSERT … SELECT into the queue, keyed so that a
second run queues nothing again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import listed_result
from job_library.preferences import Preferences
from job_library.schemas.attendance import attendance_codes
from job_library.schemas.district import schools

TZ = sa.DateTime(timezone=True)

_SSS = """
INSERT INTO communication_queue (channel, source, school_id, student_id, recipient,
    recipient_name, subject, body, send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'sss_alert', pa.school_id, pa.student_id, c.email, c.name,
       'Unread alert about ' || s.first_name || ' ' || s.last_name,
       pa.message, :now, 'queued', 0, :now, {key}
FROM portal_alerts pa
JOIN students s ON s.student_id = pa.student_id
JOIN student_contacts c ON c.student_id = pa.student_id AND c.priority = 1
WHERE pa.alert_type LIKE 'sss%' AND pa.read_at IS NULL AND pa.created_at <= :cutoff
  AND c.email IS NOT NULL AND c.email <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {key})
""".format(
    key="'sss_alert:' || CAST(pa.alert_id AS VARCHAR(12)) || ':' "
    "|| CAST(c.contact_id AS VARCHAR(12))"
)

_CHAT = """
INSERT INTO communication_queue (channel, source, recipient, recipient_name, subject, body,
    send_after, status, attempts, created_at, dedupe_key, sender_user_id)
SELECT 'email', 'chat', u.email, u.username,
       'Unread Focus Chat message from ' || su.username,
       m.body, :now, 'queued', 0, :now, {key}, m.sender_user_id
FROM chat_messages m
JOIN users u ON u.user_id = m.recipient_user_id
JOIN users su ON su.user_id = m.sender_user_id
WHERE m.read_at IS NULL AND m.created_at <= :now
  AND u.email IS NOT NULL AND u.email <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {key})
""".format(key="'chat:' || CAST(m.chat_id AS VARCHAR(12))")

_SMS = """
INSERT INTO communication_queue (channel, source, school_id, student_id, recipient,
    recipient_name, subject, body, send_after, status, attempts, created_at, dedupe_key)
SELECT 'sms', 'attendance_sms', sp.school_id, ap.student_id, c.phone, MIN(c.name), '',
       'Focus: ' || MIN(s.first_name) || ' ' || MIN(s.last_name) || ' was marked '
           || MIN(ac.title) || ' on ' || :date_text || '.',
       :now, 'queued', 0, :now, {key}
FROM attendance_period ap
JOIN school_periods sp ON sp.period_id = ap.period_id
JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
JOIN students s ON s.student_id = ap.student_id
JOIN student_contacts c ON c.student_id = ap.student_id
WHERE ap.school_date = :today AND sp.school_id = :school AND UPPER(ac.short_name) IN :codes
  AND c.phone IS NOT NULL AND c.phone <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {key})
GROUP BY sp.school_id, ap.student_id, c.contact_id, c.phone
""".format(
    key="'attendance_sms:' || CAST(ap.student_id AS VARCHAR(12)) || ':' || :date_text "
    "|| ':' || CAST(c.contact_id AS VARCHAR(12))"
)


def _marker(conn: sa.Connection) -> int:
    return conn.execute(
        sa.text("SELECT COALESCE(MAX(message_id), 0) FROM communication_queue")
    ).scalar_one()


def _queued_since(conn: sa.Connection, start: int, source: str, cap: int) -> list[tuple]:
    return [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT recipient, subject, body FROM communication_queue "
                "WHERE source = :source AND message_id > :start ORDER BY message_id LIMIT :cap"
            ),
            {"source": source, "start": start, "cap": cap},
        )
    ]


def _result(
    summary: str,
    rows: Sequence[tuple],
    total: int,
    cap: int,
    counts: dict[str, int],
    notes: Sequence[str] = (),
) -> JobResult:
    lines = [summary, *notes, *(f"  {to}: {subject or body}" for to, subject, body in rows)]
    return listed_result(
        summary,
        lines,
        ("Recipient", "Subject", "Text"),
        rows,
        total=total,
        cap=cap,
        counts=counts,
    )


def queue_sss_alerts(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    now = context.now().astimezone(dt.UTC)
    start = _marker(conn)
    statement = sa.text(_SSS).bindparams(
        sa.bindparam("now", type_=TZ), sa.bindparam("cutoff", type_=TZ)
    )
    queued = conn.execute(statement, {"now": now, "cutoff": now - dt.timedelta(hours=24)}).rowcount
    rows = _queued_since(conn, start, "sss_alert", max_listed)
    summary = f"Queued {queued} e-mail(s) about SSS alerts unread for 24 hours."
    return _result(summary, rows, queued, max_listed, {"queued": queued})


def chat_alerts(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    now = context.now().astimezone(dt.UTC)
    delivered = conn.execute(
        sa.text(
            "UPDATE chat_messages SET delivered_at = :now "
            "WHERE delivered_at IS NULL AND created_at <= :now"
        ).bindparams(sa.bindparam("now", type_=TZ)),
        {"now": now},
    ).rowcount
    start = _marker(conn)
    queued = conn.execute(
        sa.text(_CHAT).bindparams(sa.bindparam("now", type_=TZ)), {"now": now}
    ).rowcount
    no_address = conn.execute(
        sa.text(
            "SELECT u.username, COUNT(*) FROM chat_messages m "
            "JOIN users u ON u.user_id = m.recipient_user_id "
            "WHERE m.read_at IS NULL AND m.created_at <= :now "
            "AND (u.email IS NULL OR u.email = '') GROUP BY u.username ORDER BY u.username"
        ).bindparams(sa.bindparam("now", type_=TZ)),
        {"now": now},
    ).all()
    notes = [
        f"  {user}: {n} unread message(s), no e-mail address: not e-mailed"
        for user, n in no_address
    ]
    rows = _queued_since(conn, start, "chat", max_listed)
    summary = f"Delivered {delivered} chat message(s); queued {queued} e-mail(s) of unread ones."
    return _result(
        summary,
        rows,
        queued,
        max_listed,
        {"delivered": delivered, "queued": queued, "no_email": sum(n for _, n in no_address)},
        notes,
    )


def _codes(text: str | None) -> list[str]:
    return sorted({c.strip().upper() for c in (text or "").split(",") if c.strip()})


def attendance_texts(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    local = context.now()
    now, today = local.astimezone(dt.UTC), local.date()
    prefs = Preferences(conn)
    district = _codes(prefs.get("attendance_mobile_alert_codes"))
    own = {s: _codes(v) for s, v in prefs.by_school("attendance_mobile_alert_codes").items()}
    known = {c.upper() for c in conn.execute(sa.select(attendance_codes.c.short_name)).scalars()}
    start = _marker(conn)
    statement = sa.text(_SMS).bindparams(
        sa.bindparam("now", type_=TZ),
        sa.bindparam("today", type_=sa.Date),
        sa.bindparam("codes", expanding=True),
    )
    queued, notes = 0, []
    for school in conn.execute(sa.select(schools.c.school_id).order_by(schools.c.school_id)):
        codes = own.get(school.school_id, district)
        unknown = [c for c in codes if c not in known]
        if unknown:
            notes.append(
                f"  school {school.school_id}: code(s) {', '.join(unknown)} not found in the "
                "attendance codes: ignored"
            )
        usable = [c for c in codes if c in known]
        if not usable:
            continue
        # One statement per school (a district has a few dozen): each has its own codes.
        queued += conn.execute(
            statement,
            {
                "now": now,
                "today": today,
                "date_text": today.isoformat(),
                "school": school.school_id,
                "codes": usable,
            },
        ).rowcount
    rows = _queued_since(conn, start, "attendance_sms", max_listed)
    summary = f"Queued {queued} attendance text(s) for {today.isoformat()}."
    return _result(
        summary, rows, queued, max_listed, {"queued": queued, "unknown_codes": len(notes)}, notes
    )
