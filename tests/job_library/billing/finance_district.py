"""Small builders for finance test data: invoices with lines, payments, allocations,
refunds and deferrals, written straight into the tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from job_library.schemas.finance import (
    allocations,
    deferrals,
    finance_audit,
    invoice_lines,
    invoices,
    payments,
    refunds,
)

STAMP = dict(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), created_by="clerk")


def money(value: str) -> Decimal:
    return Decimal(value)


class Ledger:
    """Writes finance rows with fresh ids on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.next_payment = 1

    def invoice(
        self,
        number: str,
        *,
        kind: str = "ar",
        on: dt.date,
        lines: tuple[str, ...] = ("60.00", "40.00"),
        student: int | None = 1,
        status: str = "open",
        deleted: bool = False,
        due: dt.date | None = None,
        school: int | None = 1,
    ) -> int:
        invoice_id = self.conn.execute(
            sa.insert(invoices)
            .values(
                invoice_number=number,
                kind=kind,
                status=status,
                deleted=deleted,
                student_id=student,
                customer=None if student else "Walk-in",
                school_id=school,
                invoice_date=on,
                due_date=due,
                **STAMP,
            )
            .returning(invoices.c.invoice_id)
        ).scalar_one()
        if lines:
            self.conn.execute(
                sa.insert(invoice_lines),
                [
                    dict(invoice_id=invoice_id, description=f"line {n}", amount=money(a))
                    for n, a in enumerate(lines, 1)
                ],
            )
        return invoice_id

    def pay(
        self,
        invoice_id: int,
        amount: str,
        *,
        valid: bool = True,
        active: bool = True,
        on: dt.date = dt.date(2026, 10, 1),
    ) -> int:
        payment_id = self.conn.execute(
            sa.insert(payments)
            .values(amount=money(amount), paid_on=on, method="cash", valid=valid, **STAMP)
            .returning(payments.c.payment_id)
        ).scalar_one()
        self.conn.execute(
            sa.insert(allocations).values(
                payment_id=payment_id,
                invoice_id=invoice_id,
                amount=money(amount),
                active=active,
                **STAMP,
            )
        )
        return payment_id

    def refund(self, payment_id: int, invoice_id: int, amount: str) -> None:
        self.conn.execute(
            sa.insert(refunds).values(
                payment_id=payment_id,
                invoice_id=invoice_id,
                amount=money(amount),
                refunded_on=dt.date(2026, 10, 15),
                **STAMP,
            )
        )

    def defer(
        self,
        invoice_id: int,
        amount: str,
        *,
        active: bool = True,
        on: dt.date = dt.date(2026, 10, 2),
        code: str | None = None,
        line_id: int | None = None,
    ) -> int:
        return self.conn.execute(
            sa.insert(deferrals)
            .values(
                invoice_id=invoice_id,
                line_id=line_id,
                amount=money(amount),
                deferred_on=on,
                fee_status_code=code,
                active=active,
                **STAMP,
            )
            .returning(deferrals.c.deferral_id)
        ).scalar_one()


def audit_rows(engine: sa.Engine, table: str) -> list[tuple]:
    a = finance_audit
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(a.c.record_id, a.c.change, a.c.changed_by, a.c.job_key)
                .where(a.c.table_name == table)
                .order_by(a.c.record_id)
            )
        ]
