"""The work of Attendance Daily Triggers: two INSERT … SELECT statements (daily, period)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import listed_result
from job_library.schemas.district import school_years

TZ = sa.DateTime(timezone=True)

_NAME = "s.first_name || ' ' || s.last_name"
_KEY = (
    "'attendance_letter:' || CAST(t.trigger_id AS VARCHAR(12)) || ':' "
    "|| CAST(:syear AS VARCHAR(6)) || ':' || CAST(x.student_id AS VARCHAR(12)) || ':' "
    "|| CAST(c.contact_id AS VARCHAR(12))"
)
_LETTERS = f"""
INSERT INTO communication_queue (channel, source, school_id, student_id, recipient,
    recipient_name, subject, body, send_after, status, attempts, created_at, dedupe_key)
SELECT 'email', 'attendance_letter', x.school_id, x.student_id, c.email, c.name,
       REPLACE(t.subject, '{{student}}', {_NAME}),
       REPLACE(REPLACE(t.template, '{{student}}', {_NAME}), '{{count}}',
               CAST(x.n AS VARCHAR(12))),
       :now, 'queued', 0, :now, {_KEY}
FROM ({{counts}}) x
JOIN attendance_triggers t ON t.trigger_id = x.trigger_id
JOIN students s ON s.student_id = x.student_id
JOIN student_contacts c ON c.student_id = x.student_id AND c.priority = 1
WHERE x.n >= t.threshold AND c.email IS NOT NULL AND c.email <> ''
  AND NOT EXISTS (SELECT 1 FROM communication_queue q WHERE q.dedupe_key = {_KEY})
"""

_DAILY = """
SELECT ad.student_id, MAX(ad.school_id) AS school_id, t.trigger_id, COUNT(*) AS n
FROM attendance_day ad
JOIN attendance_triggers t ON t.basis = 'daily' AND t.active = TRUE
WHERE ad.syear = :syear AND ad.school_date <= :today AND ad.absence_type IS NOT NULL
  AND (t.category = 'any' OR ad.absence_type = t.category)
GROUP BY ad.student_id, t.trigger_id
"""

_PERIOD = """
SELECT ap.student_id, MAX(sp.school_id) AS school_id, t.trigger_id, COUNT(*) AS n
FROM attendance_period ap
JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
JOIN school_periods sp ON sp.period_id = ap.period_id
JOIN attendance_triggers t ON t.basis = 'period' AND t.active = TRUE
WHERE ac.syear = :syear AND ap.school_date <= :today
  AND ac.category IN ('unexcused', 'excused')
  AND (t.category = 'any' OR ac.category = t.category)
GROUP BY ap.student_id, t.trigger_id
"""


def current_year(conn: sa.Connection, today: dt.date) -> int | None:
    y = school_years
    found = conn.execute(
        sa.select(y.c.syear).where(y.c.start_date <= today, y.c.end_date >= today)
    ).scalar()
    if found is None:
        found = conn.execute(sa.select(y.c.syear).where(y.c.is_default)).scalar()
    return found


def queue_letters(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    local = context.now()
    syear = current_year(conn, local.date())
    if syear is None:
        return JobResult.message(False, "No school year covers today and none is the default.")
    start = conn.execute(
        sa.text("SELECT COALESCE(MAX(message_id), 0) FROM communication_queue")
    ).scalar_one()
    values = {"now": local.astimezone(dt.UTC), "today": local.date(), "syear": syear}
    counts = {}
    for basis, counting in (("daily", _DAILY), ("period", _PERIOD)):
        statement = sa.text(_LETTERS.replace("{counts}", counting)).bindparams(
            sa.bindparam("now", type_=TZ), sa.bindparam("today", type_=sa.Date)
        )
        counts[basis] = conn.execute(statement, values).rowcount
    rows = [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT recipient, subject FROM communication_queue "
                "WHERE source = 'attendance_letter' AND message_id > :start "
                "ORDER BY message_id LIMIT :cap"
            ),
            {"start": start, "cap": max_listed},
        )
    ]
    total = counts["daily"] + counts["period"]
    summary = (
        f"Queued {total} attendance letter(s) for {syear}: {counts['daily']} from daily and "
        f"{counts['period']} from period triggers."
    )
    return listed_result(
        summary,
        [summary, *(f"  {to}: {subject}" for to, subject in rows)],
        ("To", "Subject"),
        rows,
        total=total,
        cap=max_listed,
        counts={"letters": total, "daily": counts["daily"], "period": counts["period"]},
    )
