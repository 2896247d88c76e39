"""Outstanding Student Invoices: flag the students who owe money (the balance-due icon)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table, listed_result

# Each student's balance: the sum of what is still owed on each of their live invoices
# (total - valid payments + their refunds - active deferrals), only invoices owing money.
_BALANCES = """
INSERT INTO {balances} (student_id, balance, open_invoices, oldest_due_date, change)
SELECT i.student_id, ROUND(SUM(m.total - m.paid + m.refunded - m.deferred), 2), COUNT(*),
  MIN(COALESCE(i.due_date, i.invoice_date)), 'same'
FROM {money} m JOIN invoices i ON i.invoice_id = m.invoice_id
WHERE m.total - m.paid + m.refunded - m.deferred > 0.004
GROUP BY i.student_id
"""
_CHANGE = """
UPDATE {balances} SET change = CASE
  WHEN NOT EXISTS (SELECT 1 FROM student_balances b
                   WHERE b.student_id = {balances}.student_id) THEN 'insert'
  WHEN EXISTS (SELECT 1 FROM student_balances b
               WHERE b.student_id = {balances}.student_id
                 AND (ROUND(b.balance, 2) <> {balances}.balance
                      OR b.open_invoices <> {balances}.open_invoices
                      OR {due_differs})) THEN 'update'
  ELSE 'same' END
