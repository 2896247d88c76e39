"""Remove Scheduled Students from Waitlist: drop waitlist entries of students now scheduled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# A waitlist entry whose student has a schedule record in that very section that has not
# ended (it may start later).
_SCHEDULED = """
INSERT INTO {temp} (waitlist_id, student_id, course_period_id, school_id, section, position)
SELECT w.waitlist_id, w.student_id, w.course_period_id, cp.school_id, cp.title, w.position
FROM waitlist w
JOIN course_periods cp ON cp.course_period_id = w.course_period_id
WHERE cp.syear = :syear {school_filter}
  AND EXISTS (
    SELECT 1 FROM schedule s
    WHERE s.student_id = w.student_id AND s.course_period_id = w.course_period_id
      AND (s.end_date IS NULL OR s.end_date >= :today))
"""


class RemoveScheduledFromWaitlistParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose waitlists are cleaned; leave empty for all.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Removed entries listed")


@dataclass(frozen=True)
class WaitlistChanges:
    """What a run removed and renumbered, with the first removed entries for the output."""

    removed: int
    renumbered: int
    listed: list[tuple]


class RemoveScheduledFromWaitlist(Job):
    key = "remove_scheduled_students_from_waitlist"
    title = "Remove Scheduled Students from Waitlist"
    description = (
        "Takes a student off a section's Waitlist once they have been scheduled into that same "
        "section. Rules: a waitlist entry for a section of the school "
        "year is removed when the student has a schedule record in that same section that "
        "has not ended by the run date (one starting later counts: the seat is theirs). "
        "Being scheduled into another section of the course, or a schedule record that has "
        "already ended (a dropped class), keeps the entry. The students left on each "
        "section's waitlist move up so positions run 1, 2, 3 ... in their previous order."
    )
    module = "SIS"
    params_model = RemoveScheduledFromWaitlistParams

    def run(self, context: JobContext, params: RemoveScheduledFromWaitlistParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was removed.")
        syear, school_ids = resolved
        today = context.now().date()
        changes = remove_scheduled(conn, syear, school_ids, today, params.max_listed)
        return _report(changes, syear, school_ids, params.max_listed)


def remove_scheduled(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    today: dt.date,
    max_listed: int,
) -> WaitlistChanges:
    """Remove the waitlist entries of scheduled students and close up the gaps."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.scheduling import course_periods, waitlist
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_waitlist_scheduled",
        [
            sa.Column("waitlist_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("course_period_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("section", course_periods.c.title.type, nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
        ],
    )
    school_filter = in_list("cp.school_id", "school_ids", school_ids)
    clause = sa.text(_SCHEDULED.format(temp=temp.name, school_filter=school_filter)).bindparams(
        sa.bindparam("today", type_=sa.Date)
    )
    clause = bind_lists(clause, school_ids=school_ids)
    conn.execute(clause, {"syear": syear, "today": today})
    analyze(conn, temp)
    st = students
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.school_id,
            temp.c.course_period_id,
            temp.c.section,
            temp.c.position,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.school_id, temp.c.course_period_id, temp.c.position)
    )
    listed = first_rows(conn, query, max_listed)
    w = waitlist
    removed = conn.execute(
        sa.delete(w).where(w.c.waitlist_id.in_(sa.select(temp.c.waitlist_id)))
    ).rowcount
    # New positions are worked out before any is written, so no row sees another's new one.
    ranks = scratch_table(
        conn,
        "tmp_waitlist_positions",
        [
            sa.Column("waitlist_id", sa.Integer, primary_key=True),
            sa.Column("position", sa.Integer, nullable=False),
        ],
    )
    conn.execute(
        sa.insert(ranks).from_select(
            ["waitlist_id", "position"],
            sa.select(
                w.c.waitlist_id,
                sa.func.row_number().over(
                    partition_by=w.c.course_period_id, order_by=(w.c.position, w.c.waitlist_id)
                ),
            ).where(w.c.course_period_id.in_(sa.select(temp.c.course_period_id))),
        )
    )
    renumbered = conn.execute(
        sa.update(w)
        .where(w.c.waitlist_id == ranks.c.waitlist_id, w.c.position != ranks.c.position)
        .values(position=ranks.c.position)
    ).rowcount
    ranks.drop(conn)
    temp.drop(conn)
    return WaitlistChanges(removed, renumbered, listed)


def _report(
    changes: WaitlistChanges, syear: int, school_ids: Sequence[int] | None, cap: int
) -> JobResult:
    where = "every school" if school_ids is None else f"school(s) {', '.join(map(str, school_ids))}"
    if changes.removed == 0:
        summary = (
            f"No waitlisted student is scheduled into the section ({where}, school year "
            f"{syear}); nothing changed."
        )
    else:
        summary = (
            f"Removed {changes.removed} scheduled student(s) from section waitlists and moved "
            f"up {changes.renumbered} waiting student(s) ({where}, school year {syear})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, section_id, section, position in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, section_id, section, position))
        lines.append(
            f"  student {student} ({name}), school {school}: removed from the waitlist of "
            f"section {section_id} ({section}) at position {position}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Section", "Title", "Position"),
        rows,
        total=changes.removed,
        cap=cap,
        counts={"removed": changes.removed, "renumbered": changes.renumbered},
    )
