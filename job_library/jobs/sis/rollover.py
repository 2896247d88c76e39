"""Rollover: next school year's enrollment records from this year's, at the Next School."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.sis.set_next_school import SetNextSchool
from job_library.output import listed_result

# The school preference (System Preferences) that rolls second-school records too.
SECOND_SCHOOL_PREFERENCE = "rollover_second_school"

# Why a considered record was or was not rolled, in the order the reasons are checked.
OUTCOMES = (
    "already_enrolled",
    "do_not_enroll",
    "no_next_grade",
    "grade_not_offered",
    "no_calendar",
    "created",
)

# Records of the year still open at its end: primary ones, and second-school ones where the
# school rolls them. One record per student (primary) or per student and school (second
# school): the latest start. The school and grade rolled into, and that school's default
# calendar of the next year, are worked out here; which of them is usable, later.
_SCOPE = """
INSERT INTO {scope} (enrollment_id, student_id, school_id, grade_id, second_school,
                     rolling_retention, to_school, to_grade, calendar_id)
SELECT r.id, r.student_id, r.school_id, r.grade_id, r.second_school, r.rolling_retention,
       r.to_school, r.to_grade,
       (SELECT MIN(c.calendar_id) FROM attendance_calendars c
        WHERE c.school_id = r.to_school AND c.syear = :next_year AND c.is_default = TRUE)
FROM (
  SELECT e.id, e.student_id, e.school_id, e.grade_id, e.second_school, e.rolling_retention,
         CASE WHEN e.second_school = TRUE THEN e.school_id
              ELSE COALESCE(e.next_school, e.school_id) END AS to_school,
         CASE WHEN e.rolling_retention = 'retain' THEN e.grade_id
              WHEN e.rolling_retention = 'do_not_enroll' THEN NULL
              ELSE g.next_grade_id END AS to_grade,
         ROW_NUMBER() OVER (
           PARTITION BY e.student_id, e.second_school,
                        CASE WHEN e.second_school = TRUE THEN e.school_id END
           ORDER BY e.start_date DESC, e.id DESC) AS pick
  FROM student_enrollment e
  JOIN schools s ON s.school_id = e.school_id
  JOIN grade_levels g ON g.grade_id = e.grade_id
  WHERE e.syear = :syear
    AND (e.end_date IS NULL OR e.end_date >= :year_end)
    AND (e.second_school = FALSE OR e.school_id IN :second_school_ids)
    {school_filter}
) r
WHERE r.pick = 1
"""

# The first reason that applies. A primary record counts as enrolled when the student has
# any primary record next year or any record at the school rolled into (a second one there
# would clash); a second-school record when the student has any record at that school.
_OUTCOME = """
UPDATE {scope} SET outcome = CASE
  WHEN EXISTS (
    SELECT 1 FROM student_enrollment n
    WHERE n.student_id = {scope}.student_id AND n.syear = :next_year
      AND (n.school_id = {scope}.to_school
           OR ({scope}.second_school = FALSE AND n.second_school = FALSE)))
    THEN 'already_enrolled'
  WHEN {scope}.rolling_retention = 'do_not_enroll' THEN 'do_not_enroll'
  WHEN {scope}.to_grade IS NULL THEN 'no_next_grade'
  WHEN NOT EXISTS (
    SELECT 1 FROM school_grade_levels o
    WHERE o.school_id = {scope}.to_school AND o.grade_id = {scope}.to_grade)
    THEN 'grade_not_offered'
  WHEN {scope}.calendar_id IS NULL THEN 'no_calendar'
  ELSE 'created' END
WHERE {scope}.second_school = :second_school
"""

_CREATE = """
INSERT INTO student_enrollment (student_id, syear, school_id, grade_id, calendar_id,
                                start_date, enrollment_code, second_school, rolling_retention)
SELECT student_id, :next_year, to_school, to_grade, calendar_id, :start_date, :code_id,
       second_school, 'next_grade'
