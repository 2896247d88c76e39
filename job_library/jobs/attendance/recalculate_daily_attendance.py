"""Recalculate Daily Attendance: attendance_day from period attendance, for chosen schools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

DAILY_COLUMNS = (
    "student_id",
    "school_date",
    "syear",
    "school_id",
    "minutes_present",
    "state_value",
    "absence_type",
    "disciplinary",
)
_KEY = ("student_id", "school_date")
_VALUES = tuple(c for c in DAILY_COLUMNS if c not in _KEY)

# Present minutes = the school's attendance-period minutes less the minutes of periods marked
# with an excused or unexcused code (a tardy is present). The day is a full day present at
# the school's full-day minutes, a half day at its half-day minutes (both capped at the
# length of the school day), else absent. One primary enrollment owns each student-day: the
# one that started last when two overlap.
_DAILY_SELECT = """
SELECT e.student_id AS student_id,
       c.school_date AS school_date,
       e.syear AS syear,
       e.school_id AS school_id,
       d.day_minutes - COALESCE(a.absent_minutes, 0) AS minutes_present,
       CASE WHEN d.day_minutes - COALESCE(a.absent_minutes, 0) >= d.full_minutes THEN 1.0
            WHEN d.day_minutes - COALESCE(a.absent_minutes, 0) >= d.half_minutes THEN 0.5
            ELSE 0.0 END AS state_value,
       CASE WHEN d.day_minutes - COALESCE(a.absent_minutes, 0) >= d.full_minutes THEN NULL
            WHEN a.unexcused_periods > 0 THEN 'unexcused'
            ELSE 'excused' END AS absence_type,
       CASE WHEN d.day_minutes - COALESCE(a.absent_minutes, 0) < d.full_minutes
             AND a.disciplinary_periods > 0 THEN TRUE ELSE FALSE END AS disciplinary
FROM student_enrollment e
JOIN attendance_calendar c
  ON c.calendar_id = e.calendar_id
 AND c.school_date >= e.start_date
 AND (e.end_date IS NULL OR c.school_date <= e.end_date)
JOIN (
    SELECT p.school_id AS school_id,
           p.syear AS syear,
           SUM(p.length_minutes) AS day_minutes,
           CASE WHEN s.full_day_minutes < SUM(p.length_minutes) THEN s.full_day_minutes
                ELSE SUM(p.length_minutes) END AS full_minutes,
           CASE WHEN s.half_day_minutes < SUM(p.length_minutes) THEN s.half_day_minutes
                ELSE SUM(p.length_minutes) END AS half_minutes
    FROM school_periods p
    JOIN schools s ON s.school_id = p.school_id
    WHERE p.attendance = TRUE
    GROUP BY p.school_id, p.syear, s.full_day_minutes, s.half_day_minutes
) d ON d.school_id = e.school_id AND d.syear = e.syear
LEFT JOIN (
    SELECT ap.student_id AS student_id,
           ap.school_date AS school_date,
           p.school_id AS school_id,
           SUM(p.length_minutes) AS absent_minutes,
           SUM(CASE WHEN ac.category = 'unexcused' THEN 1 ELSE 0 END) AS unexcused_periods,
           SUM(CASE WHEN ac.disciplinary = TRUE THEN 1 ELSE 0 END) AS disciplinary_periods
    FROM attendance_period ap
    JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
    JOIN school_periods p ON p.period_id = ap.period_id
    WHERE ap.school_date BETWEEN :first_day AND :last_day
      AND p.attendance = TRUE
      AND ac.category IN ('excused', 'unexcused')
    GROUP BY ap.student_id, ap.school_date, p.school_id
) a ON a.student_id = e.student_id AND a.school_date = c.school_date
   AND a.school_id = e.school_id
WHERE e.second_school = FALSE
  AND c.school_date BETWEEN :first_day AND :last_day
  {school_filter}
  AND NOT EXISTS (
    SELECT 1 FROM student_enrollment o
    WHERE o.student_id = e.student_id
      AND o.second_school = FALSE
      AND o.id <> e.id
      AND o.start_date <= c.school_date
      AND (o.end_date IS NULL OR o.end_date >= c.school_date)
      AND (o.start_date > e.start_date OR (o.start_date = e.start_date AND o.id > e.id))
  )
