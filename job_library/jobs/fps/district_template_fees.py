"""Automatic Application of District Template Fees (FPS): template fees for new programs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import listed_result
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

# Each (pushed template, school program) pair without the template's fee. A school program
# is a program some course of the school has in the template's year. ``conflict``: the
# school already has a fee of that title for the program, typed in by hand.
_MISSING = """
INSERT INTO {temp} (template_id, school_id, program_number, conflict)
SELECT DISTINCT t.template_id, c.school_id, c.program_number,
  CASE WHEN EXISTS (
    SELECT 1 FROM fees f
    WHERE f.school_id = c.school_id AND f.syear = t.syear
      AND f.program_number = c.program_number AND f.title = t.title
      AND f.template_id IS NULL) THEN 1 ELSE 0 END
FROM district_fee_templates t
JOIN courses c ON c.syear = t.syear AND c.program_number IS NOT NULL
  AND (t.program_number IS NULL OR t.program_number = c.program_number)
WHERE t.syear = :syear AND t.active = TRUE AND t.pushed_at IS NOT NULL {schools}
  AND NOT EXISTS (
    SELECT 1 FROM fees f
    WHERE f.template_id = t.template_id AND f.school_id = c.school_id
      AND f.program_number = c.program_number)
"""

_APPLY = """
INSERT INTO fees (school_id, syear, title, program_number, amount, strip_id, template_id,
  active, created_at, created_by)
SELECT m.school_id, t.syear, t.title, m.program_number, t.amount, t.strip_id, t.template_id,
  TRUE, :at, :who
FROM {temp} m JOIN district_fee_templates t ON t.template_id = m.template_id
WHERE m.conflict = 0
"""


class TemplateFeesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        json_schema_extra={"x-focus-lookup": "schools"},
        description="Only these schools' programs; empty: every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Fees listed")


@dataclass(frozen=True)
class AppliedFees:
    """Fees created, conflicts left alone and templates still waiting to be pushed."""

    created: int
    listed: list[tuple]
    conflicts: list[tuple]
    conflict_total: int
    unpushed: int


class AutomaticApplicationOfDistrictTemplateFees(Job):
    key = "automatic_application_of_district_template_fees"
    title = "Automatic Application of District Template Fees"
    description = (
        "Catches up the district's fee templates for programs a school set up after the "
        "templates went out: every active template of the school year that has been pushed "
        "out gives each school program (a program some course of the school has that year; "
        "for a template tied to one program, only that program) its own fee, with the "
        "template's title, amount and account strip, linked to the template. A school "
        "program gets a template's fee once: one the school later switched off stays off. "
        "Where the school already typed in a fee of the same title for the program, nothing "
        "is added and the pair is listed. Templates not pushed out yet are left alone. "
        "Each new fee is audited."
    )
    module = "FPS"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = TemplateFeesParams
    default_schedule = DefaultSchedule(run_time="01:30")

    def run(self, context: JobContext, params: TemplateFeesParams) -> JobResult:
        from job_library.finance_audit import actor_of
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved)
        syear, school_ids = resolved
        actor = actor_of(context, self.key)
        applied = apply_templates(conn, actor, syear, school_ids, params.max_listed)
        return _report(applied, syear, params.max_listed)


def apply_templates(
    conn: sa.Connection, actor, syear: int, school_ids: list[int] | None, max_listed: int
) -> AppliedFees:
    """Give every school program the fee of each pushed template it lacks."""
    from job_library.finance_audit import json_object, money_text, record_audit
    from job_library.schemas.district import schools
    from job_library.schemas.finance import district_fee_templates, fees
    from job_library.schemas.fps import fps_programs
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_template_fees",
        [
            sa.Column("template_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("program_number", sa.String(7), primary_key=True),
            sa.Column("conflict", sa.Integer, nullable=False),
        ],
    )
    school_filter = in_list("c.school_id", "schools", school_ids)
    missing = sa.text(_MISSING.format(temp=temp.name, schools=school_filter)).bindparams(
        syear=syear
    )
    conn.execute(bind_lists(missing, schools=school_ids))
    analyze(conn, temp)
    created = conn.execute(
        sa.text(_APPLY.format(temp=temp.name)).bindparams(
            sa.bindparam("at", actor.at, type_=sa.DateTime(timezone=True)),
            sa.bindparam("who", actor.who),
        )
    ).rowcount
    f, t, s, p = fees, district_fee_templates, schools, fps_programs
    applied = sa.and_(
        f.c.template_id == temp.c.template_id,
        f.c.school_id == temp.c.school_id,
        f.c.program_number == temp.c.program_number,
        temp.c.conflict == 0,
    )
    record_audit(
        conn,
        actor,
        table="fees",
        change="insert",
        rows=sa.select(
            f.c.fee_id,
            sa.null(),
            json_object(
                conn,
                template_id=f.c.template_id,
                school_id=f.c.school_id,
                program_number=f.c.program_number,
                title=f.c.title,
                amount=money_text(conn, f.c.amount),
            ),
        ).join(temp, applied),
    )
    listing = (
        sa.select(s.c.title, temp.c.program_number, p.c.title, t.c.title, t.c.amount)
        .select_from(temp)
        .join(t, t.c.template_id == temp.c.template_id)
        .join(s, s.c.school_id == temp.c.school_id)
        .join(p, p.c.program_number == temp.c.program_number)
        .order_by(s.c.title, temp.c.program_number, t.c.title)
    )
    listed = first_rows(conn, listing.where(temp.c.conflict == 0), max_listed)
    conflicts = first_rows(conn, listing.where(temp.c.conflict == 1), max_listed)
    conflict_total = conn.execute(
        sa.select(sa.func.count()).select_from(temp).where(temp.c.conflict == 1)
    ).scalar_one()
    unpushed = conn.execute(
        sa.select(sa.func.count())
        .select_from(t)
        .where(t.c.syear == syear, t.c.active == sa.true(), t.c.pushed_at.is_(None))
    ).scalar_one()
    temp.drop(conn)
    return AppliedFees(created, listed, conflicts, conflict_total, unpushed)


def _report(applied: AppliedFees, syear: int, cap: int) -> JobResult:
    if applied.created:
        summary = (
            f"Applied {applied.created} district template fee(s) to school programs of {syear}."
        )
    else:
        summary = f"Every school program of {syear} already had its district template fees."
    if applied.conflict_total:
        summary += (
            f" {applied.conflict_total} left alone: the school has its own fee of that title."
        )
    if applied.unpushed:
        summary += f" {applied.unpushed} template(s) not pushed out yet."
    lines = [summary]
    rows = []
    for school, number, program, title, amount in applied.listed:
        money = Decimal(str(amount)).quantize(Decimal("0.01"))
        rows.append((school, f"{number} {program}", title, money))
        lines.append(f"  {school}, program {number} ({program}): {title} {money}")
    for school, number, program, title, _amount in applied.conflicts:
        lines.append(
            f"  not applied: {school}, program {number} ({program}): {title}: the school "
            "already has a fee of that title; link or rename it"
        )
    return listed_result(
        summary,
        lines,
        ("School", "Program", "Fee", "Amount"),
        rows,
        total=applied.created,
        cap=cap,
        counts={
            "applied": applied.created,
            "conflicts": applied.conflict_total,
            "templates_not_pushed": applied.unpushed,
        },
    )
