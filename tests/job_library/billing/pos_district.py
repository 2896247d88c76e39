"""Finance rows for the point-of-sale and receipt jobs' tests, on top of tests' district."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.schemas.finance import (
    account_strips,
    allocations,
    automatic_invoices,
    deferrals,
    finance_audit,
    invoice_lines,
    invoices,
    payment_plan_installments,
    payment_plans,
    payments,
    receipts,
    refunds,
)
from job_library.schemas.integrations import cash_drawers

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))  # the runs' clock
TODAY = NOW.date()
MADE = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
BY = "clerk"


def day(n: int) -> dt.date:
    """``n`` days before the run day."""
    return TODAY - dt.timedelta(days=n)


def money(text: str) -> Decimal:
    return Decimal(text)


def invoice(
    invoice_id: int,
    number: str,
    kind: str,
    on: dt.date,
    *,
    student_id: int | None = 1,
    deleted: bool = False,
    status: str = "open",
    customer: str | None = None,
    **extra,
) -> dict:
    return dict(
        invoice_id=invoice_id,
        invoice_number=number,
        kind=kind,
        status=status,
        deleted=deleted,
        student_id=student_id,
        customer=customer,
        school_id=1,
        syear=2026,
        invoice_date=on,
        created_at=MADE,
        created_by=BY,
        **extra,
    )


def line(line_id: int, invoice_id: int, description: str, amount: str, **extra) -> dict:
    return dict(
        line_id=line_id,
        invoice_id=invoice_id,
        description=description,
        amount=money(amount),
        **extra,
    )


def payment(
    payment_id: int,
    amount: str,
    on: dt.date,
    *,
    valid: bool = True,
    method: str = "cash",
    reference: str | None = None,
    student_id: int | None = 1,
    payer: str | None = None,
    drawer_id: int | None = None,
) -> dict:
    return dict(
        payment_id=payment_id,
        student_id=student_id,
        payer=payer,
        amount=money(amount),
        paid_on=on,
        method=method,
        reference=reference,
        drawer_id=drawer_id,
        valid=valid,
        created_at=MADE,
        created_by=BY,
    )


def allocation(
    allocation_id: int,
    payment_id: int,
    invoice_id: int,
    amount: str,
    *,
    active: bool = True,
    line_id: int | None = None,
) -> dict:
    return dict(
        allocation_id=allocation_id,
        payment_id=payment_id,
        invoice_id=invoice_id,
        line_id=line_id,
        amount=money(amount),
        active=active,
        created_at=MADE,
        created_by=BY,
    )


def insert(engine: sa.Engine, **tables: list[dict]) -> None:
    """Insert rows table by table, in the order given (parents first). A key only some rows
    of a table have is None in the others (an executemany takes the first row's keys)."""
    named = {
        "strips": account_strips,
        "drawers": cash_drawers,
        "automatic": automatic_invoices,
        "plans": payment_plans,
        "installments": payment_plan_installments,
        "invoices": invoices,
        "lines": invoice_lines,
        "payments": payments,
        "allocations": allocations,
        "refunds": refunds,
        "deferrals": deferrals,
        "receipts": receipts,
    }
    with engine.begin() as conn:
        for name, rows in tables.items():
            keys = {k for row in rows for k in row}
            if rows:
                conn.execute(
                    sa.insert(named[name]), [{k: row.get(k) for k in keys} for row in rows]
                )


def audit_rows(engine: sa.Engine, table: str) -> list[tuple]:
    a = finance_audit
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(a.c.record_id, a.c.change, a.c.changed_by, a.c.job_key, a.c.changed_at)
                .where(a.c.table_name == table)
                .order_by(a.c.record_id, a.c.audit_id)
            )
        ]


def same_instant(stored: dt.datetime, expected: dt.datetime) -> bool:
    """Whether a stored time is ``expected``: SQLite gives back the naive wall time written."""
    if stored.tzinfo is None:
        return stored == expected.replace(tzinfo=None)
    return stored == expected