"""


def _with_binds(sql: str, school_ids: Sequence[int] | None) -> sa.TextClause:
    from job_library.sis_sql import bind_lists

    clause = sa.text(sql).bindparams(
        sa.bindparam("first_day", type_=sa.Date),
        sa.bindparam("last_day", type_=sa.Date),
    )
    clause = bind_lists(clause, school_ids=school_ids)
    return clause


def _daily_select(school_ids: Sequence[int] | None) -> str:
    from job_library.sis_sql import in_list

    school_filter = in_list("e.school_id", "school_ids", school_ids)
    return _DAILY_SELECT.format(school_filter=school_filter)


def daily_attendance_sql(school_ids: Sequence[int] | None, prefix: str = "") -> sa.TextClause:
    """The SELECT of every student-day's daily attendance between ``:first_day`` and
    ``:last_day`` (bound by the caller) for primary enrollments at ``school_ids`` (all schools
    when None), its columns ``DAILY_COLUMNS``, after ``prefix`` (such as an INSERT INTO).
    """
    return _with_binds(prefix + _daily_select(school_ids), school_ids)


class RecalculateDailyAttendanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to recalculate; leave empty for every school.",
    )
    past_days: int = Field(
        default=7,
        ge=0,
        le=366,
        title="Number of past days",
        description="Recalculates today and this many days before it.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed days listed in the output")


class RecalculateDailyAttendance(Job):
    key = "recalculate_daily_attendance"
    title = "Recalculate Daily Attendance"
    description = (
        "Recalculates daily attendance on a schedule: what the Recalculate Daily Attendance tab of "
        "Attendance Setup does by hand. The job names the schools and how many past days to look "
        "back over. Rules: every school day of a student's primary enrollment from today "
        "back the given number of days gets one attendance_day record. Present minutes are "
        "the school's attendance-period minutes less periods marked with an excused or "
        "unexcused code (a tardy is present; a period without a record is present). A day is "
        "1.0 at the school's full-day minutes, 0.5 at its half-day minutes, else 0.0; a "
        "partial or full absence is unexcused when any absent period was unexcused, and "
        "disciplinary when any was a suspension. Records in the window for students no "
        "longer enrolled that day, or for days no longer on the calendar, are deleted. "
        "Second-school enrollments take no daily attendance."
    )
    module = "SIS"
    school_days_only_default = True
    params_model = RecalculateDailyAttendanceParams

    def run(self, context: JobContext, params: RecalculateDailyAttendanceParams) -> JobResult:
        from job_library.schemas.district import schools

        conn = context.connection
        today = context.now().date()
        first = today - dt.timedelta(days=params.past_days)
        school_ids = sorted(set(params.schools)) or None
        if school_ids is not None:
            known = set(
                conn.execute(
                    sa.select(schools.c.school_id).where(schools.c.school_id.in_(school_ids))
                ).scalars()
            )
            unknown = [s for s in school_ids if s not in known]
            if unknown:
                return JobResult.message(
                    False,
                    f"schools {unknown}: no such school id; nothing was recalculated "
                    "(see the Schools list for valid ids).",
                )
        changes = recalculate(conn, school_ids, first, today, params.max_listed)
        return _report(changes, school_ids, first, today, params.max_listed)


@dataclass(frozen=True)
class DailyChanges:
    """What a recalculation did, with the first changed student-days for the output."""

    computed: int
    inserted: int
    updated: int
    deleted: int
    listed: list[tuple]


_COMPARE = """
INSERT INTO {temp} ({columns}, old_school_id, old_minutes, old_state, old_type, change)
SELECT COALESCE(c.student_id, x.student_id), COALESCE(c.school_date, x.school_date),
       c.syear, c.school_id, c.minutes_present, c.state_value, c.absence_type, c.disciplinary,
       x.school_id, x.minutes_present, x.state_value, x.absence_type,
       CASE WHEN x.student_id IS NULL THEN 'added'
            WHEN c.student_id IS NULL THEN 'removed'
            WHEN {differs} THEN 'updated' END
