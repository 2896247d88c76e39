"""Void Overdue AR Invoices: cancel old Accounts Receivable invoices nobody paid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import listed_result

# What each overdue open AR invoice is: voidable (never validly paid, or every payment
# refunded), skipped (deferred, paid in part or in full) or bad (refunded more than paid).
_OUTCOME = """
UPDATE {temp} SET outcome = CASE
  WHEN deferrals > 0 THEN 'deferred'
  WHEN refunded > paid THEN 'bad'
  WHEN paid = 0 THEN 'unpaid'
  WHEN paid = refunded THEN 'refunded'
  WHEN paid - refunded >= total THEN 'paid'
  ELSE 'partial'
END
"""
VOIDED = ("unpaid", "refunded")
_REASONS = {
    "unpaid": "no valid payment {days}+ days after the invoice date",
    "refunded": "every payment refunded; unpaid {days}+ days after the invoice date",
}
_BAD = "refunds ({refunded}) exceed the valid payments ({paid}); correct the refunds"


class VoidOverdueParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days_old: int = Field(
        default=60,
        ge=1,
        le=3650,
        title="Days old",
        description="An unpaid invoice is voided once its invoice date is this many days ago.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Invoices listed")


@dataclass(frozen=True)
class VoidOutcome:
    """What a run voided and skipped, with the first voided and bad invoices."""

    voided: int
    skipped: dict[str, int]
    listed: list[tuple]
    bad: list[tuple]
    bad_total: int


class VoidOverdueArInvoices(Job):
    key = "void_overdue_ar_invoices"
    title = "Void Overdue AR Invoices"
    description = (
        "Cancels open Accounts Receivable invoices dated at least the chosen number of days "
        "ago that no valid payment pays: never paid, paid only by voided or returned "
        "payments, or paid and then refunded in full. An invoice with an active deferral or "
        "with money still applied to it (a partial or full payment) stays open. Point of "
        "Sale and internal account invoices are never touched. Each voided invoice gets the "
        "time, the job and the reason, and an audit row; invoices whose refunds exceed "
        "their payments are listed for correction."
    )
    module = "Student Billing"
    params_model = VoidOverdueParams
    default_schedule = DefaultSchedule(run_time="01:00")

    def run(self, context: JobContext, params: VoidOverdueParams) -> JobResult:
        from job_library.finance_audit import actor_of

        actor = actor_of(context, self.key)
        outcome = void_overdue(context.connection, actor, params.days_old, params.max_listed)
        return _report(outcome, params, actor.at.date())


def void_overdue(conn: sa.Connection, actor, days_old: int, max_listed: int) -> VoidOutcome:
    """Void every open AR invoice at least ``days_old`` days old that nothing pays."""
    from job_library.finance_audit import json_object, record_audit
    from job_library.jobs.billing._invoice_money import INVOICE_MONEY
    from job_library.schemas.enrollment import students
    from job_library.schemas.finance import invoices
    from job_library.sis_sql import analyze, first_rows, scratch_table

    money = sa.Numeric(12, 2)
    temp = scratch_table(
        conn,
        "tmp_void_overdue_ar",
        [
            sa.Column("invoice_id", sa.Integer, primary_key=True),
            sa.Column("total", money),
            sa.Column("paid", money),
            sa.Column("refunded", money),
            sa.Column("deferrals", sa.Integer),
            sa.Column("deferred", money),
            sa.Column("outcome", sa.String(10)),
        ],
    )
    cutoff = actor.at.date() - dt.timedelta(days=days_old)
    scope = (
        "invoices i WHERE i.kind = 'ar' AND i.status = 'open' AND i.deleted = FALSE "
        "AND i.invoice_date <= :cutoff"
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {temp.name} (invoice_id, total, paid, refunded, deferrals, deferred) "
            + INVOICE_MONEY.format(invoices=scope)
        ).bindparams(sa.bindparam("cutoff", cutoff, type_=sa.Date))
    )
    conn.execute(sa.text(_OUTCOME.format(temp=temp.name)))
    analyze(conn, temp)

    inv, st = invoices, students
    reason = sa.case(*[(temp.c.outcome == k, v.format(days=days_old)) for k, v in _REASONS.items()])
    listing = (
        sa.select(
            inv.c.invoice_number,
            inv.c.student_id,
            st.c.last_name,
            st.c.first_name,
            inv.c.customer,
            inv.c.invoice_date,
            temp.c.total,
            reason,
        )
        .join(inv, inv.c.invoice_id == temp.c.invoice_id)
        .outerjoin(st, st.c.student_id == inv.c.student_id)
        .order_by(inv.c.invoice_date, inv.c.invoice_number)
    )
    listed = first_rows(conn, listing.where(temp.c.outcome.in_(VOIDED)), max_listed)
    bad_query = listing.with_only_columns(
        inv.c.invoice_number,
        inv.c.student_id,
        st.c.last_name,
        st.c.first_name,
        inv.c.customer,
        temp.c.paid,
        temp.c.refunded,
    ).where(temp.c.outcome == "bad")
    bad = first_rows(conn, bad_query, max_listed)
    counts = dict(
        conn.execute(sa.select(temp.c.outcome, sa.func.count()).group_by(temp.c.outcome)).all()
    )
    voidable = sa.select(temp.c.invoice_id).where(temp.c.outcome.in_(VOIDED))
    record_audit(
        conn,
        actor,
        table="invoices",
        change="update",
        rows=sa.select(
            temp.c.invoice_id,
            json_object(conn, status=sa.literal("open")),
            json_object(conn, status=sa.literal("voided"), void_reason=reason),
        ).where(temp.c.outcome.in_(VOIDED)),
    )
    voided = 0
    for outcome, text in _REASONS.items():
        voided += conn.execute(
            sa.update(inv)
            .where(
                inv.c.invoice_id.in_(voidable.where(temp.c.outcome == outcome)),
                inv.c.status == "open",
            )
            .values(
                status="voided",
                voided_at=actor.at,
                voided_by=actor.who,
                void_reason=text.format(days=days_old),
            )
        ).rowcount
    temp.drop(conn)
    skipped = {k: counts.get(k, 0) for k in ("deferred", "partial", "paid")}
    return VoidOutcome(voided, skipped, listed, bad, counts.get("bad", 0))


def _name(student, last, first, customer) -> str:
    if student is None:
        return customer or "-"
    return f"{last}, {first} ({student})"


def _report(outcome: VoidOutcome, params: VoidOverdueParams, today: dt.date) -> JobResult:
    days = params.days_old
    skipped = outcome.skipped
    if outcome.voided == 0:
        summary = f"No open AR invoice {days}+ days old was unpaid; nothing voided."
    else:
        summary = f"Voided {outcome.voided} unpaid AR invoice(s) {days}+ days old."
    summary += (
        f" Kept: {skipped['deferred']} deferred, {skipped['partial']} partly paid, "
        f"{skipped['paid']} paid."
    )
    if outcome.bad_total:
        summary += f" {outcome.bad_total} invoice(s) need their refunds corrected."
    lines = [summary]
    rows = []
    for number, student, last, first, customer, date, total, reason in outcome.listed:
        who = _name(student, last, first, customer)
        age = (today - date).days
        amount = Decimal(str(total)).quantize(Decimal("0.01"))
        rows.append((number, who, date.isoformat(), age, amount, reason))
        lines.append(f"  invoice {number} ({who}), {date}, {age} days, {amount}: {reason}")
    for number, student, last, first, customer, paid, refunded in outcome.bad:
        who = _name(student, last, first, customer)
        reason = _BAD.format(paid=_cents(paid), refunded=_cents(refunded))
        lines.append(f"  not voided: invoice {number} ({who}): {reason}")
        rows.append((number, who, "", "", "", f"not voided: {reason}"))
    return listed_result(
        summary,
        lines,
        ("Invoice", "Billed to", "Invoice date", "Days old", "Amount", "Reason"),
        rows,
        total=outcome.voided + outcome.bad_total,
        cap=2 * params.max_listed,
        counts={
            "voided": outcome.voided,
            "kept_deferred": skipped["deferred"],
            "kept_partly_paid": skipped["partial"],
            "kept_paid": skipped["paid"],
            "bad": outcome.bad_total,
        },
    )


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
