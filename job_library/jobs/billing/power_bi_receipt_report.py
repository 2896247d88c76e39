"""Power BI Postsecondary Receipt Report: power_bi_receipts_report follows the receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.site import AddOn

LEVELS = 5  # the account strip's levels (account_strips.level1..level5)


class PowerBiReceiptReportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed report rows listed")


@dataclass
class ReportSync:
    """What a run changed in the report table, and the receipts that need a look."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    receipts: int = 0
    listed: list[tuple] = field(default_factory=list)  # (receipt, change, date, amount)
    checks: list[tuple[str, str]] = field(default_factory=list)  # the first ones
    checks_total: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


class PowerBiReceiptReport(Job):
    key = "power_bi_postsecondary_receipt_report"
    title = "Power BI Postsecondary Receipt Report"
    description = (
        "Keeps the Focus Analytics / Power BI table power_bi_receipts_report equal to the "
        "district's receipts, one row per receipt: receipt and transaction numbers, date, "
        "fiscal year, customer (the payer when the receipt names none) and who was "
        "invoiced, the receipt, allocation, payment and refund amounts, and the number and "
        "title of each level of the receipt's account strip (strip_level1_num / _title to "
        "strip_level5_num / _title). Rows are added, corrected or removed only where they "
        "differ from the receipts (a receipt reported twice keeps one row), so Power BI's "
        "refresh sees a stable table; with no receipts the table is left empty. It is a "
        "report, not a financial record, so no audit rows are written. Receipts without a "
        "strip or a fiscal year, strip levels without a title and allocations larger than "
        "the payment are listed."
    )
    module = "Student Billing"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = PowerBiReceiptReportParams
    default_schedule = DefaultSchedule(run_time="03:00")

    def run(self, context: JobContext, params: PowerBiReceiptReportParams) -> JobResult:
        return _report(refresh_report(context.connection, params.max_listed), params)


def refresh_report(conn: sa.Connection, cap: int) -> ReportSync:
    """Fill a scratch table with the report's rows, then remove, update and add."""
    from job_library.schemas.finance import (
        account_strips,
        payments,
        power_bi_receipts_report,
        receipts,
    )
    from job_library.sis_sql import analyze, first_rows, scratch_table

    t, r, s, p = power_bi_receipts_report, receipts, account_strips, payments
    names = [c.name for c in t.columns if c.name not in ("id", "receipt_num")]
    want = scratch_table(
        conn,
        "tmp_power_bi_receipts",
        [sa.Column("receipt_num", t.c.receipt_num.type, primary_key=True)]
        + [sa.Column(n, t.c[n].type) for n in names],
    )
    strip_columns = {
        f"strip_level{n}_{part}": s.c[f"level{n}_{part}"]
        for n in range(1, LEVELS + 1)
        for part in ("num", "title")
    }
    source = {
        "transaction_num": r.c.transaction_number,
        "receipt_date": r.c.receipt_date,
        "fiscal_year": r.c.fiscal_year,
        "customer": sa.func.coalesce(r.c.customer, p.c.payer),
        "invoiced_to": r.c.invoiced_to,
        "receipt_amt": r.c.receipt_amount,
        "allocation_amt": r.c.allocation_amount,
        "payment_amt": r.c.payment_amount,
        "refund_amt": r.c.refund_amount,
        **strip_columns,
    }
    conn.execute(
        sa.insert(want).from_select(
            ["receipt_num", *names],
            sa.select(r.c.receipt_number, *(source[n] for n in names))
            .outerjoin(s, s.c.strip_id == r.c.strip_id)
            .outerjoin(p, p.c.payment_id == r.c.payment_id),
        )
    )
    analyze(conn, want)
    out = ReportSync()
    out.receipts = conn.execute(sa.select(sa.func.count()).select_from(want)).scalar_one()

    def listing(table: sa.Table, where, change: str) -> None:
        query = (
            sa.select(table.c.receipt_num, sa.literal(change), table.c.receipt_date,
                      table.c.receipt_amt)
            .where(where)
            .order_by(table.c.receipt_num)
        )  # fmt: skip
        out.listed += first_rows(conn, query, max(cap - len(out.listed), 0))

    # A receipt reported more than once keeps its first row.
    first = sa.select(sa.func.min(t.c.id)).group_by(t.c.receipt_num)
    twice = t.c.id.not_in(first)
    listing(t, twice, "removed (reported twice)")
    out.removed = conn.execute(sa.delete(t).where(twice)).rowcount
    same = want.c.receipt_num == t.c.receipt_num
    gone = ~sa.exists().where(same)
    listing(t, gone, "removed")
    out.removed += conn.execute(sa.delete(t).where(gone)).rowcount
    differs = sa.exists().where(same, sa.or_(*(t.c[n].is_distinct_from(want.c[n]) for n in names)))
    listing(t, differs, "updated")
    out.updated = conn.execute(
        sa.update(t)
        .where(differs)
        .values({n: sa.select(want.c[n]).where(same).scalar_subquery() for n in names})
    ).rowcount
    new = ~sa.exists().where(same)
    listing(want, new, "added")
    out.added = conn.execute(
        sa.insert(t).from_select(
            ["receipt_num", *names],
            sa.select(want.c.receipt_num, *(want.c[n] for n in names)).where(new),
        )
    ).rowcount
    out.checks_total, out.checks = _checks(conn, want, cap)
    want.drop(conn)
    return out