FROM ({computed}) c
FULL JOIN (
    SELECT * FROM attendance_day WHERE school_date BETWEEN :first_day AND :last_day
) x ON x.student_id = c.student_id AND x.school_date = c.school_date
{removable}
"""


def recalculate(
    conn: sa.Connection,
    school_ids: Sequence[int] | None,
    first: dt.date,
    last: dt.date,
    max_listed: int,
) -> DailyChanges:
    """Bring attendance_day between ``first`` and ``last`` in line with period attendance.

    One pass joins the calculated days with the recorded ones into a staging table marked
    added / updated / removed; the writes then touch only the marked rows.
    """
    from job_library.schemas.attendance import attendance_day
    from job_library.sis_sql import analyze, first_rows, scratch_table

    temp = scratch_table(
        conn,
        "tmp_daily_attendance",
        [
            *(sa.Column(c.name, c.type) for c in attendance_day.columns),
            sa.Column("old_school_id", sa.Integer),
            sa.Column("old_minutes", sa.Integer),
            sa.Column("old_state", attendance_day.c.state_value.type),
            sa.Column("old_type", attendance_day.c.absence_type.type),
            sa.Column("change", sa.String(10)),
        ],
    )
    distinct = "IS NOT" if conn.dialect.name == "sqlite" else "IS DISTINCT FROM"
    # A recorded day with no calculated one is removed only at the chosen schools.
    removable = (
        "" if school_ids is None else "WHERE c.student_id IS NOT NULL OR x.school_id IN :school_ids"
    )
    sql = _COMPARE.format(
        temp=temp.name,
        columns=", ".join(DAILY_COLUMNS),
        differs=" OR ".join(f"c.{v} {distinct} x.{v}" for v in _VALUES),
        computed=_daily_select(school_ids),
        removable=removable,
    )
    conn.execute(_with_binds(sql, school_ids), {"first_day": first, "last_day": last})
    analyze(conn, temp)

    counts = dict(
        conn.execute(sa.select(temp.c.change, sa.func.count()).group_by(temp.c.change)).all()
    )
    query = (
        sa.select(
            temp.c.student_id,
            temp.c.school_date,
            sa.func.coalesce(temp.c.school_id, temp.c.old_school_id),
            temp.c.change,
            temp.c.old_state,
            temp.c.state_value,
            temp.c.old_type,
            temp.c.absence_type,
            temp.c.old_minutes,
            temp.c.minutes_present,
        )
        .where(temp.c.change.is_not(None))
        .order_by(temp.c.school_date, temp.c.student_id)
    )
    listed = first_rows(conn, query, max_listed)

    ad = attendance_day
    keys = sa.and_(*(ad.c[k] == temp.c[k] for k in _KEY))
    deleted = conn.execute(
        sa.delete(ad).where(sa.exists().where(keys, temp.c.change == "removed"))
    ).rowcount
    updated = conn.execute(
        sa.update(ad)
        .where(keys, temp.c.change == "updated")
        .values({v: temp.c[v] for v in _VALUES})
    ).rowcount
    inserted = conn.execute(
        sa.insert(ad).from_select(
            list(DAILY_COLUMNS),
            sa.select(*(temp.c[c] for c in DAILY_COLUMNS)).where(temp.c.change == "added"),
        )
    ).rowcount
    temp.drop(conn)
    computed_days = sum(n for change, n in counts.items() if change != "removed")
    return DailyChanges(computed_days, inserted, updated, deleted, listed)


def _state(value) -> str:
    return "" if value is None else f"{float(value):.1f}"


def _report(
    changes: DailyChanges,
    school_ids: Sequence[int] | None,
    first: dt.date,
    last: dt.date,
    cap: int,
) -> JobResult:
    where = "every school" if school_ids is None else f"school(s) {', '.join(map(str, school_ids))}"
    total = changes.inserted + changes.updated + changes.deleted
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if total == 0:
        summary = (
            f"Checked {changes.computed} student-day(s) at {where}, {span}; daily attendance "
            "was already up to date, nothing changed."
        )
    else:
        summary = (
            f"Recalculated daily attendance at {where}, {span}: {changes.inserted} added, "
            f"{changes.updated} updated, {changes.deleted} removed of "
            f"{changes.computed} student-day(s)."
        )
    lines = [summary]
    rows = []
    for student, day, school, action, old_s, new_s, old_t, new_t, old_m, new_m in changes.listed:
        rows.append(
            (
                student,
                day,
                school,
                action,
                _state(old_s),
                _state(new_s),
                old_t or "",
                new_t or "",
                "" if old_m is None else old_m,
                "" if new_m is None else new_m,
            )
        )
        lines.append(
            f"  student {student} {day}: {action}, state {_state(old_s) or '-'} -> "
            f"{_state(new_s) or '-'}, minutes {old_m if old_m is not None else '-'} -> "
            f"{new_m if new_m is not None else '-'}"
        )
    return listed_result(
        summary,
        lines,
        (
            "Student",
            "Date",
            "School",
            "Change",
            "State before",
            "State after",
            "Absence before",
            "Absence after",
            "Minutes before",
            "Minutes after",
        ),
        rows,
        total=total,
        cap=cap,
        counts={
            "student_days": changes.computed,
            "added": changes.inserted,
            "updated": changes.updated,
            "removed": changes.deleted,
        },
    )
