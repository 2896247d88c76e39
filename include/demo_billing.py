"""The demo district's point-of-sale invoices, payments and receipts (ids from 9001).

What they give the jobs: an abandoned register sale three days old (Delete Stale POS
Invoices flags it) beside one rung up today and an unpaid AR invoice (both kept); POS
invoices with payments for POS Invoice Table Update to copy; receipts from the front
office and the Store, yesterday and today (Generate PDFs from Receipts) and last month (a
past date), each with an account strip (Power BI Postsecondary Receipt Report).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

FIRST_ID = 9001
CLERK = "demo"


def load_demo_pos_and_receipts(conn: sa.Connection, today: dt.date, student_ids: list[int]) -> None:
    """Insert the rows; the cash drawers 1 (front office) and 2 (Store) must exist.

    :param today: the demo district's day (the last school day with attendance).
    :param student_ids: three of the demo's students, who bought and paid.
    """
    from job_library.schemas.finance import (
        account_strips,
        allocations,
        invoice_lines,
        invoices,
        payments,
        receipts,
    )

    made = dt.datetime.combine(today, dt.time(12, 0), dt.UTC)
    a, b, c = student_ids[:3]
    ids = range(FIRST_ID, FIRST_ID + 10)

    def at(days_before: int) -> dt.date:
        return today - dt.timedelta(days=days_before)

    def stamp(row: dict) -> dict:
        return {**row, "created_at": made, "created_by": CLERK}

    conn.execute(
        sa.insert(account_strips),
        [
            dict(
                strip_id=ids[0],
                strip="110-5100-3450-0101",
                level1_num="110",
                level1_title="General Fund",
                level2_num="5100",
                level2_title="Basic Instruction",
                level3_num="3450",
                level3_title="Student Fees",
                level4_num="0101",
                level4_title="Front Office",
                level5_num=None,
                level5_title=None,
            ),
            dict(
                strip_id=ids[1],
                strip="420-7900-3470-0101",
                level1_num="420",
                level1_title="Internal Accounts",
                level2_num="7900",
                level2_title="Student Activities",
                level3_num="3470",
                level3_title="Store Sales",
                level4_num="0101",
                level4_title="Student Store",
                level5_num=None,
                level5_title=None,
            ),
        ],
    )
    invoice = dict(school_id=None, syear=None, due_date=None)
    conn.execute(
        sa.insert(invoices),
        [
            stamp(
                {
                    **invoice,
                    "invoice_id": i,
                    "invoice_number": n,
                    "kind": k,
                    "student_id": s,
                    "invoice_date": at(d),
                    "customer": None,
                }
            )
            for i, n, k, s, d in (
                (ids[0], "POS-9001", "pos", a, 3),  # abandoned at the register
                (ids[1], "POS-9002", "pos", b, 0),  # rung up today, not paid yet
                (ids[2], "POS-9003", "pos", a, 1),  # paid in full
                (ids[3], "AR-9004", "ar", c, 40),  # unpaid AR invoice: never flagged
                (ids[4], "POS-9005", "pos", c, 0),  # Store sale, part paid
                (ids[5], "POS-9006", "pos", b, 30),  # paid last month
            )
        ],
    )
    conn.execute(
        sa.insert(invoice_lines),
        [
            dict(
                line_id=i,
                invoice_id=inv,
                description=t,
                amount=Decimal(m),
                strip_id=s,
                fee_id=None,
                schedule_id=None,
            )
            for i, inv, t, m, s in (
                (ids[0], ids[0], "Planner", "6.00", ids[1]),
                (ids[1], ids[1], "Field trip", "15.00", ids[0]),
                (ids[2], ids[2], "Yearbook", "25.00", ids[0]),
                (ids[3], ids[3], "Lab fee", "30.00", ids[0]),
                (ids[4], ids[4], "Hoodie", "28.00", ids[1]),
                (ids[5], ids[5], "Graduation cap", "18.00", ids[0]),
            )
        ],
    )
    conn.execute(
        sa.insert(payments),
        [
            stamp(
                dict(
                    payment_id=i,
                    student_id=s,
                    payer=p,
                    amount=Decimal(m),
                    paid_on=at(d),
                    method=how,
                    reference=ref,
                    drawer_id=drawer,
                    drawer_payment_id=None,
                    valid=True,
                )
            )
            for i, s, p, m, d, how, ref, drawer in (
                (ids[0], a, "Pat Rivera", "25.00", 1, "cash", None, 1),
                (ids[1], c, "Sam Chen", "10.00", 0, "card", "60009002", 2),
                (ids[2], b, "Lee Brooks", "18.00", 30, "check", "1042", 1),
            )
        ],
    )
    conn.execute(
        sa.insert(allocations),
        [
            stamp(
                dict(
                    allocation_id=i,
                    payment_id=p,
                    invoice_id=inv,
                    line_id=ln,
                    amount=Decimal(m),
                    active=True,
                )
            )
            for i, p, inv, ln, m in (
                (ids[0], ids[0], ids[2], ids[2], "25.00"),
                (ids[1], ids[1], ids[4], ids[4], "10.00"),
                (ids[2], ids[2], ids[5], ids[5], "18.00"),
            )
        ],
    )
    conn.execute(
        sa.insert(receipts),
        [
            stamp(
                dict(
                    receipt_id=i,
                    receipt_number=n,
                    transaction_number=t,
                    receipt_date=at(d),
                    fiscal_year=fy,
                    source=src,
                    payment_id=p,
                    refund_id=None,
                    student_id=s,
                    drawer_id=drawer,
                    customer=who,
                    invoiced_to=to,
                    receipt_amount=Decimal(m),
                    allocation_amount=Decimal(m),
                    payment_amount=Decimal(m),
                    refund_amount=Decimal("0.00"),
                    strip_id=strip,
                    pdf_file=None,
                    pdf_saved_at=None,
                )
            )
            for i, n, t, d, src, p, s, drawer, who, to, m, strip, fy in (
                (
                    ids[0],
                    "R-9001",
                    "T-9001",
                    1,
                    "pos",
                    ids[0],
                    a,
                    1,
                    "Pat Rivera",
                    "Pat Rivera",
                    "25.00",
                    ids[0],
                    _fiscal_year(at(1)),
                ),
                (
                    ids[1],
                    "R-9002",
                    "60009002",
                    0,
                    "store",
                    ids[1],
                    c,
                    2,
                    "Sam Chen",
                    "Sam Chen",
                    "10.00",
                    ids[1],
                    _fiscal_year(at(0)),
                ),
                (
                    ids[2],
                    "R-9003",
                    "T-9003",
                    30,
                    "pos",
                    ids[2],
                    b,
                    1,
                    "Lee Brooks",
                    "Lee Brooks",
                    "18.00",
                    ids[0],
                    _fiscal_year(at(30)),
                ),
            )
        ],
    )


def _fiscal_year(day: dt.date) -> int:
    """Florida districts' fiscal year runs July to June and is named by its ending year."""
    return day.year + 1 if day.month >= 7 else day.year