FROM {scope}
WHERE outcome = 'created' AND second_school = :second_school
"""


class RolloverParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: int | None = Field(
        default=None,
        ge=1900,
        le=2999,
        title="School year",
        description="The school year rolled from; leave empty for the district's default "
        "school year. Records are created in the year after it.",
    )
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose enrollments are rolled; leave empty for every "
        "school.",
    )
    enrollment_date: dt.date = Field(
        title="Enrollment date",
        description="Start date of the enrollment records created for the next school year.",
    )
    enrollment_code: str = Field(
        json_schema_extra={"x-focus-lookup": "enrollment_codes"},
        min_length=1,
        max_length=20,
        title="Enrollment code",
        description="Enrollment code given to the created records: the short name of an Add "
        "code of the next school year.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Created enrollments listed in the output"
    )


@dataclass(frozen=True)
class NextYear:
    """The school year rolled into and the code the created records get."""

    syear: int
    year_end: dt.date
    code_id: int


@dataclass(frozen=True)
class RolloverChanges:
    """How many records each outcome got, with the first created records for the output."""

    outcomes: dict[str, int]
    listed: list[tuple]

    @property
    def considered(self) -> int:
        return sum(self.outcomes.values())

    @property
    def created(self) -> int:
        return self.outcomes["created"]


class Rollover(Job):
    key = "rollover"
    title = "Rollover"
    description = (
        "Enrolls students in the next school year at the school that their enrollment record's "
        "Next School names. Where Set Next School is used, run this job after it. Each school's "
        "'Rollover Second School Enrollment Records' preference decides whether second-school "
        "records roll too: with it on, a student's primary and second-school records both roll "
        "(given a Rolling/Retention value for the default school year that lets them); with it "
        "off, only primary records do. Rules: the records rolled are the school year's "
        "enrollments still open at its end (no end date, or one on or after the year's last "
        "day); a withdrawn student is not rolled. Primary records always; second-school "
        "records only at schools with the preference on. A student's latest primary record "
        "is used, and the latest second-school record at each school. Rolling/Retention "
        "empty or Next Grade rolls into the grade level's next grade (none, as for "
        "graduates: not rolled); Retain keeps the grade; Do Not Enroll is not rolled. A "
        "primary record goes to its Next School, or to the same school when that is blank; "
        "a second-school record stays at its school. That school must offer the grade "
        "(School Grade Levels) and have a default attendance calendar in the next year, "
        "else the record is not rolled and is counted. A student who already has a primary "
        "record next year, or any record at that school, is not rolled again, so a second "
        "run creates nothing. Created records start on the enrollment date with the chosen "
        "Add code of the next year, keep the primary/second school kind and are marked Next "
        "Grade. The job refuses to run, changing nothing, when the next school year is "
        "missing, the date is outside it, the code is not one of its Add codes, or an "
        "active Set Next School job has no successful latest run."
    )
    module = "SIS"
    params_model = RolloverParams
    example_params = {"enrollment_date": "2027-08-10", "enrollment_code": "E01"}

    def run(self, context: JobContext, params: RolloverParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was changed.")
        syear, school_ids = resolved
        next_year = _next_year(conn, syear, params.enrollment_date, params.enrollment_code)
        if isinstance(next_year, str):
            return JobResult.message(False, next_year + " Nothing was changed.")
        not_ready = _set_next_school_not_ready(conn, context.now().tzinfo)
        if not_ready:
            return JobResult.message(False, not_ready + " Nothing was changed.")
        changes = roll_over(
            conn,
            syear=syear,
            next_year=next_year,
            school_ids=school_ids,
            start_date=params.enrollment_date,
            max_listed=params.max_listed,
            second_school_ids=_second_school_rollers(context),
        )
        return _report(changes, syear, school_ids, params)


def _second_school_rollers(context: JobContext) -> list[int]:
    """The schools whose "Rollover Second School Enrollment Records" preference is on (a
    school's own value, else the district's)."""
    from job_library.schemas.district import schools

    own = context.prefs.by_school(SECOND_SCHOOL_PREFERENCE)
    district = bool(context.prefs.get(SECOND_SCHOOL_PREFERENCE))
    ids = context.connection.execute(sa.select(schools.c.school_id)).scalars()
    return sorted(i for i in ids if own.get(i, district))


def _next_year(conn: sa.Connection, syear: int, start: dt.date, code: str) -> NextYear | str:
    """The year after ``syear`` with the code's id, or a message naming the bad value."""
    from job_library.schemas.district import school_years
    from job_library.schemas.enrollment import student_enrollment_codes

    y = school_years
    years = {
        row.syear: row
        for row in conn.execute(
            sa.select(y.c.syear, y.c.start_date, y.c.end_date).where(
                y.c.syear.in_([syear, syear + 1])
            )
        )
    }
    target = years.get(syear + 1)
    if target is None:
        return (
            f"school year {syear + 1}: no such school year, and Rollover creates the records "
            f"of the year after {syear} in it; add it under School Years first."
        )
    if not target.start_date <= start <= target.end_date:
        return (
            f"enrollment date {start:%Y-%m-%d}: outside school year {syear + 1} "
            f"({target.start_date:%Y-%m-%d} to {target.end_date:%Y-%m-%d}); pick a date in it."
        )
    c = student_enrollment_codes
    found = conn.execute(
        sa.select(c.c.code_id, c.c.type).where(c.c.syear == syear + 1, c.c.short_name == code)
    ).first()
    if found is None:
        return (
            f"enrollment code {code!r}: no such code in school year {syear + 1}; add it under "
            "Enrollment Codes or pick another."
        )
    if found.type != "Add":
        return (
            f"enrollment code {code!r}: a {found.type} code in school year {syear + 1}; pick "
            "an Add code."
        )
    return NextYear(syear + 1, years[syear].end_date, found.code_id)


