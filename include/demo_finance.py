"""The demo district's student finance: fees, a district fee template, an Automatic Invoices
set-up, AR invoices with payments, refunds and deferrals, a payment plan and adult course fees,
so the billing jobs have real work on `make run`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.schemas.finance import (
    account_strips,
    allocations,
    automatic_invoice_fees,
    automatic_invoice_terms,
    automatic_invoices,
    deferrals,
    district_fee_templates,
    fees,
    invoice_lines,
    invoices,
    payment_plan_installments,
    payment_plans,
    payments,
    refunds,
)

if TYPE_CHECKING:
    from include.demo_district import DemoYear

FIRST_SCHOOL = 1
ADULT_SCHOOL = 8
ESOL = "9900040"  # the adult center's programs (include/demo_assessments.py)


def _active_students(conn: sa.Connection, school: int, syear: int, on: dt.date) -> list[tuple]:
    """(student, grade short name) of the school's primary enrollments active on ``on``."""
    return [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT e.student_id, g.short_name FROM student_enrollment e "
                "JOIN grade_levels g ON g.grade_id = e.grade_id "
                "WHERE e.school_id = :s AND e.syear = :y AND e.second_school = FALSE "
                "AND e.start_date <= :on AND (e.end_date IS NULL OR e.end_date >= :on) "
                "ORDER BY e.student_id LIMIT 8"
            ).bindparams(sa.bindparam("on", on, type_=sa.Date)),
            {"s": school, "y": syear},
        )
    ]


def _adult_records(conn: sa.Connection, syear: int) -> list[tuple[int, int]]:
    """(schedule record, student) of three adult students' first records."""
    rows = conn.execute(
        sa.text(
            "SELECT MIN(s.id), s.student_id FROM schedule s "
            "WHERE s.school_id = :s AND s.syear = :y GROUP BY s.student_id "
            "ORDER BY s.student_id LIMIT 3"
        ),
        {"s": ADULT_SCHOOL, "y": syear},
    )
    return [(r[0], r[1]) for r in rows]


def load_demo_finance(conn: sa.Connection, year: DemoYear) -> None:
    """Add the finance data on top of the generated district (after its programs)."""
    today = year.as_of
    at = dt.datetime.combine(today - dt.timedelta(days=120), dt.time(9, 0), dt.UTC)
    stamp = dict(created_at=at, created_by="demo")
    syear = year.syear
    conn.execute(
        sa.insert(account_strips).values(
            strip_id=1,
            strip="110-5100-3400",
            level1_num="110",
            level1_title="General Fund",
            level2_num="5100",
            level2_title="Basic Programs",
            level3_num="3400",
            level3_title="Tuition and Fees",
        )
    )
    conn.execute(
        sa.insert(fees),
        [
            dict(fee_id=1, school_id=FIRST_SCHOOL, syear=syear, title="Activity fee",
                 program_number=None, amount=Decimal("15.00"), strip_id=1, template_id=None,
                 **stamp),
            dict(fee_id=2, school_id=ADULT_SCHOOL, syear=syear, title="Adult course fee",
                 program_number=None, amount=Decimal("45.00"), strip_id=1, template_id=None,
                 **stamp),
        ],
    )  # fmt: skip
    # A district template pushed out before the adult center built two of its programs:
    # only ESOL has its fee (Automatic Application of District Template Fees adds the rest).
    conn.execute(
        sa.insert(district_fee_templates).values(
            template_id=1, syear=syear, title="Lab materials", amount=Decimal("12.00"),
            strip_id=1, pushed_at=at,
        )
    )  # fmt: skip
    conn.execute(
        sa.insert(fees).values(
            fee_id=3, school_id=ADULT_SCHOOL, syear=syear, title="Lab materials",
            program_number=ESOL, amount=Decimal("12.00"), strip_id=1, template_id=1, **stamp,
        )
    )  # fmt: skip
    students = _active_students(conn, FIRST_SCHOOL, syear, today)
    if students:
        # Automatic Billing Invoices: a monthly activity fee for one grade of the school.
        conn.execute(
            sa.insert(automatic_invoices).values(
                automatic_invoice_id=1, title="Monthly activity fee", school_id=FIRST_SCHOOL,
                syear=syear, interval="month", due_days=15,
            )
        )  # fmt: skip
        conn.execute(sa.insert(automatic_invoice_fees).values(automatic_invoice_id=1, fee_id=1))
        conn.execute(
            sa.insert(automatic_invoice_terms).values(
                automatic_invoice_id=1, term="grade", value=students[0][1]
            )
        )
    _ar_invoices(conn, [s for s, _ in students], today, stamp)
    _adult_fees(conn, syear, today, stamp)