def _checks(conn: sa.Connection, want: sa.Table, cap: int) -> tuple[int, list[tuple[str, str]]]:
    """Receipts whose report row will look odd in Power BI; they are reported all the same.
    Counted in the database; only the first ``cap`` are read."""
    from job_library.finance_audit import money_text
    from job_library.jobs.billing._listing import capped_checks

    levels = [(n, want.c[f"strip_level{n}_num"], want.c[f"strip_level{n}_title"])
              for n in range(1, LEVELS + 1)]  # fmt: skip
    record = want.c.receipt_num.label("record")

    def kind(reason, *where) -> sa.Select:
        return sa.select(record, sa.cast(reason, sa.Text).label("reason")).where(*where)

    kinds = [
        kind(
            sa.literal("no fiscal year recorded; reported without one"),
            want.c.fiscal_year.is_(None),
        ),
        kind(
            sa.literal("no account strip; its strip columns are empty"),
            *(num.is_(None) for _, num, _ in levels),
        ),
        *(
            kind(
                sa.literal(f"strip level {n} number ")
                .concat(sa.cast(num, sa.Text))
                .concat(" has no title"),
                num.is_not(None),
                title.is_(None),
            )
            for n, num, title in levels
        ),
        kind(
            sa.literal("allocates ")
            .concat(money_text(conn, want.c.allocation_amt))
            .concat(" of a ")
            .concat(money_text(conn, want.c.payment_amt))
            .concat(" payment"),
            want.c.allocation_amt > want.c.payment_amt,
        ),
    ]
    return capped_checks(conn, kinds, cap)


def _report(sync: ReportSync, params: PowerBiReceiptReportParams) -> JobResult:
    from job_library.jobs.billing._listing import listed_with_checks

    if sync.receipts == 0 and sync.changed == 0:
        summary = "No receipts yet: power_bi_receipts_report stays empty."
    elif sync.changed == 0:
        summary = f"power_bi_receipts_report was up to date ({sync.receipts} receipt(s))."
    else:
        summary = (
            f"power_bi_receipts_report now holds {sync.receipts} receipt(s): {sync.added} "
            f"added, {sync.updated} updated, {sync.removed} removed."
        )
    lines, rows = [summary], []
    for number, change, day, amount in sync.listed:
        shown = "-" if amount is None else f"{Decimal(amount):.2f}"
        rows.append((number, change, day.isoformat(), shown))
        lines.append(f"  receipt {number} of {day.isoformat()} ({shown}): {change}")
    return listed_with_checks(
        summary,
        lines,
        ("Receipt", "Change", "Date", "Receipt amount"),
        rows,
        total=sync.changed,
        cap=params.max_listed,
        counts={
            "receipts": sync.receipts,
            "added": sync.added,
            "updated": sync.updated,
            "removed": sync.removed,
            "need_a_look": sync.checks_total,
        },
        checks=sync.checks,
        checks_total=sync.checks_total,
        check_header="Receipt",
    )
