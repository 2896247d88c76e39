"""Void Overdue AR Invoices on SQLite and Postgres: every payment case at N-1, N and N+1 days."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest
import sqlalchemy as sa

from job_library.jobs.billing import void_overdue_ar_invoices as module
from job_library.jobs.billing.void_overdue_ar_invoices import (
    VoidOverdueArInvoices,
    VoidOverdueParams,
)
from job_library.schemas.finance import finance_audit, invoices
from tests.job_library.billing.finance_district import Ledger, audit_rows
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

TODAY = dt.date(2026, 11, 28)  # the test context's clock: 28 Nov 2026, 02:00 New York
N = 30
AGES = {N - 1: "y", N: "n", N + 1: "o"}  # young, exactly N days, older

# Every invoice is 100.00 (lines 60.00 and 40.00). Case -> what the run must do.
CASES = {
    "A": "void",  # never paid
    "B": "void",  # its only allocation was undone (inactive)
    "C": "void",  # paid in full by a payment that bounced (not valid)
    "D": "deferred",  # an active deferral
    "E": "void",  # a deferral that was removed (inactive)
    "F": "partial",  # 30.30 paid
    "G": "void",  # 30.30 paid, then refunded 10.10 + 20.20: fully refunded
    "H": "partial",  # 30.30 paid, 10.10 refunded
    "I": "paid",  # paid in full
    "J": "bad",  # 10.00 paid, 15.00 refunded
}


def _district(engine) -> dict[str, int]:
    load(engine)
    ids = {}
    with engine.begin() as conn:
        ledger = Ledger(conn)
        for age, tag in AGES.items():
            on = TODAY - dt.timedelta(days=age)
            for n, case in enumerate(CASES):
                number = f"AR-{case}{tag}"
                i = ids[number] = ledger.invoice(number, on=on, student=n % 5 + 1)
                if case == "B":
                    ledger.pay(i, "40.00", active=False)
                elif case == "C":
                    ledger.pay(i, "100.00", valid=False)
                elif case in "DE":
                    ledger.defer(i, "100.00", active=case == "D")
                elif case in "FGH":
                    p = ledger.pay(i, "30.30")
                    if case == "G":
                        ledger.refund(p, i, "10.10")
                        ledger.refund(p, i, "20.20")
                    elif case == "H":
                        ledger.refund(p, i, "10.10")
                elif case == "I":
                    ledger.pay(i, "60.00")
                    ledger.pay(i, "40.00")
                elif case == "J":
                    p = ledger.pay(i, "10.00")
                    ledger.refund(p, i, "15.00")
        old = TODAY - dt.timedelta(days=N + 1)
        # Never this job's: other kinds, already voided, a deleted one.
        for number, kind, status, deleted in (
            ("POS-1", "pos", "open", False),
            ("INT-1", "internal", "open", False),
            ("AR-VOIDED", "ar", "voided", False),
            ("AR-DELETED", "ar", "open", True),
        ):
            ids[number] = ledger.invoice(
                number, kind=kind, on=old, status=status, deleted=deleted, student=None
            )
    return ids


def _statuses(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(invoices.c.invoice_number, invoices.c.status)).all())


def _expected_voided() -> set[str]:
    return {
        f"AR-{case}{tag}"
        for age, tag in AGES.items()
        for case, outcome in CASES.items()
        if outcome == "void" and age >= N
    }


def _run(engine, **params):
    return run_in_transaction(
        engine, VoidOverdueArInvoices(), VoidOverdueParams(days_old=N, **params)
    )


def test_the_matrix_of_cases_at_n_minus_one_n_and_n_plus_one_days(db):
    ids = _district(db)
    before = _statuses(db)
    result = _run(db)
    after = _statuses(db)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == _expected_voided()
    assert len(changed) == 10  # A, B, C, E, G at N and N+1 days
    assert after["AR-Ay"] == "open" and after["AR-An"] == "voided" and after["AR-Ao"] == "voided"
    assert {after[k] for k in ("POS-1", "INT-1", "AR-DELETED")} == {"open"}
    assert result.success
    assert dict(result.counts) == {
        "voided": 10,
        "kept_deferred": 2,  # D at N and N+1 (at N-1 it is not overdue yet)
        "kept_partly_paid": 4,  # F and H
        "kept_paid": 2,  # I
        "bad": 2,  # J
    }
    assert result.summary == (
        "Voided 10 unpaid AR invoice(s) 30+ days old. Kept: 2 deferred, 4 partly paid, "
        "2 paid. 2 invoice(s) need their refunds corrected."
    )
    assert "  invoice AR-Gn (Last2, First2 (2)), 2026-10-29, 30 days, 100.00: every payment " in (
        result.text
    )
    assert (
        "  not voided: invoice AR-Jo (Last5, First5 (5)): refunds (15.00) exceed the valid "
        "payments (10.00); correct the refunds"
    ) in result.text
    with db.connect() as conn:
        row = conn.execute(sa.select(invoices).where(invoices.c.invoice_number == "AR-An")).one()
    assert row.voided_by == "job test-job"
    assert row.void_reason == "no valid payment 30+ days after the invoice date"
    audit = audit_rows(db, "invoices")
    assert audit == sorted(
        (ids[n], "update", "job test-job", "void_overdue_ar_invoices") for n in changed
    )


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    statuses = _statuses(db)
    again = _run(db)
    assert _statuses(db) == statuses
    assert again.counts["voided"] == 0
    assert again.summary.startswith("No open AR invoice 30+ days old was unpaid; nothing voided.")
    assert len(audit_rows(db, "invoices")) == 10


def test_a_day_later_the_young_ones_are_due(db):
    _district(db)
    result = run_in_transaction(
        db,
        VoidOverdueArInvoices(),
        VoidOverdueParams(days_old=N),
        now=dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC),
    )
    assert result.counts["voided"] == 15


def test_a_failure_midway_leaves_every_invoice_and_no_audit(db, monkeypatch):
    _district(db)
    before = _statuses(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _statuses(db) == before
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0
    monkeypatch.undo()
    assert _run(db).counts["voided"] == 10


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 2  # one voided, one bad
    assert "... and 10 more (listing capped at 2)." in result.text


def test_days_old_must_be_a_positive_number():
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 1"):
        VoidOverdueParams(days_old=0)
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        VoidOverdueParams(days=3)
