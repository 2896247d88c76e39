"""Update Employee Agreements (ERP): assign an agreement to every newly eligible employee."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# Eligible: an employee holding a position allocation in effect on the agreement's published
# date (started on or before it, not ended before it), not yet on the agreement.
_ELIGIBLE = """
SELECT DISTINCT a.employee_id
FROM hr_position_allocations a
WHERE a.start_date <= :published AND (a.end_date IS NULL OR a.end_date >= :published)
  AND NOT EXISTS (SELECT 1 FROM hr_agreement_employees ae
                  WHERE ae.agreement_id = :agreement AND ae.employee_id = a.employee_id)
"""


class UpdateEmployeeAgreementsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement_id: int = Field(
        ge=1,
        json_schema_extra={"x-focus-lookup": "employment_agreements"},
        title="Document",
        description="The employment agreement to update (its id in Employment Agreement "
        "Maintenance).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Added employees listed")


def assign(context: JobContext, params: UpdateEmployeeAgreementsParams) -> JobResult:
    from job_library.schema import employees
    from job_library.schemas.erp_hr import hr_agreement_employees, hr_agreements
    from job_library.sis_sql import first_rows

    conn = context.connection
    ag = hr_agreements
    found = conn.execute(
        sa.select(ag.c.title, ag.c.published_date).where(ag.c.agreement_id == params.agreement_id)
    ).first()
    if found is None:
        return JobResult.message(
            False,
            f"agreement {params.agreement_id}: no such agreement; pick the Document from "
            "Employment Agreement Maintenance. Nothing changed.",
            {"added": 0},
        )
    title, published = found
    if published is None:
        return JobResult.message(
            False,
            f"agreement {params.agreement_id} ({title}) has no published date yet; publish it "
            "before scanning for employees. Nothing changed.",
            {"added": 0},
        )
    stamp = sa.bindparam("at", type_=sa.DateTime(timezone=True))
    start = context.now().astimezone(dt.UTC)
    added = conn.execute(
        sa.text(
            "INSERT INTO hr_agreement_employees (agreement_id, employee_id, assigned_at, "
            f"assigned_by) SELECT :agreement, x.employee_id, :at, :who FROM ({_ELIGIBLE}) x"
        ).bindparams(stamp, sa.bindparam("published", type_=sa.Date)),
        {
            "agreement": params.agreement_id,
            "published": published,
            "at": start,
            "who": f"job {context.job_id} ({context.job_title})"[:120],
        },
    ).rowcount
    ae, e = hr_agreement_employees, employees
    listed = first_rows(
        conn,
        sa.select(e.c.employee_id, e.c.last_name, e.c.first_name)
        .join(ae, ae.c.employee_id == e.c.employee_id)
        .where(ae.c.agreement_id == params.agreement_id, ae.c.assigned_at == start)
        .order_by(e.c.employee_id),
        params.max_listed,
    )
    summary = (
        f"Added {added} employee(s) to agreement {params.agreement_id} ({title}), eligible on "
        f"its published date {published}."
    )
    return listed_result(
        summary,
        [summary, *(f"  employee {i} ({last}, {first})" for i, last, first in listed)],
        ("Employee", "Name"),
        [(i, f"{last}, {first}") for i, last, first in listed],
        total=added,
        cap=params.max_listed,
        counts={"added": added},
    )


class UpdateEmployeeAgreements(Job):
    key = "update_employee_agreements"
    title = "Update Employee Agreements"
    module = "ERP"
    description = (
        "Does the scan for new employees of one employment agreement (the Document chosen on "
        "the job): every employee who held a position allocation on the agreement's "
        "published date and is not on the agreement yet is added to it, recorded with the "
        "job and the time. Rules: eligibility is judged on the published date, not on the "
        "deadline (an allocation starting the day after publication does not qualify even "
        "before the deadline; one ending on the published date does); employees already on "
        "the agreement stay as they are; an unknown or unpublished agreement fails the run "
        "with the reason and changes nothing."
    )
    params_model = UpdateEmployeeAgreementsParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: UpdateEmployeeAgreementsParams) -> JobResult:
        return assign(context, params)
