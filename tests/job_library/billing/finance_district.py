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


SYEAR = 2026
HIGH, ADULT = 1, 2
WELDING, ESOL, NURSING = "W100001", "E200002", "N300003"


def load_billing(engine: sa.Engine) -> None:
    """A high school and an adult center in 2026-2027, eight students:

    1 grade 09 at the high school; 2 grade 10 there; 3 grade 09, withdrawn 20 Nov; 4 grade 09,
    enrolls 1 Dec; 5 adult, scheduled in Welding (cost code 400); 6 adult, in ESOL (372 on its
    schedule record); 7 grade 09 at the high school and a second enrollment at the adult
    center; 8 adult, in Nursing (program cost code 371) and Welding.
    """
    from job_library.schemas.district import (
        attendance_calendars,
        grade_levels,
        school_periods,
        school_years,
        schools,
    )
    from job_library.schemas.enrollment import student_enrollment, students
    from job_library.schemas.fps import fps_programs
    from job_library.schemas.scheduling import course_periods, courses, schedule

    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=SYEAR,
                    title="2026-2027",
                    start_date=dt.date(2026, 8, 10),
                    end_date=dt.date(2027, 6, 30),
                    is_default=True,
                )
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=HIGH,
                    title="North High",
                    short_name="NH",
                    school_number="0101",
                    district_number="37",
                    adult_ed=False,
                ),
                dict(
                    school_id=ADULT,
                    title="Adult Center",
                    short_name="AC",
                    school_number="0202",
                    district_number="37",
                    adult_ed=True,
                ),
            ],
        )
        conn.execute(
            sa.insert(grade_levels),
            [
                dict(grade_id=1, short_name="09", title="Grade 9", sort_order=9),
                dict(grade_id=2, short_name="10", title="Grade 10", sort_order=10),
                dict(grade_id=3, short_name="AD", title="Adult", sort_order=20),
            ],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [
                dict(calendar_id=1, school_id=HIGH, syear=SYEAR, title="Main"),
                dict(calendar_id=2, school_id=ADULT, syear=SYEAR, title="Main"),
            ],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=1,
                    school_id=HIGH,
                    syear=SYEAR,
                    short_name="P1",
                    title="Period 1",
                    sort_order=1,
                    length_minutes=60,
                ),
                dict(
                    period_id=2,
                    school_id=ADULT,
                    syear=SYEAR,
                    short_name="E1",
                    title="Evening 1",
                    sort_order=1,
                    length_minutes=180,
                ),
            ],
        )
        conn.execute(
            sa.insert(fps_programs),
            [
                dict(program_number=WELDING, title="Welding", cost_code="400"),
                dict(program_number=ESOL, title="Adult ESOL", cost_code="401"),
                dict(program_number=NURSING, title="Practical Nursing", cost_code="371"),
            ],
        )
        conn.execute(
            sa.insert(students),
            [dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}") for i in range(1, 9)],
        )
        start = dt.date(2026, 8, 10)
        rows = [
            (1, HIGH, 1, start, None, False),
            (2, HIGH, 2, start, None, False),
            (3, HIGH, 1, start, dt.date(2026, 11, 20), False),
            (4, HIGH, 1, dt.date(2026, 12, 1), None, False),
            (5, ADULT, 3, start, None, False),
            (6, ADULT, 3, start, None, False),
            (7, HIGH, 1, start, None, False),
            (7, ADULT, 1, start, None, True),
            (8, ADULT, 3, start, None, False),
        ]
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(
                    student_id=s,
                    syear=SYEAR,
                    school_id=school,
                    grade_id=g,
                    calendar_id=school,
                    start_date=on,
                    end_date=end,
                    second_school=second,
                )
                for s, school, g, on, end, second in rows
            ],
        )
        conn.execute(
            sa.insert(courses),
            [
                dict(
                    course_id=1,
                    school_id=HIGH,
                    syear=SYEAR,
                    title="Algebra I",
                    short_name="ALG1",
                    program_number=None,
                ),
                dict(
                    course_id=2,
                    school_id=ADULT,
                    syear=SYEAR,
                    title="Welding I",
                    short_name="WLD1",
                    program_number=WELDING,
                ),
                dict(
                    course_id=3,
                    school_id=ADULT,
                    syear=SYEAR,
                    title="ESOL I",
                    short_name="ESL1",
                    program_number=ESOL,
                ),
                dict(
                    course_id=4,
                    school_id=ADULT,
                    syear=SYEAR,
                    title="Nursing I",
                    short_name="NRS1",
                    program_number=NURSING,
                ),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=c,
                    course_id=c,
                    school_id=HIGH if c == 1 else ADULT,
                    syear=SYEAR,
                    period_id=1 if c == 1 else 2,
                    short_name=f"S{c}",
                    title=f"Section {c}",
                )
                for c in (1, 2, 3, 4)
            ],
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    id=sid,
                    student_id=s,
                    syear=SYEAR,
                    school_id=HIGH if c == 1 else ADULT,
                    course_id=c,
                    course_period_id=c,
                    start_date=start,
                    cost_reporting_code=crc,
                )
                for sid, s, c, crc in (
                    (1, 1, 1, None),
                    (2, 5, 2, None),
                    (3, 6, 3, "372"),
                    (4, 8, 4, None),
                    (5, 8, 2, None),
                )
            ],
        )
