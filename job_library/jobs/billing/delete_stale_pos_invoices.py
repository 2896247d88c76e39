"""Delete Stale POS Invoices (ERP): flag point-of-sale invoices nothing is allocated to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.site import AddOn


class DeleteStalePosInvoicesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_age_days: int = Field(
        default=1,
        ge=0,
        le=3650,
        title="Days before an invoice can be stale",
        description="Point-of-sale invoices dated fewer days before the run than this are "
        "left alone, so a sale still at the register is never flagged (0: any date).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Flagged invoices listed")


@dataclass(frozen=True)
class StaleOutcome:
    """What a run flagged, the first flagged invoices and the invoices that need a look."""

    flagged: int
    listed: list[tuple]
    checks: list[tuple[str, str]]  # the first ones
    checks_total: int


class DeleteStalePosInvoices(Job):
    key = "delete_stale_pos_invoices"
    title = "Delete Stale POS Invoices"
    description = (
        "Marks abandoned point-of-sale invoices as deleted (invoices.deleted, with the time) "
        "so they leave the registers' lists; the rows stay. Rules: only invoices of kind "
        "POS qualify; Accounts Receivable and internal-account invoices are never touched, "
        "whatever they hold. A POS invoice is stale when no active allocation points at "
        "it, it has no active deferral and no refund, it was not made by Automatic "
        "Invoices or a payment plan installment (those wait for payment by design), and it "
        "is dated at least the chosen number of days before the run day. Every flag is "
        "written to the finance audit. Invoices flagged deleted that still have active "
        "allocations, and kept invoices whose only active allocations come from voided or "
        "returned payments, are listed for the bookkeeper and left as they are."
    )
    module = "Student Billing"
    needs_add_ons = frozenset({AddOn.ERP})
    params_model = DeleteStalePosInvoicesParams
    default_schedule = DefaultSchedule(run_time="01:30")

    def run(self, context: JobContext, params: DeleteStalePosInvoicesParams) -> JobResult:
        from job_library.finance_audit import actor_of

        actor = actor_of(context, self.key)
        outcome = flag_stale(context.connection, actor, params.min_age_days, params.max_listed)
        return _report(outcome, params)


def flag_stale(conn: sa.Connection, actor, min_age_days: int, max_listed: int) -> StaleOutcome:
    """Flag every stale POS invoice deleted in one UPDATE, audited in the same transaction."""
    from job_library.finance_audit import json_object, record_audit
    from job_library.schemas.finance import (
        allocations,
        deferrals,
        invoice_lines,
        invoices,
        payments,
        refunds,
    )
    from job_library.sis_sql import first_rows

    inv, al, df, rf = invoices, allocations, deferrals, refunds
    cutoff = actor.at.date() - dt.timedelta(days=min_age_days)
    stale = sa.and_(
        inv.c.kind == "pos",
        inv.c.deleted == sa.false(),
        inv.c.invoice_date <= cutoff,
        inv.c.automatic_invoice_id.is_(None),
        inv.c.installment_id.is_(None),
        ~sa.exists().where(al.c.invoice_id == inv.c.invoice_id, al.c.active == sa.true()),
        ~sa.exists().where(df.c.invoice_id == inv.c.invoice_id, df.c.active == sa.true()),
        ~sa.exists().where(rf.c.invoice_id == inv.c.invoice_id),
    )
    charged = (
        sa.select(sa.func.coalesce(sa.func.sum(invoice_lines.c.amount), 0))
        .where(invoice_lines.c.invoice_id == inv.c.invoice_id)
        .scalar_subquery()
    )
    listing = (
        sa.select(
            inv.c.invoice_number,
            inv.c.invoice_date,
            sa.func.coalesce(inv.c.customer, inv.c.invoiced_to),
            inv.c.student_id,
            charged,
        )
        .where(stale)
        .order_by(inv.c.invoice_date, inv.c.invoice_number)
    )
    listed = first_rows(conn, listing, max_listed)
    record_audit(
        conn,
        actor,
        table="invoices",
        change="update",
        rows=sa.select(
            inv.c.invoice_id,
            json_object(conn, deleted=sa.literal("false")),
            json_object(
                conn, deleted=sa.literal("true"), deleted_at=sa.literal(actor.at.isoformat())
            ),
        ).where(stale),
    )
    flagged = conn.execute(
        sa.update(inv).where(stale).values(deleted=True, deleted_at=actor.at)
    ).rowcount
    checks_total, checks = _checks(conn, inv, al, payments, max_listed)
    return StaleOutcome(flagged, listed, checks, checks_total)


def _checks(conn: sa.Connection, inv, al, pay, cap: int) -> tuple[int, list[tuple[str, str]]]:
    """POS invoices whose flag and allocations disagree; they are left as they are.
    Counted in the database; only the first ``cap`` are read."""
    from job_library.finance_audit import money_text
    from job_library.jobs.billing._listing import capped_checks

    active = al.c.active == sa.true()
    record = inv.c.invoice_number.label("record")
    allocated = money_text(conn, sa.func.sum(al.c.amount))
    flagged_but_paid = (
        sa.select(
            record,
            sa.cast(
                sa.literal("flagged deleted but ")
                .concat(allocated)
                .concat(" is still allocated to it; the flag was not changed"),
                sa.Text,
            ).label("reason"),
        )
        .join(al, al.c.invoice_id == inv.c.invoice_id)
        .where(inv.c.kind == "pos", inv.c.deleted == sa.true(), active)
        .group_by(inv.c.invoice_number)
    )
    only_voided = (
        sa.select(
            record,
            sa.cast(
                sa.literal("kept: its active allocations (")
                .concat(allocated)
                .concat(") all come from voided or returned payments"),
                sa.Text,
            ).label("reason"),
        )
        .join(al, al.c.invoice_id == inv.c.invoice_id)
        .join(pay, pay.c.payment_id == al.c.payment_id)
        .where(inv.c.kind == "pos", inv.c.deleted == sa.false(), active)
        .group_by(inv.c.invoice_number)
        .having(sa.func.max(sa.case((pay.c.valid == sa.true(), 1), else_=0)) == 0)
    )
    return capped_checks(conn, [flagged_but_paid, only_voided], cap, kind_first=True)


def _report(outcome: StaleOutcome, params: DeleteStalePosInvoicesParams) -> JobResult:
    from job_library.jobs.billing._listing import listed_with_checks

    if outcome.flagged == 0:
        summary = "No stale point-of-sale invoice was found; nothing was flagged."
    else:
        summary = f"Flagged {outcome.flagged} stale point-of-sale invoice(s) as deleted."
    lines = [summary]
    rows = []
    for number, day, customer, student, amount in outcome.listed:
        who = customer or (f"student {student}" if student is not None else "-")
        total = f"{Decimal(amount):.2f}"
        rows.append((number, day.isoformat(), who, total))
        lines.append(f"  invoice {number} of {day.isoformat()} ({who}, {total}): deleted")
    return listed_with_checks(
        summary,
        lines,
        ("Invoice", "Date", "Customer", "Amount"),
        rows,
        total=outcome.flagged,
        cap=params.max_listed,
        counts={"flagged": outcome.flagged, "need_a_look": outcome.checks_total},
        checks=outcome.checks,
        checks_total=outcome.checks_total,
        check_header="Invoice",
    )
