"""POS Invoice Table Update: gl_pos_invoice and gl_pos_invoice_allocation follow billing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule


class PosInvoiceTableUpdateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed rows listed")


@dataclass(frozen=True)
class TableUpdate:
    """What a run changed in the two tables, and the invoices that need a look."""

    invoices: object  # SyncCounts
    allocations: object  # SyncCounts
    checks: tuple[int, list[tuple[str, str]]]  # how many, and the first ones


class PosInvoiceTableUpdate(Job):
    key = "pos_invoice_table_update"
    title = "POS Invoice Table Update"
    description = (
        "Brings the two point-of-sale billing tables that Manatee County's reports read, "
        "gl_pos_invoice and gl_pos_invoice_allocation, in line with the invoices, "
        "payments, allocations, refunds and deferrals they summarize. gl_pos_invoice gets "
        "one row per POS invoice not flagged deleted: its lines' total, what valid "
        "payments' active allocations pay, refunds, active deferrals and the balance "
        "(total less paid plus refunded less deferred; zero once voided). "
        "gl_pos_invoice_allocation gets one row per active allocation of a valid payment "
        "to those invoices, with the payment's date, method and reference. Rows are added, "
        "changed or removed only where they differ, each change audited in the finance "
        "audit; overpaid invoices and invoices without lines are listed."
    )
    module = "Student Billing"
    needs_state = "FL"  # a Manatee County set-up
    params_model = PosInvoiceTableUpdateParams
    default_schedule = DefaultSchedule(run_time="02:00")

    def run(self, context: JobContext, params: PosInvoiceTableUpdateParams) -> JobResult:
        from job_library.finance_audit import actor_of

        actor = actor_of(context, self.key)
        return _report(update_tables(context.connection, actor, params.max_listed), params)


def update_tables(conn: sa.Connection, actor, cap: int) -> TableUpdate:
    """Fill scratch tables with what the two tables should hold, then sync them."""
    from job_library.jobs.billing._table_sync import sync_copy
    from job_library.schemas.finance import (
        allocations,
        deferrals,
        invoice_lines,
        invoices,
        payments,
        refunds,
    )
    from job_library.schemas.pos import gl_pos_invoice, gl_pos_invoice_allocation
    from job_library.sis_sql import analyze, scratch_table

    i, al, p = invoices, allocations, payments

    def scratch(name: str, like: sa.Table) -> sa.Table:
        columns = [
            sa.Column(c.name, c.type, primary_key=c.primary_key)
            for c in like.columns
            if c.name not in ("updated_at", "updated_by")
        ]
        return scratch_table(conn, name, columns)

    want_inv = scratch("tmp_gl_pos_invoice", gl_pos_invoice)
    want_al = scratch("tmp_gl_pos_invoice_allocation", gl_pos_invoice_allocation)

    def total(table: sa.Table, *where) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.coalesce(sa.func.sum(table.c.amount), 0))
            .where(table.c.invoice_id == i.c.invoice_id, *where)
            .scalar_subquery()
        )

    valid = sa.exists().where(p.c.payment_id == al.c.payment_id, p.c.valid == sa.true())
    amount = total(invoice_lines)
    paid = total(al, al.c.active == sa.true(), valid)
    refunded = total(refunds)
    deferred = total(deferrals, deferrals.c.active == sa.true())
    balance = sa.case((i.c.status == "voided", 0), else_=amount - paid + refunded - deferred)
    conn.execute(
        sa.insert(want_inv).from_select(
            [
                "invoice_id",
                "invoice_number",
                "student_id",
                "customer",
                "school_id",
                "invoice_date",
                "due_date",
                "status",
                "amount",
                "paid",
                "refunded",
                "deferred",
                "balance",
            ],
            sa.select(
                i.c.invoice_id,
                i.c.invoice_number,
                i.c.student_id,
                sa.func.coalesce(i.c.customer, i.c.invoiced_to),
                i.c.school_id,
                i.c.invoice_date,
                i.c.due_date,
                i.c.status,
                sa.func.round(amount, 2),
                sa.func.round(paid, 2),
                sa.func.round(refunded, 2),
                sa.func.round(deferred, 2),
                sa.func.round(balance, 2),
            ).where(i.c.kind == "pos", i.c.deleted == sa.false()),
        )
    )
    conn.execute(
        sa.insert(want_al).from_select(
            [
                "allocation_id",
                "invoice_id",
                "payment_id",
                "line_id",
                "amount",
                "paid_on",
                "method",
                "reference",
            ],
            sa.select(
                al.c.allocation_id,
                al.c.invoice_id,
                al.c.payment_id,
                al.c.line_id,
                al.c.amount,
                p.c.paid_on,
                p.c.method,
                p.c.reference,
            )
            .join(p, p.c.payment_id == al.c.payment_id)
            .where(
                al.c.active == sa.true(),
                p.c.valid == sa.true(),
                al.c.invoice_id.in_(sa.select(want_inv.c.invoice_id)),
            ),
        )
    )
    analyze(conn, want_inv)
    analyze(conn, want_al)
    money_inv = {"amount", "paid", "refunded", "deferred", "balance"}
    # Allocations first out (they point at the invoices), invoices first in.
    gone_al = _remove_allocations(conn, actor, gl_pos_invoice_allocation, want_al, cap)
    inv = sync_copy(
        conn,
        actor,
        gl_pos_invoice,
        want_inv,
        key="invoice_id",
        money=money_inv,
        listed=["invoice_number", "amount", "balance"],
        cap=cap,
    )
    allocs = sync_copy(
        conn,
        actor,
        gl_pos_invoice_allocation,
        want_al,
        key="allocation_id",
        moves="invoice_id",
        money={"amount"},
        listed=["invoice_id", "amount", "method"],
        cap=cap,
    )
    allocs.removed += gone_al.removed
    allocs.listed = (gone_al.listed + allocs.listed)[:cap]
    checks = _checks(conn, want_inv, cap)
    want_inv.drop(conn)
    want_al.drop(conn)
    return TableUpdate(inv, allocs, checks)


def _remove_allocations(conn, actor, target, want_al, cap: int):
    """Remove the allocation rows that go (or move) before any invoice row goes: a sync of
    the allocations alone, restricted to removals, so the invoices' removal never meets a
    row still pointing at them."""
    from job_library.finance_audit import json_object, money_text, record_audit
    from job_library.jobs.billing._table_sync import SyncCounts
    from job_library.sis_sql import first_rows

    t, s = target, want_al
    stays = sa.exists().where(
        s.c.allocation_id == t.c.allocation_id, s.c.invoice_id == t.c.invoice_id
    )
    gone = ~stays
    listed = first_rows(
        conn,
        sa.select(t.c.allocation_id, sa.literal("removed"), t.c.invoice_id, t.c.amount, t.c.method)
        .where(gone)
        .order_by(t.c.allocation_id),
        cap,
    )
    names = [c.name for c in s.columns if c.name != "allocation_id"]
    old = json_object(
        conn,
        **{
            n: money_text(conn, t.c[n]) if n == "amount" else sa.cast(t.c[n], sa.Text)
            for n in names
        },
    )
    record_audit(
        conn,
        actor,
        table=t.name,
        change="delete",
        rows=sa.select(t.c.allocation_id, old.label("old"), sa.null().label("new")).where(gone),
    )
    removed = conn.execute(sa.delete(t).where(gone)).rowcount
    return SyncCounts(removed=removed, listed=listed)


def _checks(conn: sa.Connection, want: sa.Table, cap: int) -> tuple[int, list[tuple[str, str]]]:
    """Invoices whose numbers look wrong; they are copied all the same. Counted in the
    database; only the first ``cap`` are read."""
    from job_library.finance_audit import money_text
    from job_library.jobs.billing._listing import capped_checks

    record = want.c.invoice_number.label("record")
    counted = want.c.status != "voided"
    net = want.c.paid - want.c.refunded
    kinds = [
        sa.select(
            record,
            sa.cast(
                sa.literal("has no lines (or only zero lines): its total is 0.00"), sa.Text
            ).label("reason"),
        ).where(counted, want.c.amount == 0),
        sa.select(
            record,
            sa.cast(
                sa.literal("overpaid: ")
                .concat(money_text(conn, net))
                .concat(" paid against a total of ")
                .concat(money_text(conn, want.c.amount)),
                sa.Text,
            ).label("reason"),
        ).where(counted, sa.or_(want.c.amount == 0, want.c.balance < 0), net > want.c.amount),
    ]
    return capped_checks(conn, kinds, cap)


def _report(update: TableUpdate, params: PosInvoiceTableUpdateParams) -> JobResult:
    from job_library.jobs.billing._listing import listed_with_checks

    inv, al = update.invoices, update.allocations
    if inv.changed + al.changed == 0:
        summary = "gl_pos_invoice and gl_pos_invoice_allocation were up to date; nothing changed."
    else:
        summary = (
            f"gl_pos_invoice: {inv.added} added, {inv.updated} updated, {inv.removed} removed; "
            f"gl_pos_invoice_allocation: {al.added} added, {al.updated} updated, "
            f"{al.removed} removed."
        )
    lines, rows = [summary], []
    listed = [("invoice", *r) for r in inv.listed] + [("allocation", *r) for r in al.listed]
    listed = listed[: params.max_listed]
    for kind, key, change, first, amount, last in listed:
        if kind == "invoice":
            detail = f"invoice {first}: total {Decimal(amount):.2f}, balance {Decimal(last):.2f}"
        else:
            detail = f"invoice id {first}: {Decimal(amount):.2f} by {last}"
        rows.append((f"{kind} {key}", change, detail))
        lines.append(f"  {kind} {key} {change}: {detail}")
    return listed_with_checks(
        summary,
        lines,
        ("Row", "Change", "Now"),
        rows,
        total=inv.changed + al.changed,
        cap=params.max_listed,
        counts={
            "invoices_added": inv.added,
            "invoices_updated": inv.updated,
            "invoices_removed": inv.removed,
            "allocations_added": al.added,
            "allocations_updated": al.updated,
            "allocations_removed": al.removed,
            "need_a_look": update.checks[0],
        },
        checks=update.checks[1],
        checks_total=update.checks[0],
        check_header="Invoice",
    )
