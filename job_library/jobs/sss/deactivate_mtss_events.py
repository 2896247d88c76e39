"""Deactivate MTSS events for withdrawn students (SSS): inactivate their active events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# An active event whose student is withdrawn from the event's school: they had an
# enrollment there (primary or second school, any year) and have none there that is still
# open today or starts later.
_WITHDRAWN = """
INSERT INTO {temp} (event_id, student_id, school_id, title, withdrawn_on)
SELECT ev.event_id, ev.student_id, ev.school_id, ev.title,
       (SELECT MAX(e.end_date) FROM student_enrollment e
        WHERE e.student_id = ev.student_id AND e.school_id = ev.school_id)
FROM mtss_events ev
WHERE ev.active = TRUE
  AND EXISTS (
    SELECT 1 FROM student_enrollment e
    WHERE e.student_id = ev.student_id AND e.school_id = ev.school_id)
  AND NOT EXISTS (
    SELECT 1 FROM student_enrollment e
    WHERE e.student_id = ev.student_id AND e.school_id = ev.school_id
      AND (e.end_date IS NULL OR e.end_date >= :today))
"""


class DeactivateMtssEventsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Inactivated events listed")


@dataclass(frozen=True)
class InactivatedEvents:
    """What a run inactivated, with the first events for the output."""

    inactivated: int
    listed: list[tuple]


class DeactivateMtssEvents(Job):
    key = "deactivate_mtss_events_for_withdrawn_students"
    title = "Deactivate MTSS events for withdrawn students"
    description = (
        "Makes a student's active MTSS events inactive once the student has been withdrawn from "
        "the school; Manage Student then lists them under Inactive Events. Rules: an active event "
        "is inactivated when its student had an "
        "enrollment at the event's school and no longer has one there that is open on the "
        "run date (an enrollment ending today still counts as enrolled today) or starts "
        "later; primary and second-school enrollments both count. Its inactivated date is "
        "the run date. Events of students who never enrolled at the event's school, and "
        "events already inactive, are left alone; events are never reactivated."
    )
    module = "SSS"
    needs_add_ons = frozenset({AddOn.SSS})
    params_model = DeactivateMtssEventsParams

    def run(self, context: JobContext, params: DeactivateMtssEventsParams) -> JobResult:
        today = context.now().date()
        changes = inactivate(context.connection, today, params.max_listed)
        return _report(changes, today, params.max_listed)


def inactivate(conn: sa.Connection, today: dt.date, max_listed: int) -> InactivatedEvents:
    """Inactivate, as of ``today``, the active MTSS events of students withdrawn from the
    event's school."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.sss import mtss_events
    from job_library.sis_sql import analyze, first_rows, scratch_table

    temp = scratch_table(
        conn,
        "tmp_mtss_withdrawn",
        [
            sa.Column("event_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("title", mtss_events.c.title.type, nullable=False),
            sa.Column("withdrawn_on", sa.Date),
        ],
    )
    conn.execute(
        sa.text(_WITHDRAWN.format(temp=temp.name)).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": today},
    )
    analyze(conn, temp)
    st = students
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.school_id,
            temp.c.event_id,
            temp.c.title,
            temp.c.withdrawn_on,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.school_id, temp.c.student_id, temp.c.event_id)
    )
    listed = first_rows(conn, query, max_listed)
    ev = mtss_events
    inactivated = conn.execute(
        sa.update(ev)
        .where(ev.c.event_id.in_(sa.select(temp.c.event_id)))
        .values(active=False, inactivated_on=today)
    ).rowcount
    temp.drop(conn)
    return InactivatedEvents(inactivated, listed)


def _report(changes: InactivatedEvents, today: dt.date, cap: int) -> JobResult:
    if changes.inactivated == 0:
        summary = (
            f"No active MTSS event belongs to a student withdrawn from its school as of "
            f"{today:%Y-%m-%d}; nothing changed."
        )
    else:
        summary = (
            f"Inactivated {changes.inactivated} MTSS event(s) of students withdrawn from "
            f"their school, as of {today:%Y-%m-%d}."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, event, title, withdrawn in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, event, title, withdrawn))
        lines.append(
            f"  student {student} ({name}), school {school}: event {event} ({title}) "
            f"inactivated; withdrawn {withdrawn:%Y-%m-%d}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Event", "Title", "Withdrawal date"),
        rows,
        total=changes.inactivated,
        cap=cap,
        counts={"inactivated": changes.inactivated},
    )
