"""What the hours jobs share: per schedule record, the minutes its section met and the minutes
the student attended, summed over windows of dates and written to schedule fields as hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.output import listed_result

# The school days of each schedule record in scope: the days of its student's enrollment
# calendar(s) at the section's school that fall inside both the schedule record's dates and
# the enrollment's (an open end runs to the end of the school year), one row per day. The
# period's absences (an excused or unexcused code on the section's period, for this section
# or for no section in particular) are joined on; every other day counts as attended.
_HOURS = """
SELECT s.id AS schedule_id, {fields}
FROM schedule s
LEFT JOIN (
    SELECT sd.schedule_id AS schedule_id, {sums}
    FROM (
        SELECT DISTINCT s2.id AS schedule_id, s2.student_id AS student_id,
               s2.course_period_id AS course_period_id, cp.period_id AS period_id,
               p.length_minutes AS minutes, c.school_date AS school_date
        FROM schedule s2
        JOIN course_periods cp ON cp.course_period_id = s2.course_period_id
        JOIN school_periods p ON p.period_id = cp.period_id
        JOIN school_years y ON y.syear = s2.syear
        JOIN student_enrollment e
          ON e.student_id = s2.student_id AND e.school_id = s2.school_id AND e.syear = s2.syear
        JOIN attendance_calendar c
          ON c.calendar_id = e.calendar_id
         AND c.school_date >= s2.start_date AND c.school_date >= e.start_date
         AND c.school_date <= COALESCE(s2.end_date, y.end_date)
         AND c.school_date <= COALESCE(e.end_date, y.end_date)
        WHERE s2.syear = :syear {filter_s2}
    ) sd
    LEFT JOIN (
        SELECT ap.student_id AS student_id, ap.school_date AS school_date,
               ap.period_id AS period_id, ap.course_period_id AS course_period_id
        FROM attendance_period ap
        JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
        WHERE ac.category IN ('excused', 'unexcused')
    ) ab
      ON ab.student_id = sd.student_id AND ab.school_date = sd.school_date
     AND ab.period_id = sd.period_id
     AND (ab.course_period_id IS NULL OR ab.course_period_id = sd.course_period_id)
    GROUP BY sd.schedule_id
) h ON h.schedule_id = s.id
WHERE s.syear = :syear {filter_s} AND {covered}
"""

# A schedule record is worked out only when an enrollment of its student at its school
# overlaps its dates; the others are listed as skipped.
_COVERED = """EXISTS (
    SELECT 1 FROM student_enrollment e3 JOIN school_years y3 ON y3.syear = e3.syear
    WHERE e3.student_id = {s}.student_id AND e3.school_id = {s}.school_id
      AND e3.syear = {s}.syear
      AND e3.start_date <= COALESCE({s}.end_date, y3.end_date)
      AND COALESCE(e3.end_date, y3.end_date) >= {s}.start_date)"""


@dataclass(frozen=True)
class HoursField:
    """A schedule field in hours: the minutes of the days from ``start`` to ``end`` (bind
    parameter names, None for no bound), attended minutes only when ``attended``."""

    column: str
    title: str
    start: str | None = None
    end: str | None = None
    attended: bool = False
    also_end: str | None = None  # a second upper bound (attended fields stop at :through)

    def minutes_sql(self) -> str:
        conditions = []
        if self.start:
            conditions.append(f"sd.school_date >= :{self.start}")
        for bound in (self.end, self.also_end):
            if bound:
                conditions.append(f"sd.school_date <= :{bound}")
        if self.attended:
            conditions.append("ab.student_id IS NULL")
        when = " AND ".join(conditions) or "1 = 1"
        return f"SUM(CASE WHEN {when} THEN sd.minutes ELSE 0 END)"


@dataclass(frozen=True)
class HoursChanges:
    """What a refresh of schedule hours did: records checked and updated, the first changed
    ones, and the records skipped for want of an enrollment."""

    checked: int
    updated: int
    listed: list[tuple]
    skipped: int
    skipped_listed: list[tuple]


def _scope(alias: str, school_ids: Sequence[int] | None, active_on: bool, extra: str) -> str:
    from job_library.sis_sql import in_list

    parts = [in_list(f"{alias}.school_id", "school_ids", school_ids)]
    if active_on:
        parts.append(
            f"AND {alias}.start_date <= :today "
            f"AND ({alias}.end_date IS NULL OR {alias}.end_date >= :today)"
        )
    if extra:
        parts.append("AND " + extra.format(s=alias))
    return " ".join(p for p in parts if p)


def refresh_schedule_hours(
    conn: sa.Connection,
    fields: Sequence[HoursField],
    binds: Mapping[str, object],
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    active_on: dt.date | None,
    max_listed: int,
    extra_scope: str = "",
) -> HoursChanges:
    """Set ``fields`` on every schedule record of ``syear`` in scope where they differ.

    :param binds: the date bounds the fields name.
    :param active_on: only the schedule records open on this date (None: all of the year).
    :param extra_scope: a further condition on a schedule record ``{s}``.
    """
    from job_library.schemas.scheduling import schedule
    from job_library.sis_sql import analyze, bind_lists, first_rows, scratch_table

    names = [f.column for f in fields]
    temp = scratch_table(
        conn,
        "tmp_schedule_hours",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            *(sa.Column(n, sa.Numeric(7, 2)) for n in names),
        ],
    )
    active = active_on is not None
    sql = _HOURS.format(
        fields=", ".join(f"ROUND(COALESCE(h.{n}, 0) / 60.0, 2) AS {n}" for n in names),
        sums=", ".join(f"{f.minutes_sql()} AS {f.column}" for f in fields),
        filter_s2=_scope("s2", school_ids, active, extra_scope),
        filter_s=_scope("s", school_ids, active, extra_scope),
        covered=_COVERED.format(s="s"),
    )
    values = {"syear": syear, **binds}
    if active:
        values["today"] = active_on
    insert = sa.text(f"INSERT INTO {temp.name} (schedule_id, {', '.join(names)}) {sql}")
    conn.execute(bind_lists(insert, school_ids=school_ids), values)
    analyze(conn, temp)

    s = schedule
    keys = s.c.id == temp.c.schedule_id
    differs = sa.or_(*(s.c[n].is_distinct_from(temp.c[n]) for n in names))
    query = (
        sa.select(
            s.c.id,
            s.c.student_id,
            s.c.course_period_id,
            *(s.c[n] for n in names),
            *(temp.c[n] for n in names),
        )
        .where(keys, differs)
        .order_by(s.c.school_id, s.c.student_id, s.c.id)
    )
    listed = first_rows(conn, query, max_listed)
    updated = conn.execute(
        sa.update(s).where(keys).where(differs).values({n: temp.c[n] for n in names})
    ).rowcount
    checked = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    temp.drop(conn)

    skipped_where = (
        f"s.syear = :syear {_scope('s', school_ids, active, extra_scope)} "
        f"AND NOT {_COVERED.format(s='s')}"
    )
    skipped_sql = sa.text(
        f"SELECT s.id, s.student_id, s.course_period_id FROM schedule s WHERE {skipped_where} "
        "ORDER BY s.school_id, s.student_id, s.id"
    )
    count_sql = sa.text(f"SELECT COUNT(*) FROM schedule s WHERE {skipped_where}")
    skip_values = {k: v for k, v in values.items() if k in ("syear", "today")}
    skipped = conn.execute(bind_lists(count_sql, school_ids=school_ids), skip_values).scalar_one()
    skipped_listed = []
    if skipped and max_listed:
        skipped_listed = [
            tuple(r)
            for r in conn.execute(
                bind_lists(sa.text(skipped_sql.text + " LIMIT :cap"), school_ids=school_ids),
                {**skip_values, "cap": max_listed},
            )
        ]
    return HoursChanges(checked, updated, listed, skipped, skipped_listed)


def _hours(value) -> str:
    if value is None:
        return "-"
    return f"{float(value):.2f}"


def hours_report(
    changes: HoursChanges,
    fields: Sequence[HoursField],
    *,
    what: str,
    scope: str,
    cap: int,
) -> JobResult:
    """The output of a job that refreshed hours ``fields`` on schedule records."""
    if changes.updated == 0:
        summary = (
            f"Checked {changes.checked} schedule record(s) ({scope}); {what} were already up "
            "to date, nothing changed."
        )
    else:
        summary = (
            f"Updated {what} on {changes.updated} of {changes.checked} schedule record(s) "
            f"({scope})."
        )
    if changes.skipped:
        summary += (
            f" Skipped {changes.skipped} schedule record(s) that no enrollment of the student "
            "at the section's school covers."
        )
    n = len(fields)
    lines = [summary]
    rows = []
    for row in changes.listed:
        schedule_id, student_id, section_id = row[:3]
        old, new = row[3 : 3 + n], row[3 + n :]
        diffs = [(f.title, _hours(o), _hours(v)) for f, o, v in zip(fields, old, new, strict=True)]
        rows.append(
            (
                student_id,
                section_id,
                schedule_id,
                *(f"{o} -> {v}" if o != v else v for _, o, v in diffs),
            )
        )
        lines.append(
            f"  student {student_id}, section {section_id} (schedule {schedule_id}): "
            + "; ".join(f"{t} {o} -> {v}" for t, o, v in diffs if o != v)
        )
    for schedule_id, student_id, section_id in changes.skipped_listed:
        lines.append(
            f"  skipped: student {student_id}, section {section_id} (schedule {schedule_id}): "
            "no enrollment of the student at the section's school covers the schedule dates; "
            "fix the enrollment or the schedule record."
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Section", "Schedule", *(f.title for f in fields)),
        rows,
        total=changes.updated,
        cap=cap,
        counts={
            "checked": changes.checked,
            "updated": changes.updated,
            "skipped": changes.skipped,
        },
    )