def _set_next_school_not_ready(conn: sa.Connection, tz: dt.tzinfo | None) -> str | None:
    """Why the active Set Next School jobs have not prepared the rollover, or None.

    Each active definition's latest stored run must have succeeded; a district that has no
    active Set Next School job sets next schools by hand and is not checked.
    """
    from job_library.schema import job_output, scheduled_jobs_read

    j = scheduled_jobs_read
    o = job_output
    runs = job_output.alias("runs")
    latest = (
        sa.select(runs.c.id)
        .where(runs.c.job_id == j.c.id)
        .order_by(runs.c.finished_at.desc(), runs.c.id.desc())
        .limit(1)
        .correlate(j)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(j.c.id, o.c.success, o.c.finished_at)
        .select_from(j)
        .outerjoin(o, o.c.id == latest)
        .where(j.c.job_class == SetNextSchool.key, j.c.active == sa.true())
        .order_by(j.c.id)
    ).all()
    problems = []
    for job_id, success, finished in rows:
        if success is None:
            problems.append(f"{SetNextSchool.title} job {job_id!r} has no stored run")
        elif not success:
            if finished.tzinfo is None:  # SQLite keeps the UTC time without its zone
                finished = finished.replace(tzinfo=dt.UTC)
            when = finished.astimezone(tz)
            problems.append(
                f"{SetNextSchool.title} job {job_id!r} failed its latest run (finished "
                f"{when:%Y-%m-%d %H:%M %Z})"
            )
    if not problems:
        return None
    return (
        "; ".join(problems) + ". Rollover needs to be run after Set Next School: run that "
        "job successfully first, or make it inactive if next schools are set by hand."
    )


