"""Attendance Summary Calculation: days enrolled, present, excused and unexcused per enrollment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.output import listed_result
from job_library.schemas.enrollment import student_enrollment
from job_library.sis_params import SchoolYear
from job_library.sis_sql import (
    analyze,
    bind_lists,
    first_rows,
    in_list,
    resolve_year_and_schools,
    scratch_table,
)

# The school days of each enrollment up to the "through" day, with the daily attendance of
# the days the student was absent (a day without a record counts as present). Daily
# attendance belongs to the student, so a second-school enrollment sees the same absences on
# the days it covers.
_ENROLLMENT_DAYS = """
SELECT e.id AS enrollment_id, {aggregates}
FROM student_enrollment e
LEFT JOIN attendance_calendar c
  ON c.calendar_id = e.calendar_id
 AND c.school_date >= e.start_date
 AND c.school_date <= :through
 AND (e.end_date IS NULL OR c.school_date <= e.end_date)
LEFT JOIN attendance_day ad
  ON ad.student_id = e.student_id
 AND ad.school_date = c.school_date
 AND ad.state_value < 1
WHERE e.syear = :syear {school_filter}
GROUP BY e.id
"""

SUMMARY_AGGREGATES = {
    "days_enrolled": "COUNT(c.school_date)",
    "days_present": "COUNT(c.school_date) - COALESCE(SUM(1 - ad.state_value), 0)",
    "days_excused": (
        "COALESCE(SUM(CASE WHEN ad.absence_type = 'excused' THEN 1 - ad.state_value END), 0)"
    ),
    "days_unexcused": (
        "COALESCE(SUM(CASE WHEN ad.absence_type = 'excused' THEN 0 ELSE 1 - ad.state_value END), 0)"
    ),
}


def enrollment_days_sql(
    aggregates: Mapping[str, str], school_ids: Sequence[int] | None, prefix: str = ""
) -> sa.TextClause:
    """Per enrollment of ``:syear`` (at ``school_ids``, or all), ``aggregates`` over its school
    days through ``:through``, after ``prefix`` (such as an INSERT INTO)."""
    school_filter = in_list("e.school_id", "school_ids", school_ids)
    sql = _ENROLLMENT_DAYS.format(
        aggregates=", ".join(f"{expr} AS {name}" for name, expr in aggregates.items()),
        school_filter=school_filter,
    )
    clause = sa.text(prefix + sql).bindparams(
        sa.bindparam("through", type_=sa.Date), sa.bindparam("syear", type_=sa.Integer)
    )
    clause = bind_lists(clause, school_ids=school_ids)
    return clause


@dataclass(frozen=True)
class EnrollmentChanges:
    """What a refresh of enrollment fields did, with the first changed records."""

    checked: int
    updated: int
    listed: list[tuple]


def refresh_enrollment_fields(
    conn: sa.Connection,
    aggregates: Mapping[str, str],
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    max_listed: int,
) -> EnrollmentChanges:
    """Set the ``aggregates`` fields of every enrollment of ``syear`` where they differ."""
    fields = list(aggregates)
    se = student_enrollment
    temp = scratch_table(
        conn,
        "tmp_enrollment_attendance",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            *(sa.Column(f, se.c[f].type) for f in fields),
        ],
    )
    insert = f"INSERT INTO {temp.name} (enrollment_id, {', '.join(fields)})"
    conn.execute(
        enrollment_days_sql(aggregates, school_ids, insert),
        {"through": through, "syear": syear},
    )
    analyze(conn, temp)
    keys = se.c.id == temp.c.enrollment_id
    differs = sa.or_(*(se.c[f].is_distinct_from(temp.c[f]) for f in fields))
    query = (
        sa.select(
            se.c.id,
            se.c.student_id,
            se.c.school_id,
            *(se.c[f] for f in fields),
            *(temp.c[f] for f in fields),
        )
        .where(keys, differs)
        .order_by(se.c.school_id, se.c.student_id, se.c.id)
    )
    listed = first_rows(conn, query, max_listed)
    updated = conn.execute(
        sa.update(se).where(keys).where(differs).values({f: temp.c[f] for f in fields})
    ).rowcount
    checked = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    temp.drop(conn)
    return EnrollmentChanges(checked, updated, listed)


def _number(value) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.1f}"


def enrollment_report(
    changes: EnrollmentChanges,
    fields: Sequence[tuple[str, str]],
    *,
    what: str,
    syear: int,
    through: dt.date,
    cap: int,
) -> JobResult:
    """The output of a job that refreshed ``fields`` (column, title) on enrollment records."""
    scope = f"school year {syear}, school days through {through:%Y-%m-%d}"
    if changes.updated == 0:
        summary = (
            f"Checked {changes.checked} enrollment record(s) ({scope}); {what} were already "
            "up to date, nothing changed."
        )
    else:
        summary = (
            f"Updated {what} on {changes.updated} of {changes.checked} enrollment record(s) "
            f"({scope})."
        )
    n = len(fields)
    lines = [summary]
    rows = []
    for row in changes.listed:
        enrollment_id, student_id, school_id = row[:3]
        old, new = row[3 : 3 + n], row[3 + n :]
        diffs = [
            (title, _number(o), _number(v))
            for (_, title), o, v in zip(fields, old, new, strict=True)
        ]
        rows.append(
            (
                student_id,
                school_id,
                enrollment_id,
                *(f"{o or '-'} -> {v}" if o != v else v for _, o, v in diffs),
            )
        )
        lines.append(
            f"  student {student_id}, school {school_id} (enrollment {enrollment_id}): "
            + "; ".join(f"{t} {o or '-'} -> {v}" for t, o, v in diffs if o != v)
        )
    return listed_result(
        summary,
        lines,
        ("Student", "School", "Enrollment", *(t for _, t in fields)),
        rows,
        total=changes.updated,
        cap=cap,
        counts={"checked": changes.checked, "updated": changes.updated},
    )


class AttendanceSummaryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed enrollments listed in the output"
    )


SUMMARY_FIELDS = (
    ("days_enrolled", "Days Enrolled"),
    ("days_present", "Days Present"),
    ("days_excused", "Days Excused"),
    ("days_unexcused", "Days Unexcused"),
)


class AttendanceSummaryCalculation(Job):
    key = "attendance_summary_calculation"
    title = "Attendance Summary Calculation"
    description = (
        "Totals each enrollment record's school days and daily attendance (attendance_day) into "
        "four fields of the record: Days Enrolled, Days Present, Days Excused, Days Unexcused. "
        "Rules: every enrollment record of the school year (primary and second "
        "school, active or ended) is summarised over the school days of its calendar from "
        "its start date through its end date (both included) or the day before the run "
        "date, whichever is earlier: today is left out because its attendance is still being "
        "taken. Days Enrolled counts those days. A half-day absence counts 0.5. An absence is "
        "excused when its attendance_day is marked excused, otherwise unexcused. Days Present "
        "is Days Enrolled less Days Excused and Days Unexcused, so a school day without an "
        "attendance_day record counts as present. Run it after Recalculate Daily Attendance."
    )
    module = "SIS"
    school_days_only_default = True
    title_template = "{title} for {syear}"
    default_schedule = DefaultSchedule(run_time="22:00", weekdays=WEEKDAYS)
    params_model = AttendanceSummaryParams

    def run(self, context: JobContext, params: AttendanceSummaryParams) -> JobResult:
        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was calculated.")
        syear, school_ids = resolved
        through = context.now().date() - dt.timedelta(days=1)
        changes = refresh_enrollment_fields(
            conn,
            SUMMARY_AGGREGATES,
            syear=syear,
            school_ids=school_ids,
            through=through,
            max_listed=params.max_listed,
        )
        return enrollment_report(
            changes,
            SUMMARY_FIELDS,
            what="attendance summaries",
            syear=syear,
            through=through,
            cap=params.max_listed,
        )
