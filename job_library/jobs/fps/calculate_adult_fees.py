"""Calculate Adult Fees (FPS): adult fee status first and second on schedule records."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table, listed_result
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

# The coded, active deferrals of each course's fee lines on live invoices, in the order
# they were made: the first gives the first status, the second the second.
_TARGETS = """
WITH ranked AS (
  SELECT l.schedule_id, f.fee_status_code,
    ROW_NUMBER() OVER (PARTITION BY l.schedule_id
                       ORDER BY f.deferred_on, f.deferral_id) AS n
  FROM deferrals f
  JOIN invoice_lines l ON l.line_id = f.line_id
  JOIN invoices i ON i.invoice_id = f.invoice_id
  WHERE f.active = TRUE AND f.fee_status_code IS NOT NULL AND l.schedule_id IS NOT NULL
    AND i.status <> 'voided' AND i.deleted = FALSE
)
INSERT INTO {temp} (schedule_id, old_first, old_second, new_first, new_second)
SELECT s.id, s.adult_fee_status_first, s.adult_fee_status_second,
  CASE WHEN COALESCE(s.cost_reporting_code, p.cost_code) IN ('371', '372') THEN 'K'
       ELSE (SELECT r.fee_status_code FROM ranked r WHERE r.schedule_id = s.id AND r.n = 1)
  END,
  CASE WHEN COALESCE(s.cost_reporting_code, p.cost_code) IN ('371', '372') THEN NULL
       ELSE (SELECT r.fee_status_code FROM ranked r WHERE r.schedule_id = s.id AND r.n = 2)
  END
FROM schedule s
JOIN schools sc ON sc.school_id = s.school_id AND sc.adult_ed = TRUE
JOIN courses c ON c.course_id = s.course_id
LEFT JOIN fps_programs p ON p.program_number = c.program_number
WHERE s.syear = :syear {schools}
  AND (COALESCE(s.cost_reporting_code, p.cost_code) IN ('371', '372')
       OR EXISTS (SELECT 1 FROM invoice_lines l JOIN invoices i ON i.invoice_id = l.invoice_id
                  WHERE l.schedule_id = s.id AND i.status <> 'voided' AND i.deleted = FALSE))