def roll_over(
    conn: sa.Connection,
    *,
    syear: int,
    next_year: NextYear,
    school_ids: Sequence[int] | None,
    start_date: dt.date,
    max_listed: int,
    second_school_ids: Sequence[int] = (),
) -> RolloverChanges:
    """Create next year's enrollment records of the records still open at the year's end."""
    from job_library.schemas.district import grade_levels
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    scope = scratch_table(
        conn,
        "tmp_rollover_scope",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("grade_id", sa.Integer, nullable=False),
            sa.Column("second_school", sa.Boolean, nullable=False),
            sa.Column("rolling_retention", sa.String(20)),
            sa.Column("to_school", sa.Integer, nullable=False),
            sa.Column("to_grade", sa.Integer),
            sa.Column("calendar_id", sa.Integer),
            sa.Column("outcome", sa.String(20)),
        ],
    )
    school_filter = in_list("e.school_id", "school_ids", school_ids)
    clause = sa.text(_SCOPE.format(scope=scope.name, school_filter=school_filter)).bindparams(
        sa.bindparam("year_end", type_=sa.Date),
        sa.bindparam("second_school_ids", list(second_school_ids), expanding=True),
    )
    conn.execute(
        bind_lists(clause, school_ids=school_ids),
        {"syear": syear, "next_year": next_year.syear, "year_end": next_year.year_end},
    )
    analyze(conn, scope)
    # Primary records first: a second-school record then sees the primary record just
    # created at its school as an enrollment there.
    for second_school in (False, True):
        _enroll(conn, scope, next_year, start_date, second_school=second_school)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    outcomes.update(
        conn.execute(sa.select(scope.c.outcome, sa.func.count()).group_by(scope.c.outcome)).all()
    )
    before = grade_levels.alias("before")
    after = grade_levels.alias("after")
    query = (
        sa.select(
            scope.c.student_id,
            students.c.last_name,
            students.c.first_name,
            scope.c.school_id,
            before.c.short_name,
            scope.c.to_school,
            after.c.short_name,
            scope.c.second_school,
        )
        .join(students, students.c.student_id == scope.c.student_id)
        .join(before, before.c.grade_id == scope.c.grade_id)
        .join(after, after.c.grade_id == scope.c.to_grade)
        .where(scope.c.outcome == "created")
        .order_by(scope.c.school_id, scope.c.student_id, scope.c.second_school)
    )
    listed = first_rows(conn, query, max_listed)
    scope.drop(conn)
    return RolloverChanges(outcomes, listed)


def _enroll(
    conn: sa.Connection,
    scope: sa.Table,
    next_year: NextYear,
    start_date: dt.date,
    *,
    second_school: bool,
) -> None:
    """Decide the outcome of the scope's primary (or second-school) records and create the
    enrollments of those that roll."""
    flag = sa.bindparam("second_school", type_=sa.Boolean)
    conn.execute(
        sa.text(_OUTCOME.format(scope=scope.name)).bindparams(flag),
        {"next_year": next_year.syear, "second_school": second_school},
    )
    conn.execute(
        sa.text(_CREATE.format(scope=scope.name)).bindparams(
            flag, sa.bindparam("start_date", type_=sa.Date)
        ),
        {
            "next_year": next_year.syear,
            "start_date": start_date,
            "code_id": next_year.code_id,
            "second_school": second_school,
        },
    )


def _report(
    changes: RolloverChanges, syear: int, school_ids: Sequence[int] | None, params: RolloverParams
) -> JobResult:
    where = "every school" if school_ids is None else f"school(s) {', '.join(map(str, school_ids))}"
    n = changes.outcomes
    following = syear + 1
    tally = (
        f"Considered {changes.considered} enrollment record(s) open at the end of school year "
        f"{syear} ({where}): {n['already_enrolled']} already enrolled in {following}, "
        f"{n['do_not_enroll']} marked Do Not Enroll, {n['no_next_grade']} with no next grade, "
        f"{n['grade_not_offered']} whose next school does not offer the grade, "
        f"{n['no_calendar']} whose next school has no default {following} calendar"
    )
    if changes.created == 0:
        summary = f"{tally}; nothing to create, nothing changed."
    else:
        summary = (
            f"{tally}; created {changes.created} enrollment record(s) in {following} starting "
            f"{params.enrollment_date:%Y-%m-%d} (code {params.enrollment_code})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, grade, to_school, to_grade, second in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, grade, to_school, to_grade, "yes" if second else "no"))
        kind = ", second school" if second else ""
        lines.append(
            f"  student {student} ({name}): school {school} grade {grade} -> school "
            f"{to_school} grade {to_grade}{kind}"
        )
    return listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "From school",
            "Grade before",
            "To school",
            "Grade after",
            "Second school",
        ),
        rows,
        total=changes.created,
        cap=params.max_listed,
        counts={"considered": changes.considered, "created": changes.created, **n},
    )
