"""Automatic Course Requests: turn queued automatic course requests into schedule requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import html_table, listed_result
from job_library.sis_params import SchoolYear

# Queued rows of the year with why each cannot be processed (NULL: it can). The course must
# be the row's school's course for the row's year; the student needs an enrollment record
# (primary or second school) at that school in that year not ended before today.
_QUEUED = """
INSERT INTO {temp} (queue_id, student_id, school_id, course_id, problem)
SELECT q.id, q.student_id, q.school_id, q.course_id,
  CASE
    WHEN NOT EXISTS (
      SELECT 1 FROM courses c
      WHERE c.course_id = q.course_id AND c.school_id = q.school_id AND c.syear = q.syear)
    THEN 'course'
    WHEN NOT EXISTS (
      SELECT 1 FROM student_enrollment e
      WHERE e.student_id = q.student_id AND e.school_id = q.school_id AND e.syear = q.syear
        AND (e.end_date IS NULL OR e.end_date >= :today))
    THEN 'enrollment'
  END
FROM automatic_course_requests q
WHERE q.syear = :syear AND q.processed_at IS NULL {school_filter}
"""


class AutomaticCourseRequestsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose queued requests are processed; leave empty for all.",
    )
    max_listed: int = Field(
        default=200,
        ge=0,
        le=10_000,
        title="Requests listed",
        description="How many created requests, and how many requests left in the queue, "
        "the output lists.",
    )


@dataclass(frozen=True)
class QueueOutcome:
    """What a run found in the queue and did with it, with the first rows for the output."""

    queued: int
    created: int
    already_requested: int
    left: int
    created_listed: list[tuple]
    left_listed: list[tuple]

    @property
    def processed(self) -> int:
        return self.queued - self.left

    @property
    def duplicates(self) -> int:
        """Processed rows repeating another row of the run for the same student and course."""
        return self.processed - self.created - self.already_requested


class AutomaticCourseRequests(Job):
    key = "automatic_course_requests"
    title = "Automatic Course Requests"
    description = (
        "Turns the queue of Automatic Course Requests (ACRs, table automatic_course_requests) into "
        "course requests (schedule_requests); only districts that use ACRs need it. Rules: the "
        "queue is the school "
        "year's records not yet processed, for the chosen schools. A record can be processed "
        "when its course is a course of that same school in that same school year and the "
        "student has an enrollment record (primary or second school) at that school in that "
        "year that has not ended before the run date (one starting later counts). Each such "
        "record creates a schedule request for the student, year, school and course, marked "
        "as automatic, unless the student already has a request for that course in that "
        "year; several queued records for the same student and course create one request. "
        "Every record that can be processed is stamped with the run time, whether or not it "
        "created a request. A record that cannot be processed is left in the queue, not "
        "stamped, and listed with the reason on every run until it is fixed or deleted; it "
        "does not fail the run. Records already processed are never looked at again."
    )
    module = "SIS"
    params_model = AutomaticCourseRequestsParams

    def run(self, context: JobContext, params: AutomaticCourseRequestsParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was changed.")
        syear, school_ids = resolved
        now = context.now()
        outcome = process_queue(conn, syear, school_ids, now, params.max_listed)
        return _report(outcome, syear, school_ids, now.date(), params.max_listed)


def process_queue(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    now: dt.datetime,
    max_listed: int,
) -> QueueOutcome:
    """Create the schedule requests of the valid queued rows and stamp those rows."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.scheduling import courses, schedule_requests
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    queue = scratch_table(
        conn,
        "tmp_acr_queue",
        [
            sa.Column("queue_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("course_id", sa.Integer, nullable=False),
            sa.Column("problem", sa.String(10)),
        ],
    )
    school_filter = in_list("q.school_id", "school_ids", school_ids)
    clause = sa.text(_QUEUED.format(temp=queue.name, school_filter=school_filter)).bindparams(
        sa.bindparam("today", type_=sa.Date)
    )
    clause = bind_lists(clause, school_ids=school_ids)
    conn.execute(clause, {"syear": syear, "today": now.date()})
    analyze(conn, queue)
    sr = schedule_requests
    valid = queue.c.problem.is_(None)
    requested = sa.exists().where(
        sr.c.student_id == queue.c.student_id,
        sr.c.syear == syear,
        sr.c.course_id == queue.c.course_id,
    )
    # A valid row's course is its school's, so (student, course) fixes the school too.
    new = scratch_table(
        conn,
        "tmp_acr_new",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("course_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, nullable=False),
        ],
    )
    conn.execute(
        sa.insert(new).from_select(
            ["student_id", "course_id", "school_id"],
            sa.select(queue.c.student_id, queue.c.course_id, queue.c.school_id)
            .where(valid, ~requested)
            .distinct(),
        )
    )

    def count(*where) -> int:
        return conn.execute(
            sa.select(sa.func.count()).select_from(queue).where(*where)
        ).scalar_one()

    queued = count()
    left = count(queue.c.problem.is_not(None))
    already = count(valid, requested)
    st, c = students, courses
    created_query = (
        sa.select(
            new.c.student_id,
            st.c.last_name,
            st.c.first_name,
            new.c.school_id,
            c.c.short_name,
            c.c.title,
        )
        .join(st, st.c.student_id == new.c.student_id)
        .join(c, c.c.course_id == new.c.course_id)
        .order_by(new.c.school_id, new.c.student_id, c.c.short_name, new.c.course_id)
    )
    left_query = (
        sa.select(
            queue.c.queue_id,
            queue.c.student_id,
            st.c.last_name,
            st.c.first_name,
            queue.c.school_id,
            queue.c.course_id,
            c.c.short_name,
            c.c.school_id,
            c.c.syear,
            queue.c.problem,
        )
        .join(st, st.c.student_id == queue.c.student_id)
        .join(c, c.c.course_id == queue.c.course_id)
        .where(queue.c.problem.is_not(None))
        .order_by(queue.c.queue_id)
    )
    created_listed = first_rows(conn, created_query, max_listed)
    left_listed = first_rows(conn, left_query, max_listed)
    created = conn.execute(
        sa.insert(sr).from_select(
            ["student_id", "syear", "school_id", "course_id", "source"],
            sa.select(
                new.c.student_id,
                sa.literal(syear, sa.Integer),
                new.c.school_id,
                new.c.course_id,
                sa.literal("automatic", sr.c.source.type),
            ),
        )
    ).rowcount
    _mark_processed(conn, queue, now)
    new.drop(conn)
    queue.drop(conn)
    return QueueOutcome(queued, created, already, left, created_listed, left_listed)


def _mark_processed(conn: sa.Connection, queue: sa.Table, now: dt.datetime) -> int:
    """Stamp every valid queued row of ``queue`` with the run time."""
    from job_library.schemas.scheduling import automatic_course_requests

    acr = automatic_course_requests
    return conn.execute(
        sa.update(acr)
        .where(acr.c.id.in_(sa.select(queue.c.queue_id).where(queue.c.problem.is_(None))))
        .values(processed_at=now)
    ).rowcount


def _reason(
    problem: str, school: int, syear: int, course: int, course_school: int, course_year: int
) -> str:
    if problem == "course":
        return (
            f"course not offered by school {school} in {syear} (course {course} is school "
            f"{course_school}'s for {course_year}); queue a course of school {school} for "
            f"{syear} or delete the record"
        )
    return (
        f"student not enrolled at school {school} in {syear} (no enrollment record there "
        "open on the run date); enroll the student or delete the record"
    )


def _report(
    outcome: QueueOutcome,
    syear: int,
    school_ids: Sequence[int] | None,
    today: dt.date,
    cap: int,
) -> JobResult:
    where = "every school" if school_ids is None else f"school(s) {', '.join(map(str, school_ids))}"
    scope = f"{where}, school year {syear}"
    if outcome.queued == 0:
        summary = f"No automatic course request is queued ({scope}); nothing changed."
    elif outcome.processed == 0:
        summary = (
            f"None of the {outcome.queued} queued automatic course request(s) can be "
            f"processed: all stay in the queue ({scope}); nothing changed."
        )
    else:
        summary = (
            f"Processed {outcome.processed} of {outcome.queued} queued automatic course "
            f"request(s): created {outcome.created} schedule request(s), "
            f"{outcome.already_requested} already requested, {outcome.duplicates} "
            f"duplicate(s); {outcome.left} left in the queue ({scope})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, short_name, title in outcome.created_listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, short_name, title))
        lines.append(
            f"  student {student} ({name}), school {school}: requested {short_name} ({title})"
        )
    result = listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Course", "Title"),
        rows,
        total=outcome.created,
        cap=cap,
        counts={
            "queued": outcome.queued,
            "processed": outcome.processed,
            "created": outcome.created,
            "already_requested": outcome.already_requested,
            "duplicates": outcome.duplicates,
            "left_in_queue": outcome.left,
        },
    )
    if outcome.left == 0:
        return result
    heading = f"Left in the queue on {today:%Y-%m-%d}: {outcome.left} request(s)."
    left_lines = [heading]
    left_rows = []
    for (
        queue_id,
        student,
        last,
        first,
        school,
        course,
        short,
        c_school,
        c_year,
        problem,
    ) in outcome.left_listed:
        name = f"{last}, {first}"
        reason = _reason(problem, school, syear, course, c_school, c_year)
        left_rows.append((queue_id, student, name, school, course, short, reason))
        left_lines.append(
            f"  queue record {queue_id}: student {student} ({name}), school {school}, course "
            f"{course} ({short}): {reason}"
        )
    more = outcome.left - len(left_rows)
    if more > 0:
        left_lines.append(f"  ... and {more} more (listing capped at {cap}).")
    table = html_table(
        ("Queue record", "Student", "Name", "School", "Course", "Short name", "Reason"),
        left_rows,
    )
    tail = f"<p>{more} more not listed.</p>" if more > 0 else ""
    return dataclasses.replace(
        result,
        text=result.text + "\n" + "\n".join(left_lines),
        html=f"{result.html}<p>{html.escape(heading)}</p>{table}{tail}",
    )
