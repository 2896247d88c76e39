"""Database Object Report (ERP): position allocations whose dates do not fit their position."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# An allocation fits its position when it starts on or after the position's start and, for a
# position that ends, ends on or before that end (an open allocation does not fit a position
# that ends). An allocation ending before it starts is wrong whatever the position says.
_MISMATCH = """
FROM hr_position_allocations a
JOIN hr_positions p ON p.position_id = a.position_id
JOIN employees e ON e.employee_id = a.employee_id
WHERE ({include_ended} OR a.end_date IS NULL OR a.end_date >= :today)
  AND (a.start_date < p.start_date
       OR (p.end_date IS NOT NULL AND (a.end_date IS NULL OR a.end_date > p.end_date))
       OR a.end_date < a.start_date)
"""


class DatabaseObjectReportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_ended: bool = Field(
        default=False,
        title="Include ended allocations",
        description="Also report allocations whose end date has already passed.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Allocations listed")


def _reasons(a_start, a_end, p_start, p_end) -> str:
    reasons = []
    if a_end is not None and a_end < a_start:
        reasons.append(f"allocation ends {a_end} before it starts {a_start}")
    if a_start < p_start:
        reasons.append(f"starts {a_start}, before the position starts {p_start}")
    if p_end is not None and a_end is None:
        reasons.append(f"has no end date, but the position ends {p_end}")
    elif p_end is not None and a_end > p_end:
        reasons.append(f"ends {a_end}, after the position ends {p_end}")
    return "; ".join(reasons)


def find_mismatches(context: JobContext, params: DatabaseObjectReportParams) -> JobResult:
    conn = context.connection
    include = "TRUE" if params.include_ended else "FALSE"
    sql = _MISMATCH.format(include_ended=include)
    bind = {"today": context.now().date()}
    today = sa.bindparam("today", type_=sa.Date)
    found = conn.execute(sa.text(f"SELECT COUNT(*) {sql}").bindparams(today), bind).scalar_one()
    checked = conn.execute(
        sa.text(
            "SELECT COUNT(*) FROM hr_position_allocations a "
            f"WHERE ({include} OR a.end_date IS NULL OR a.end_date >= :today)"
        ).bindparams(today),
        bind,
    ).scalar_one()
    rows = conn.execute(
        sa.text(
            "SELECT a.allocation_id, p.number, p.title, e.last_name, e.first_name, "
            f"a.start_date, a.end_date, p.start_date, p.end_date {sql} "
            "ORDER BY p.number, a.allocation_id LIMIT :cap"
        ).bindparams(
            today,
            sa.bindparam("cap", type_=sa.Integer),
        ),
        {**bind, "cap": params.max_listed},
    ).all()
    typed = sa.Date()
    to_date = typed.result_processor(conn.dialect, None) or (lambda v: v)
    summary = (
        f"Checked {checked} position allocation(s): {found} have dates that do not match "
        "their position."
    )
    lines = [summary]
    table = []
    for alloc, number, title, last, first, a_start, a_end, p_start, p_end in rows:
        a_start, a_end, p_start, p_end = (to_date(v) for v in (a_start, a_end, p_start, p_end))
        why = _reasons(a_start, a_end, p_start, p_end)
        table.append((alloc, f"{number} {title}", f"{last}, {first}", a_start, a_end, why))
        lines.append(f"  allocation {alloc} ({last}, {first}, position {number}): {why}")
    return listed_result(
        summary,
        lines,
        ("Allocation", "Position", "Employee", "Starts", "Ends", "Mismatch"),
        table,
        total=found,
        cap=params.max_listed,
        counts={"checked": checked, "mismatched": found},
    )


class DatabaseObjectReport(Job):
    key = "database_object_report"
    title = "Database Object Report"
    module = "ERP"
    description = (
        "Lists the staff position allocations whose dates disagree with the position they "
        "belong to, so HR can correct them; it changes nothing. Rules: an allocation agrees "
        "when it starts on or after the position's start date and, when the position has an "
        "end date, ends on or before it (an allocation without an end date under a position "
        "that ends is reported). An allocation whose end precedes its start is reported as "
        "well. Allocations that have already ended are left out unless the job asks for them."
    )
    params_model = DatabaseObjectReportParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: DatabaseObjectReportParams) -> JobResult:
        return find_mismatches(context, params)