"""


class AdultFeesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        json_schema_extra={"x-focus-lookup": "schools"},
        description="Only these adult schools; empty: every adult school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Records listed")


@dataclass(frozen=True)
class FeeStatuses:
    """Schedule records changed, and the deferrals that carry no status code."""

    changed: int
    listed: list[tuple]
    uncoded: list[tuple]
    uncoded_total: int


class CalculateAdultFees(Job):
    key = "calculate_adult_fees"
    title = "Calculate Adult Fees"
    description = (
        "Writes the state's adult fee status, first and second, on adult schools' schedule "
        "records from the course fees deferred at the Point of Sale. Rules: a record whose "
        "cost reporting code (its own, or else its course's program's) is 371 or 372 gets "
        "status K first and nothing second. Otherwise, for a record with a fee line on a "
        "live invoice (not voided, not deleted), the active deferrals of its fee lines are "
        "taken in the order they were made: the first one's fee status code becomes the "
        "first status, the second one's the second, and a status with no deferral to give "
        "it is emptied. Records with neither are left as they are. Active deferrals with "
        "no fee status code are skipped and listed. Each changed record is audited."
    )
    module = "FPS"
    needs_add_ons = frozenset({AddOn.FPS})
    needs_state = "FL"  # the adult fee status and cost reporting codes are Florida's
    params_model = AdultFeesParams
    default_schedule = DefaultSchedule(run_time="21:30")

    def run(self, context: JobContext, params: AdultFeesParams) -> JobResult:
        from job_library.finance_audit import actor_of
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved)
        syear, school_ids = resolved
        actor = actor_of(context, self.key)
        statuses = set_fee_statuses(conn, actor, syear, school_ids, params.max_listed)
        return _report(statuses, syear, params.max_listed)


def set_fee_statuses(
    conn: sa.Connection, actor, syear: int, school_ids: list[int] | None, max_listed: int
) -> FeeStatuses:
    """Set adult_fee_status_first/second on every adult schedule record they differ on."""
    from job_library.finance_audit import json_object, record_audit
    from job_library.schemas.enrollment import students
    from job_library.schemas.finance import deferrals, invoice_lines, invoices
    from job_library.schemas.scheduling import courses, schedule
    from job_library.sis_sql import (
        analyze,
        bind_lists,
        differs_sql,
        first_rows,
        in_list,
        scratch_table,
    )

    code = sa.String(1)
    temp = scratch_table(
        conn,
        "tmp_adult_fee_status",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("old_first", code),
            sa.Column("old_second", code),
            sa.Column("new_first", code),
            sa.Column("new_second", code),
        ],
    )
    targets = sa.text(
        _TARGETS.format(temp=temp.name, schools=in_list("s.school_id", "schools", school_ids))
    ).bindparams(syear=syear)
    conn.execute(bind_lists(targets, schools=school_ids))
    same = (
        f"NOT {differs_sql(conn, 'old_first', 'new_first')} "
        f"AND NOT {differs_sql(conn, 'old_second', 'new_second')}"
    )
    conn.execute(sa.text(f"DELETE FROM {temp.name} WHERE {same}"))
    analyze(conn, temp)

    s, st, c = schedule, students, courses
    listed = first_rows(
        conn,
        sa.select(
            s.c.student_id,
            st.c.last_name,
            st.c.first_name,
            c.c.title,
            temp.c.old_first,
            temp.c.old_second,
            temp.c.new_first,
            temp.c.new_second,
        )
        .join(s, s.c.id == temp.c.schedule_id)
        .join(st, st.c.student_id == s.c.student_id)
        .join(c, c.c.course_id == s.c.course_id)
        .order_by(s.c.student_id, temp.c.schedule_id),
        max_listed,
    )
    record_audit(
        conn,
        actor,
        table="schedule",
        change="update",
        rows=sa.select(
            temp.c.schedule_id,
            json_object(
                conn,
                adult_fee_status_first=temp.c.old_first,
                adult_fee_status_second=temp.c.old_second,
            ),
            json_object(
                conn,
                adult_fee_status_first=temp.c.new_first,
                adult_fee_status_second=temp.c.new_second,
            ),
        ),
    )

    def new(column):
        return sa.select(column).where(temp.c.schedule_id == s.c.id).scalar_subquery()

    changed = conn.execute(
        sa.update(s)
        .where(s.c.id.in_(sa.select(temp.c.schedule_id)))
        .values(
            adult_fee_status_first=new(temp.c.new_first),
            adult_fee_status_second=new(temp.c.new_second),
        )
    ).rowcount
    temp.drop(conn)

    f, line, inv = deferrals, invoice_lines, invoices
    uncoded_query = (
        sa.select(f.c.deferral_id, inv.c.invoice_number, s.c.student_id, c.c.title)
        .join(line, line.c.line_id == f.c.line_id)
        .join(inv, inv.c.invoice_id == f.c.invoice_id)
        .join(s, s.c.id == line.c.schedule_id)
        .join(c, c.c.course_id == s.c.course_id)
        .where(
            f.c.active == sa.true(),
            f.c.fee_status_code.is_(None),
            inv.c.status != "voided",
            inv.c.deleted == sa.false(),
            s.c.syear == syear,
        )
        .order_by(f.c.deferral_id)
    )
    if school_ids is not None:
        uncoded_query = uncoded_query.where(s.c.school_id.in_(school_ids))
    uncoded = first_rows(conn, uncoded_query, max_listed)
    uncoded_total = conn.execute(
        sa.select(sa.func.count()).select_from(uncoded_query.subquery())
    ).scalar_one()
    return FeeStatuses(changed, listed, uncoded, uncoded_total)


def _report(statuses: FeeStatuses, syear: int, cap: int) -> JobResult:
    if statuses.changed:
        summary = f"Set the adult fee status of {statuses.changed} schedule record(s) of {syear}."
    else:
        summary = f"The adult fee status of every schedule record of {syear} was already right."
    if statuses.uncoded_total:
        summary += (
            f" {statuses.uncoded_total} active deferral(s) have no fee status code and were "
            "not used."
        )
    lines = [summary]
    rows = []
    for student, last, first, course, of, os_, nf, ns in statuses.listed:
        before, after = f"{of or '-'}/{os_ or '-'}", f"{nf or '-'}/{ns or '-'}"
        rows.append((student, f"{last}, {first}", course, before, after))
        lines.append(
            f"  student {student} ({last}, {first}), {course}: first/second {before} -> {after}"
        )
    for deferral, number, student, course in statuses.uncoded:
        lines.append(
            f"  deferral {deferral} on invoice {number} (student {student}, {course}): no fee "
            "status code; set one on the deferral"
        )
    result = listed_result(
        summary,
        lines,
        ("Student", "Name", "Course", "First/second before", "First/second after"),
        rows,
        total=statuses.changed,
        cap=cap,
        counts={"updated": statuses.changed, "uncoded_deferrals": statuses.uncoded_total},
    )
    if not statuses.uncoded:
        return result
    extra = html_table(("Deferral", "Invoice", "Student", "Course"), statuses.uncoded)
    return JobResult(
        result.success, result.summary, result.text, result.html + extra, result.counts
    )
