"""Create Payment Plan Invoices (ERP): one POS invoice per payment plan installment due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import listed_result
from job_library.site import AddOn

_NEW_INVOICES = """
INSERT INTO invoices (invoice_number, kind, status, deleted, student_id, invoiced_to,
  school_id, syear, invoice_date, due_date, installment_id, created_at, created_by)
SELECT 'PP-' || CAST(p.plan_id AS VARCHAR(20)) || '-' || CAST(n.number AS VARCHAR(20)),
  'pos', 'open', FALSE, p.student_id, st.last_name || ', ' || st.first_name,
  p.school_id, p.syear, :today, n.due_date, n.installment_id, :at, :who
FROM payment_plan_installments n
JOIN payment_plans p ON p.plan_id = n.plan_id
JOIN students st ON st.student_id = p.student_id
WHERE p.active = TRUE AND n.due_date <= :until
  AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.installment_id = n.installment_id)
"""
_NEW_LINES = """
INSERT INTO invoice_lines (invoice_id, fee_id, description, quantity, amount, strip_id)
SELECT i.invoice_id, p.fee_id,
  p.title || ': installment ' || CAST(n.number AS VARCHAR(20)) || ' of '
    || CAST((SELECT COUNT(*) FROM payment_plan_installments c
             WHERE c.plan_id = p.plan_id) AS VARCHAR(20)),
  1, n.amount, p.strip_id
FROM invoices i
JOIN payment_plan_installments n ON n.installment_id = i.installment_id
JOIN payment_plans p ON p.plan_id = n.plan_id
WHERE i.created_at = :at AND i.created_by = :who
  AND NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.invoice_id)
"""


class PaymentPlanParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days_ahead: int = Field(
        default=0,
        ge=0,
        le=366,
        title="Days ahead",
        description=(
            "Invoice an installment this many days before its due date (0: on the due date)."
        ),
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Invoices listed")


@dataclass(frozen=True)
class PlanInvoices:
    """The invoices a run created, and the active plans it could not use."""

    created: int
    listed: list[tuple]
    empty_plans: list[tuple]


class CreatePaymentPlanInvoices(Job):
    key = "create_payment_plan_invoices"
    title = "Create Payment Plan Invoices"
    description = (
        "Turns the installments of the payment plans set up in Accounts Receivable's Point "
        "of Sale into invoices: each installment of an active plan gets one Point of Sale "
        "invoice for its amount once its due date is reached (or is within the chosen "
        "number of days), due on the installment's date, with one line naming the plan and "
        "the installment, the plan's fee and account strip. An installment is invoiced "
        "once, ever; installments missed by earlier runs are caught up; inactive plans "
        "wait. Active plans without installments are listed. Every new invoice and line is "
        "audited."
    )
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    params_model = PaymentPlanParams
    default_schedule = DefaultSchedule(run_time="02:30")

    def run(self, context: JobContext, params: PaymentPlanParams) -> JobResult:
        from job_library.finance_audit import actor_of

        actor = actor_of(context, self.key)
        made = invoice_installments(context.connection, actor, params.days_ahead, params.max_listed)
        return _report(made, params)


def invoice_installments(
    conn: sa.Connection, actor, days_ahead: int, max_listed: int
) -> PlanInvoices:
    """Create the invoice of every installment due by today + ``days_ahead``."""
    from job_library.finance_audit import audit_new_invoices
    from job_library.schemas.finance import (
        invoice_lines,
        invoices,
        payment_plan_installments,
        payment_plans,
    )
    from job_library.sis_sql import first_rows

    today = actor.at.date()
    at = sa.bindparam("at", actor.at, type_=sa.DateTime(timezone=True))
    who = sa.bindparam("who", actor.who)
    created = conn.execute(
        sa.text(_NEW_INVOICES).bindparams(
            sa.bindparam("today", today, type_=sa.Date),
            sa.bindparam("until", today + dt.timedelta(days=days_ahead), type_=sa.Date),
            at,
            who,
        )
    ).rowcount
    conn.execute(sa.text(_NEW_LINES).bindparams(at, who))

    inv, lines, n, p = invoices, invoice_lines, payment_plan_installments, payment_plans
    new = sa.and_(
        inv.c.installment_id.is_not(None),
        inv.c.created_at == actor.at,
        inv.c.created_by == actor.who,
    )
    audit_new_invoices(
        conn, actor, lambda select: select.where(new), installment_id=inv.c.installment_id
    )
    listing = (
        sa.select(
            inv.c.invoice_number,
            inv.c.student_id,
            inv.c.invoiced_to,
            lines.c.description,
            lines.c.amount,
            inv.c.due_date,
        )
        .join(lines, lines.c.invoice_id == inv.c.invoice_id)
        .where(new)
        .order_by(inv.c.due_date, inv.c.invoice_number)
    )
    listed = first_rows(conn, listing, max_listed)
    empty = first_rows(
        conn,
        sa.select(p.c.plan_id, p.c.title, p.c.student_id)
        .where(
            p.c.active == sa.true(),
            ~sa.exists().where(n.c.plan_id == p.c.plan_id),
        )
        .order_by(p.c.plan_id),
        max_listed,
    )
    return PlanInvoices(created, listed, empty)


def _report(made: PlanInvoices, params: PaymentPlanParams) -> JobResult:
    when = "due by today" if params.days_ahead == 0 else f"due within {params.days_ahead} day(s)"
    if made.created:
        summary = f"Created {made.created} payment plan invoice(s) for installments {when}."
    else:
        summary = f"No payment plan installment {when} was left to invoice."
    if made.empty_plans:
        summary += f" {len(made.empty_plans)} active plan(s) have no installments."
    lines = [summary]
    rows = []
    for number, student, name, description, amount, due in made.listed:
        money = Decimal(str(amount)).quantize(Decimal("0.01"))
        rows.append((number, f"{name} ({student})", description, money, due.isoformat()))
        lines.append(f"  {number}: {name} ({student}), {description}, {money}, due {due}")
    for plan, title, student in made.empty_plans:
        lines.append(
            f"  plan {plan} ({title}, student {student}): no installments; add them or "
            "make the plan inactive"
        )
    return listed_result(
        summary,
        lines,
        ("Invoice", "Student", "Installment", "Amount", "Due"),
        rows,
        total=made.created,
        cap=params.max_listed,
        counts={"created": made.created, "plans_without_installments": len(made.empty_plans)},
    )
