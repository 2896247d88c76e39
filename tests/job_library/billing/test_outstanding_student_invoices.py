"""Outstanding Student Invoices on SQLite and Postgres: balances worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.billing import outstanding_student_invoices as module
from job_library.jobs.billing.outstanding_student_invoices import (
    OutstandingParams,
    OutstandingStudentInvoices,
)
from job_library.schemas.finance import finance_audit, student_balances
from tests.job_library.billing.finance_district import Ledger, audit_rows, load_billing
from tests.job_library.jobs_context import run_in_transaction

TODAY = dt.date(2026, 11, 28)  # the test context's clock
STAMP_AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _d(month, day):
    return dt.date(2026, month, day)


def _district(engine) -> None:
    load_billing(engine)
    with engine.begin() as conn:
        ledger = Ledger(conn)
        on = _d(10, 1)
        # 1: 100.00 due 1 Nov, 30.30 paid (69.70 owed); 7.50 due 10 Dec unpaid.
        ledger.pay(ledger.invoice("S1-A", on=on, student=1, due=_d(11, 1)), "30.30")
        ledger.invoice("S1-B", kind="pos", on=on, student=1, lines=("7.50",), due=_d(12, 10))
        # 2: paid in full; a voided one.
        ledger.pay(ledger.invoice("S2-A", on=on, student=2, due=_d(11, 1)), "100.00")
        ledger.invoice("S2-B", on=on, student=2, lines=("25.00",), status="voided")
        # 3: fully deferred; 40.00 paid 30.30, refunded 10.10 (19.80 owed, due 15 Dec).
        ledger.defer(ledger.invoice("S3-A", on=on, student=3, due=_d(11, 1)), "100.00")
        i = ledger.invoice("S3-B", on=on, student=3, lines=("40.00",), due=_d(12, 15))
        ledger.refund(ledger.pay(i, "30.30"), i, "10.10")
        # 4: a deleted POS invoice; 20.00 overpaid with 25.00.
        ledger.invoice("S4-A", kind="pos", on=on, student=4, lines=("50.00",), deleted=True)
        ledger.pay(ledger.invoice("S4-B", on=on, student=4, lines=("20.00",)), "25.00")
        # 5: internal account invoice, no due date, dated 20 Nov.
        ledger.invoice("S5-A", kind="internal", on=_d(11, 20), student=5, lines=("12.34",))
        # 6: paid by a bounced payment, due 27 Nov; 7: due today.
        i = ledger.invoice("S6-A", on=on, student=6, lines=("10.00",), due=_d(11, 27))
        ledger.pay(i, "10.00", valid=False)
        ledger.invoice("S7-A", on=on, student=7, lines=("5.00",), due=TODAY)
        ledger.invoice("WALK-IN", kind="pos", on=on, student=None, lines=("9.99",))
        conn.execute(
            sa.insert(student_balances),
            [
                dict(
                    student_id=s,
                    balance=Decimal(b),
                    open_invoices=n,
                    oldest_due_date=due,
                    updated_at=STAMP_AT,
                )
                for s, b, n, due in (
                    (2, "25.00", 1, _d(11, 1)),
                    (3, "19.80", 1, _d(12, 15)),
                    (5, "10.00", 1, _d(11, 20)),
                )
            ],
        )


def _balances(engine) -> dict[int, tuple]:
    sb = student_balances
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sb.c.student_id, sb.c.balance, sb.c.open_invoices, sb.c.oldest_due_date)
        )
        return {s: (Decimal(str(b)).quantize(Decimal("0.01")), n, due) for s, b, n, due in rows}


def _run(engine, **params):
    return run_in_transaction(engine, OutstandingStudentInvoices(), OutstandingParams(**params))


M = Decimal


def test_balances_by_hand(db):
    _district(db)
    result = _run(db)
    assert _balances(db) == {
        1: (M("77.20"), 2, _d(11, 1)),
        3: (M("19.80"), 1, _d(12, 15)),
        5: (M("12.34"), 1, _d(11, 20)),
        6: (M("10.00"), 1, _d(11, 27)),
        7: (M("5.00"), 1, TODAY),
    }
    assert result.success
    assert dict(result.counts) == {
        "owing": 5,
        "flagged": 3,
        "updated": 1,
        "cleared": 1,
        "overpaid_invoices": 1,
    }
    assert result.summary == (
        "5 student(s) owe on invoices: flagged 3, updated 1, cleared 1. 1 overpaid "
        "invoice(s) listed."
    )
    text = result.text
    assert "  student 2 (Last2, First2): cleared, balance 25.00 -> -, 0 invoice(s) owing" in text
    assert "  student 5 (Last5, First5): updated, balance 10.00 -> 12.34, 1 invoice(s)" in text
    assert (
        "  student 1 (Last1, First1): flagged, balance - -> 77.20, 2 invoice(s) owing, "
        "oldest due 2026-11-01"
    ) in text
    assert (
        "  overpaid: invoice S4-B of Last4, First4 (4): paid 25.00 of 20.00; the extra is "
        "not applied elsewhere"
    ) in text
    assert "student 3 " not in text  # unchanged
    assert [r[:2] for r in audit_rows(db, "student_balances")] == [
        (1, "insert"),
        (2, "delete"),
        (5, "update"),
        (6, "insert"),
        (7, "insert"),
    ]


def test_only_past_due_invoices(db):
    _district(db)
    result = _run(db, only_past_due=True)
    assert _balances(db) == {
        1: (M("69.70"), 1, _d(11, 1)),
        5: (M("12.34"), 1, _d(11, 20)),
        6: (M("10.00"), 1, _d(11, 27)),
    }  # 7 is due today: not past due yet; 3's invoice is due in December
    assert (result.counts["flagged"], result.counts["cleared"]) == (2, 2)


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    before = _balances(db)
    again = _run(db)
    assert _balances(db) == before
    assert again.summary == (
        "Balance-due marks already current (5 student(s) owe on invoices). 1 overpaid "
        "invoice(s) listed."
    )
    assert len(audit_rows(db, "student_balances")) == 5


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)
    before = _balances(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _balances(db) == before
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert "... and 3 more (listing capped at 2)." in result.text
