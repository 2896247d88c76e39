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
from job_library.sis_params import SchoolYear

# Per enrollment of the year: its school days from its start date through its end date or
# :through, whichever is earlier ("span"), and sums over its absent days (attendance_day
# below 1.0 on a school day of its calendar in that span). A day without a record counts as
# present, so only the absent days (a few per cent) are read, not every school day. Most
# enrollments share a span (calendar, first day, last day): school days are counted once per
# span. Daily attendance belongs to the student, so a second-school enrollment sees the same
# absences on the days it covers.
_LAST_DAY = "CASE WHEN {e}.end_date < :through THEN {e}.end_date ELSE :through END"
_ENROLLMENT_DAYS = """
SELECT e.id AS enrollment_id, {fields}
FROM student_enrollment e
JOIN (
    SELECT u.calendar_id AS calendar_id, u.start_date AS start_date, u.last_day AS last_day,
           COUNT(c.school_date) AS days
    FROM (
        SELECT DISTINCT s.calendar_id AS calendar_id, s.start_date AS start_date,
               {last_day_s} AS last_day
        FROM student_enrollment s
        WHERE s.syear = :syear {school_filter_s}
    ) u
    LEFT JOIN attendance_calendar c
      ON c.calendar_id = u.calendar_id
     AND c.school_date >= u.start_date
     AND c.school_date <= u.last_day
    GROUP BY u.calendar_id, u.start_date, u.last_day
) d ON d.calendar_id = e.calendar_id AND d.start_date = e.start_date
   AND d.last_day = {last_day_e}
LEFT JOIN (
    SELECT x.id AS enrollment_id, {sums}
    FROM attendance_day ad
    JOIN student_enrollment x
      ON x.student_id = ad.student_id
     AND ad.school_date >= x.start_date
     AND ad.school_date <= {last_day_x}
    WHERE ad.state_value < 1
      AND x.syear = :syear {school_filter_x}
      AND EXISTS (SELECT 1 FROM attendance_calendar c
                  WHERE c.calendar_id = x.calendar_id AND c.school_date = ad.school_date)
    GROUP BY x.id
) a ON a.enrollment_id = e.id
WHERE e.syear = :syear {school_filter_e}
"""


@dataclass(frozen=True)
class EnrollmentTotals:
    """Enrollment fields computed from attendance: ``sums`` over each enrollment's absent
    days (SQL aggregates over ``ad``, an attendance_day row below 1.0) and ``fields``, each
    an expression of ``d.days`` (its school days) and ``a.<sum>`` (NULL without absences)."""

    sums: Mapping[str, str]
    fields: Mapping[str, str]


SUMMARY_TOTALS = EnrollmentTotals(
    sums={
        "absent": "SUM(1 - ad.state_value)",
        "excused": "SUM(CASE WHEN ad.absence_type = 'excused' THEN 1 - ad.state_value ELSE 0 END)",
    },
    fields={
        "days_enrolled": "d.days",
        "days_present": "d.days - COALESCE(a.absent, 0)",
        "days_excused": "COALESCE(a.excused, 0)",
        "days_unexcused": "COALESCE(a.absent, 0) - COALESCE(a.excused, 0)",
    },
)


def enrollment_days_sql(
    totals: EnrollmentTotals, school_ids: Sequence[int] | None, prefix: str = ""
) -> sa.TextClause:
    """Per enrollment of ``:syear`` (at ``school_ids``, or all), the ``totals`` fields over its
    school days through ``:through``, after ``prefix`` (such as an INSERT INTO)."""
    from job_library.sis_sql import bind_lists, in_list

    sql = _ENROLLMENT_DAYS.format(
        fields=", ".join(f"{expr} AS {name}" for name, expr in totals.fields.items()),
        sums=", ".join(f"{expr} AS {name}" for name, expr in totals.sums.items()),
        **{f"last_day_{alias}": _LAST_DAY.format(e=alias) for alias in ("s", "e", "x")},
        **{
            f"school_filter_{alias}": in_list(f"{alias}.school_id", "school_ids", school_ids)
            for alias in ("s", "e", "x")
        },
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
    totals: EnrollmentTotals,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    max_listed: int,
) -> EnrollmentChanges:
    """Set the ``totals`` fields of every enrollment of ``syear`` where they differ."""
    from job_library.schemas.enrollment import student_enrollment
    from job_library.sis_sql import analyze, first_rows, scratch_table

    fields = list(totals.fields)
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
        enrollment_days_sql(totals, school_ids, insert),
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
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was calculated.")
        syear, school_ids = resolved
        through = context.now().date() - dt.timedelta(days=1)
        changes = refresh_enrollment_fields(
            conn,
            SUMMARY_TOTALS,
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