"""


class OutstandingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    only_past_due: bool = Field(
        default=False,
        title="Only past-due invoices",
        description="Count only invoices whose due date (or invoice date) is before today.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Students listed")


@dataclass(frozen=True)
class BalanceChanges:
    """Flags added, changed and cleared, with the first of them and the overpaid invoices."""

    added: int
    changed: int
    cleared: int
    owing: int
    listed: list[tuple]
    overpaid: list[tuple]
    overpaid_total: int


class OutstandingStudentInvoices(Job):
    key = "outstanding_student_invoices"
    title = "Outstanding Student Invoices"
    description = (
        "Keeps the balance-due mark beside students' names current for K-12 and "
        "postsecondary schools that bill students. A student owes when any of their "
        "invoices that is neither voided nor deleted still has money due: its lines' total, "
        "less what valid payments applied to it (refunds added back), less its active "
        "deferrals. The mark holds the sum owed, the number of invoices owing and the "
        "oldest due date; it is added, updated or removed so it matches, and each change "
        "is audited. Money paid beyond an invoice's total is not moved to other invoices: "
        "such invoices are listed. Optionally only invoices already past due count."
    )
    module = "Student Billing"
    params_model = OutstandingParams
    default_schedule = DefaultSchedule(run_time="03:00")

    def run(self, context: JobContext, params: OutstandingParams) -> JobResult:
        from job_library.finance_audit import actor_of

        actor = actor_of(context, self.key)
        changes = refresh_balances(
            context.connection, actor, params.only_past_due, params.max_listed
        )
        return _report(changes, params)


def refresh_balances(
    conn: sa.Connection, actor, only_past_due: bool, max_listed: int
) -> BalanceChanges:
    """Make student_balances hold exactly the students who owe, with what they owe."""
    from job_library.finance_audit import json_object, money_text, record_audit
    from job_library.jobs.billing._invoice_money import INVOICE_MONEY
    from job_library.schemas.enrollment import students
    from job_library.schemas.finance import invoices, student_balances
    from job_library.sis_sql import analyze, differs_sql, first_rows, scratch_table

    money_type = sa.Numeric(12, 2)
    money = scratch_table(
        conn,
        "tmp_outstanding_money",
        [
            sa.Column("invoice_id", sa.Integer, primary_key=True),
            sa.Column("total", money_type),
            sa.Column("paid", money_type),
            sa.Column("refunded", money_type),
            sa.Column("deferrals", sa.Integer),
            sa.Column("deferred", money_type),
        ],
    )
    balances = scratch_table(
        conn,
        "tmp_outstanding_balances",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("balance", money_type),
            sa.Column("open_invoices", sa.Integer),
            sa.Column("oldest_due_date", sa.Date),
            sa.Column("change", sa.String(10)),
        ],
    )
    today = actor.at.date()
    scope = (
        "invoices i WHERE i.status <> 'voided' AND i.deleted = FALSE AND i.student_id IS NOT NULL"
    )
    if only_past_due:
        scope += " AND COALESCE(i.due_date, i.invoice_date) < :today"
    insert = sa.text(
        f"INSERT INTO {money.name} (invoice_id, total, paid, refunded, deferrals, deferred) "
        + INVOICE_MONEY.format(invoices=scope)
    )
    if only_past_due:
        insert = insert.bindparams(sa.bindparam("today", today, type_=sa.Date))
    conn.execute(insert)
    analyze(conn, money)
    conn.execute(sa.text(_BALANCES.format(balances=balances.name, money=money.name)))
    due_differs = differs_sql(conn, "b.oldest_due_date", f"{balances.name}.oldest_due_date")
    conn.execute(sa.text(_CHANGE.format(balances=balances.name, due_differs=due_differs)))
    analyze(conn, balances)

    sb, t, st, inv = student_balances, balances, students, invoices
    overpaid_rows = (
        sa.select(
            inv.c.invoice_number,
            inv.c.student_id,
            st.c.last_name,
            st.c.first_name,
            money.c.total,
            money.c.paid - money.c.refunded,
        )
        .join(inv, inv.c.invoice_id == money.c.invoice_id)
        .join(st, st.c.student_id == inv.c.student_id)
        .where(money.c.paid - money.c.refunded - money.c.total > 0.004)
        .order_by(inv.c.invoice_number)
    )
    overpaid = first_rows(conn, overpaid_rows, max_listed)
    overpaid_total = conn.execute(
        sa.select(sa.func.count()).select_from(overpaid_rows.subquery())
    ).scalar_one()
    owing = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()

    def values(table, **extra):
        return json_object(
            conn,
            balance=money_text(conn, table.c.balance),
            open_invoices=table.c.open_invoices,
            oldest_due_date=sa.cast(table.c.oldest_due_date, sa.String),
            **extra,
        )

    # The listing (before the changes, for the old balances): cleared, changed, added.
    old_balance = sa.select(sb.c.balance).where(sb.c.student_id == t.c.student_id).scalar_subquery()
    changed_rows = (
        sa.select(
            t.c.student_id,
            st.c.last_name,
            st.c.first_name,
            t.c.change,
            old_balance,
            t.c.balance,
            t.c.open_invoices,
            t.c.oldest_due_date,
        )
        .join(st, st.c.student_id == t.c.student_id)
        .where(t.c.change != "same")
    )
    gone = sb.c.student_id.not_in(sa.select(t.c.student_id))
    cleared_rows = (
        sa.select(
            sb.c.student_id,
            st.c.last_name,
            st.c.first_name,
            sa.literal("delete").label("change"),
            sb.c.balance.label("before"),
            sa.null().label("after"),
            sa.literal(0).label("owing"),
            sa.null().label("due"),
        )
        .join(st, st.c.student_id == sb.c.student_id)
        .where(gone)
    )
    both = sa.union_all(cleared_rows, changed_rows).subquery()
    listed = first_rows(conn, sa.select(both).order_by(both.c[0]), max_listed)

    cleared_audit = record_audit(
        conn,
        actor,
        table="student_balances",
        change="delete",
        rows=sa.select(sb.c.student_id, values(sb), sa.null()).where(gone),
    )
    conn.execute(sa.delete(sb).where(gone))
    is_update = t.c.change == "update"
    changed = record_audit(
        conn,
        actor,
        table="student_balances",
        change="update",
        rows=sa.select(sb.c.student_id, values(sb), values(t))
        .join(t, t.c.student_id == sb.c.student_id)
        .where(is_update),
    )

    def new(column):
        return sa.select(column).where(t.c.student_id == sb.c.student_id).scalar_subquery()

    conn.execute(
        sa.update(sb)
        .where(sb.c.student_id.in_(sa.select(t.c.student_id).where(is_update)))
        .values(
            balance=new(t.c.balance),
            open_invoices=new(t.c.open_invoices),
            oldest_due_date=new(t.c.oldest_due_date),
            updated_at=actor.at,
        )
    )
    added = conn.execute(
        sa.insert(sb).from_select(
            ["student_id", "balance", "open_invoices", "oldest_due_date", "updated_at"],
            sa.select(
                t.c.student_id,
                t.c.balance,
                t.c.open_invoices,
                t.c.oldest_due_date,
                sa.literal(actor.at, sa.DateTime(timezone=True)),
            ).where(t.c.change == "insert"),
        )
    ).rowcount
    record_audit(
        conn,
        actor,
        table="student_balances",
        change="insert",
        rows=sa.select(sb.c.student_id, sa.null(), values(sb))
        .join(t, t.c.student_id == sb.c.student_id)
        .where(t.c.change == "insert"),
    )
    balances.drop(conn)
    money.drop(conn)
    return BalanceChanges(added, changed, cleared_audit, owing, listed, overpaid, overpaid_total)


def _cents(value) -> Decimal | str:
    return "-" if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


_WHAT = {"insert": "flagged", "update": "updated", "delete": "cleared"}


def _report(changes: BalanceChanges, params: OutstandingParams) -> JobResult:
    total = changes.added + changes.changed + changes.cleared
    scope = "past-due invoices" if params.only_past_due else "invoices"
    if total == 0:
        summary = f"Balance-due marks already current ({changes.owing} student(s) owe on {scope})."
    else:
        summary = (
            f"{changes.owing} student(s) owe on {scope}: flagged {changes.added}, updated "
            f"{changes.changed}, cleared {changes.cleared}."
        )
    if changes.overpaid_total:
        summary += f" {changes.overpaid_total} overpaid invoice(s) listed."
    lines = [summary]
    rows = []
    for student, last, first, change, before, after, count, due in changes.listed:
        name = f"{last}, {first}"
        # Through the UNION, SQLite hands the date back as its text.
        due_text = str(due)[:10] if due is not None else "-"
        rows.append((student, name, _WHAT[change], _cents(before), _cents(after), count, due_text))
        lines.append(
            f"  student {student} ({name}): {_WHAT[change]}, balance {_cents(before)} -> "
            f"{_cents(after)}, {count} invoice(s) owing, oldest due {due_text}"
        )
    for number, student, last, first, invoice_total, net_paid in changes.overpaid:
        lines.append(
            f"  overpaid: invoice {number} of {last}, {first} ({student}): paid "
            f"{_cents(net_paid)} of {_cents(invoice_total)}; the extra is not applied elsewhere"
        )
    result = listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "Mark",
            "Balance before",
            "Balance now",
            "Invoices owing",
            "Oldest due",
        ),
        rows,
        total=total,
        cap=params.max_listed,
        counts={
            "owing": changes.owing,
            "flagged": changes.added,
            "updated": changes.changed,
            "cleared": changes.cleared,
            "overpaid_invoices": changes.overpaid_total,
        },
    )
    if not changes.overpaid:
        return result
    extra = html_table(
        ("Overpaid invoice", "Student", "Invoice total", "Paid"),
        [(n, f"{la}, {fi} ({s})", _cents(t), _cents(p)) for n, s, la, fi, t, p in changes.overpaid],
    )
    return JobResult(
        result.success, result.summary, result.text, result.html + extra, result.counts
    )