def _invoice(conn, invoice_id, number, kind, student, school, syear, on, due, amount, stamp,
             *, schedule_id=None):  # fmt: skip
    conn.execute(
        sa.insert(invoices).values(
            invoice_id=invoice_id, invoice_number=number, kind=kind, student_id=student,
            school_id=school, syear=syear, invoice_date=on, due_date=due, **stamp,
        )
    )  # fmt: skip
    conn.execute(
        sa.insert(invoice_lines).values(
            line_id=invoice_id, invoice_id=invoice_id, description=number,
            amount=Decimal(amount), strip_id=1, schedule_id=schedule_id,
        )
    )  # fmt: skip


def _ar_invoices(conn, students: list[int], today: dt.date, stamp: dict) -> None:
    """Three AR invoices 90 days old (unpaid, partly paid, paid and refunded in full) and
    a recent unpaid one: Void Overdue AR Invoices voids two, the balances show three."""
    if len(students) < 3:
        return
    old, recent = today - dt.timedelta(days=90), today - dt.timedelta(days=10)
    syear = None
    rows = [
        (1, "AR-DEMO-1", students[0], old, "45.00"),
        (2, "AR-DEMO-2", students[1], old, "45.00"),
        (3, "AR-DEMO-3", students[2], old, "45.00"),
        (4, "AR-DEMO-4", students[0], recent, "30.00"),
    ]
    for invoice_id, number, student, on, amount in rows:
        _invoice(conn, invoice_id, number, "ar", student, FIRST_SCHOOL, syear, on,
                 on + dt.timedelta(days=30), amount, stamp)  # fmt: skip
    paid_on = old + dt.timedelta(days=5)
    conn.execute(
        sa.insert(payments),
        [
            dict(payment_id=p, student_id=s, payer="Parent", amount=Decimal("20.00"),
                 paid_on=paid_on, method="cash", drawer_id=3, **stamp)
            for p, s in ((1, students[1]), (2, students[2]))
        ],
    )  # fmt: skip
    conn.execute(
        sa.insert(allocations),
        [
            dict(payment_id=p, invoice_id=i, amount=Decimal("20.00"), **stamp)
            for p, i in ((1, 2), (2, 3))
        ],
    )
    conn.execute(
        sa.insert(refunds).values(
            payment_id=2, invoice_id=3, amount=Decimal("20.00"),
            refunded_on=paid_on + dt.timedelta(days=3), reason="Withdrew", **stamp,
        )
    )  # fmt: skip


def _adult_fees(conn, syear: int, today: dt.date, stamp: dict) -> None:
    """Adult course fees: the first record's fee deferred twice, the second's once, the
    third record on cost reporting code 371; and a payment plan for the first student."""
    records = _adult_records(conn, syear)
    if len(records) < 3:
        return
    on = today - dt.timedelta(days=70)
    for n, (record, student) in enumerate(records):
        invoice_id = 11 + n
        _invoice(conn, invoice_id, f"POS-FEE-{n + 1}", "pos", student, ADULT_SCHOOL, syear,
                 on, on + dt.timedelta(days=30), "45.00", stamp, schedule_id=record)  # fmt: skip
    codes = [(11, "D", 60), (11, "E", 50), (12, "D", 55)]
    conn.execute(
        sa.insert(deferrals),
        [
            dict(invoice_id=i, line_id=i, amount=Decimal("20.00"),
                 deferred_on=today - dt.timedelta(days=ago), fee_status_code=code,
                 reason="Fee deferral", **stamp)
            for i, code, ago in codes
        ],
    )  # fmt: skip
    conn.execute(
        sa.text("UPDATE schedule SET cost_reporting_code = '371' WHERE id = :id"),
        {"id": records[2][0]},
    )
    conn.execute(
        sa.insert(payment_plans).values(
            plan_id=1, student_id=records[0][1], school_id=ADULT_SCHOOL, syear=syear,
            title="Tuition payment plan", fee_id=2, strip_id=1, **stamp,
        )
    )  # fmt: skip
    conn.execute(
        sa.insert(payment_plan_installments),
        [
            dict(plan_id=1, number=n, due_date=today + dt.timedelta(days=days),
                 amount=Decimal("100.00"))
            for n, days in ((1, -30), (2, -1), (3, 30))
        ],
    )  # fmt: skip
