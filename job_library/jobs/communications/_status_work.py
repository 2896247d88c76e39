"""The work of Communication Status Update(s): publish forms, then share returned ones."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import listed_result
from job_library.preferences import Preferences
from job_library.schemas.communications import forms

TZ = sa.DateTime(timezone=True)

# An undeliverable call or text to a contact's number: that contact's form, unless a form
# was published to them after this failure (one per failure, none while one is open).
_PARENT_FORMS = """
INSERT INTO form_assignments (form_id, student_id, contact_id, message_id, published_at)
SELECT :form, q.student_id, c.contact_id, MIN(q.message_id), :now
FROM communication_queue q
JOIN student_contacts c ON c.student_id = q.student_id AND c.phone = q.recipient
WHERE q.status = 'undeliverable' AND q.channel IN ('sms', 'voice')
  AND NOT EXISTS (
    SELECT 1 FROM form_assignments fa
    WHERE fa.contact_id = c.contact_id AND fa.form_id = :form
      AND (fa.completed_at IS NULL OR fa.published_at >= COALESCE(q.marked_at, q.created_at)))
GROUP BY q.student_id, c.contact_id
"""

# The student's own number (no contact of theirs has it): the student form.
_STUDENT_FORMS = """
INSERT INTO form_assignments (form_id, student_id, contact_id, message_id, published_at)
SELECT :form, q.student_id, NULL, MIN(q.message_id), :now
FROM communication_queue q
WHERE q.status = 'undeliverable' AND q.channel IN ('sms', 'voice')
  AND q.student_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM student_contacts c
    WHERE c.student_id = q.student_id AND c.phone = q.recipient)
  AND NOT EXISTS (
    SELECT 1 FROM form_assignments fa
    WHERE fa.student_id = q.student_id AND fa.contact_id IS NULL AND fa.form_id = :form
      AND (fa.completed_at IS NULL OR fa.published_at >= COALESCE(q.marked_at, q.created_at)))
GROUP BY q.student_id
"""

_SHARE = """
INSERT INTO portal_alerts (student_id, alert_type, profile, school_id, message, created_at)
SELECT fa.student_id, 'callout_form', :profile, q.school_id,
       'Returned contact form for ' || s.first_name || ' ' || s.last_name
           || COALESCE(' (' || c.name || ')', '') || ': phone '
           || COALESCE(fa.new_phone, 'not given') || ', e-mail '
           || COALESCE(fa.new_email, 'not given') || '.',
       :now
FROM form_assignments fa
JOIN students s ON s.student_id = fa.student_id
LEFT JOIN student_contacts c ON c.contact_id = fa.contact_id
LEFT JOIN communication_queue q ON q.message_id = fa.message_id
WHERE fa.completed_at IS NOT NULL AND fa.shared_at IS NULL
"""


def update_status(context: JobContext, max_listed: int) -> JobResult:
    conn = context.connection
    prefs = Preferences(conn)
    parent_form = prefs.get("callout_parent_form")
    student_form = prefs.get("callout_student_form")
    known = set(conn.execute(sa.select(forms.c.form_id)).scalars())
    missing = []
    for key, form in (
        ("callout_parent_form", parent_form),
        ("callout_student_form", student_form),
    ):
        if form is None:
            missing.append(f"{key} is not set")
        elif form not in known:
            missing.append(f"{key} names form {form}, which does not exist")
    if missing:
        return JobResult.message(False, f"Nothing changed: {'; '.join(missing)}.")
    now = context.now().astimezone(dt.UTC)
    stamp = sa.bindparam("now", type_=TZ)
    start = conn.execute(
        sa.text("SELECT COALESCE(MAX(assignment_id), 0) FROM form_assignments")
    ).scalar_one()
    to_parents = conn.execute(
        sa.text(_PARENT_FORMS).bindparams(stamp), {"form": parent_form, "now": now}
    ).rowcount
    to_students = conn.execute(
        sa.text(_STUDENT_FORMS).bindparams(stamp), {"form": student_form, "now": now}
    ).rowcount
    shared = conn.execute(
        sa.text(_SHARE).bindparams(stamp),
        {"profile": prefs.get("callout_form_review_profile"), "now": now},
    ).rowcount
    conn.execute(
        sa.text(
            "UPDATE form_assignments SET shared_at = :now "
            "WHERE completed_at IS NOT NULL AND shared_at IS NULL"
        ).bindparams(stamp),
        {"now": now},
    )
    orphans = conn.execute(
        sa.text(
            "SELECT message_id, recipient FROM communication_queue "
            "WHERE status = 'undeliverable' AND channel IN ('sms', 'voice') "
            "AND student_id IS NULL ORDER BY message_id LIMIT :cap"
        ),
        {"cap": max_listed},
    ).all()
    rows = [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT fa.student_id, COALESCE(c.name, 'the student'), q.recipient "
                "FROM form_assignments fa "
                "LEFT JOIN student_contacts c ON c.contact_id = fa.contact_id "
                "LEFT JOIN communication_queue q ON q.message_id = fa.message_id "
                "WHERE fa.assignment_id > :start ORDER BY fa.assignment_id LIMIT :cap"
            ),
            {"start": start, "cap": max_listed},
        )
    ]
    summary = (
        f"Published {to_parents} parent and {to_students} student contact form(s) for "
        f"unreachable numbers; shared {shared} returned form(s) with the reviewers."
    )
    lines = [
        summary,
        *(f"  student {s}: form to {who} (unreachable {number})" for s, who, number in rows),
        *(f"  message {m} to {to}: names no student, no form published" for m, to in orphans),
    ]
    return listed_result(
        summary,
        lines,
        ("Student", "Form to", "Unreachable number"),
        rows,
        total=to_parents + to_students,
        cap=max_listed,
        counts={
            "parent_forms": to_parents,
            "student_forms": to_students,
            "shared": shared,
            "no_student": len(orphans),
        },
    )
