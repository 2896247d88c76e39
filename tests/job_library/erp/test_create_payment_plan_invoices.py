"""Create Payment Plan Invoices on SQLite and Postgres: installments invoiced once, when due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.erp import create_payment_plan_invoices as module
from job_library.jobs.erp.create_payment_plan_invoices import (
    CreatePaymentPlanInvoices,
    PaymentPlanParams,
)
from job_library.schemas.finance import (
    finance_audit,
    invoice_lines,
    invoices,
    payment_plan_installments,
    payment_plans,
)
from tests.job_library.billing.finance_district import STAMP, Ledger, audit_rows, load_billing
from tests.job_library.jobs_context import run_in_transaction

TODAY = dt.date(2026, 11, 28)  # the test context's clock


def _district(engine) -> None:
    load_billing(engine)
    with engine.begin() as conn:
        plans = [
            (1, 5, "Tuition plan", True),
            (2, 6, "Paused plan", False),
            (3, 7, "Empty plan", True),
            (4, 1, "Book plan", True),
        ]
        conn.execute(
            sa.insert(payment_plans),
            [
                dict(plan_id=p, student_id=s, school_id=1, syear=2026, title=t, active=a, **STAMP)
                for p, s, t, a in plans
            ],
        )
        installments = [
            (1, 1, 1, dt.date(2026, 10, 15), "40.00"),  # missed by earlier runs: caught up
            (2, 1, 2, TODAY, "40.00"),  # due today
            (3, 1, 3, dt.date(2026, 12, 15), "40.00"),  # 17 days ahead
            (4, 2, 1, dt.date(2026, 11, 1), "50.00"),  # its plan is inactive
            (5, 4, 1, dt.date(2026, 11, 29), "33.33"),  # tomorrow
            (6, 4, 2, dt.date(2026, 11, 1), "25.00"),  # invoiced already
        ]
        conn.execute(
            sa.insert(payment_plan_installments),
            [
                dict(installment_id=i, plan_id=p, number=n, due_date=due, amount=Decimal(a))
                for i, p, n, due, a in installments
            ],
        )
        Ledger(conn).invoice("OLD-6", kind="pos", on=dt.date(2026, 11, 1), lines=("25.00",))
        conn.execute(
            sa.update(invoices).where(invoices.c.invoice_number == "OLD-6").values(installment_id=6)
        )


def _invoiced(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                invoices.c.invoice_number,
                invoices.c.student_id,
                invoices.c.due_date,
                invoice_lines.c.description,
                invoice_lines.c.amount,
            )
            .join(invoice_lines, invoice_lines.c.invoice_id == invoices.c.invoice_id)
            .where(invoices.c.invoice_number.like("PP-%"))
        )
        return {
            n: (s, due, text, Decimal(str(a)).quantize(Decimal("0.01")))
            for n, s, due, text, a in rows
        }


def _run(engine, **params):
    return run_in_transaction(engine, CreatePaymentPlanInvoices(), PaymentPlanParams(**params))


def test_due_installments_are_invoiced_once(db):
    _district(db)
    result = _run(db)
    assert _invoiced(db) == {
        "PP-1-1": (5, dt.date(2026, 10, 15), "Tuition plan: installment 1 of 3", Decimal("40.00")),
        "PP-1-2": (5, TODAY, "Tuition plan: installment 2 of 3", Decimal("40.00")),
    }
    assert result.success
    assert dict(result.counts) == {"created": 2, "plans_without_installments": 1}
    assert result.summary == (
        "Created 2 payment plan invoice(s) for installments due by today. 1 active plan(s) "
        "have no installments."
    )
    assert (
        "  PP-1-2: Last5, First5 (5), Tuition plan: installment 2 of 3, 40.00, due 2026-11-28"
        in (result.text)
    )
    assert (
        "  plan 3 (Empty plan, student 7): no installments; add them or make the plan inactive"
    ) in result.text
    assert [r[1:] for r in audit_rows(db, "invoices")] == [
        ("insert", "job test-job", "create_payment_plan_invoices")
    ] * 2
    assert len(audit_rows(db, "invoice_lines")) == 2


@pytest.mark.parametrize(("days", "expected"), [(1, 3), (16, 3), (17, 4)])
def test_days_ahead_boundary(db, days, expected):
    _district(db)
    assert _run(db, days_ahead=days).counts["created"] == expected
    assert len(_invoiced(db)) == expected


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    before = _invoiced(db)
    again = _run(db)
    assert _invoiced(db) == before
    assert again.counts["created"] == 0
    assert again.summary.startswith("No payment plan installment due by today was left to invoice.")


def test_a_failure_midway_leaves_nothing(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _invoiced(db) == {}
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0
    monkeypatch.undo()
    assert _run(db).counts["created"] == 2


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, days_ahead=30, max_listed=1)
    assert "... and 3 more (listing capped at 1)." in result.text
