"""Automatic Billing Invoices on SQLite and Postgres: who matches, and never twice per interval
across week, month and semester boundaries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pydantic
import pytest
import sqlalchemy as sa

from job_library.jobs.billing import automatic_billing_invoices as module
from job_library.jobs.billing.automatic_billing_invoices import (
    AutomaticBillingInvoices,
    AutomaticBillingParams,
    interval_key,
)
from job_library.schemas.finance import (
    automatic_invoice_fees,
    automatic_invoice_terms,
    automatic_invoices,
    fees,
    finance_audit,
    invoice_lines,
    invoices,
)
from tests.job_library.billing.finance_district import (
    ADULT,
    HIGH,
    STAMP,
    SYEAR,
    WELDING,
    audit_rows,
    load_billing,
)
from tests.job_library.jobs_context import run_in_transaction


def _at(y, m, d):
    return dt.datetime(y, m, d, 2, 0, tzinfo=dt.UTC)


SUN_29_NOV, MON_30_NOV, TUE_1_DEC = _at(2026, 11, 29), _at(2026, 11, 30), _at(2026, 12, 1)
SUN_3_JAN, MON_4_JAN = _at(2027, 1, 3), _at(2027, 1, 4)


def _district(engine) -> None:
    load_billing(engine)
    with engine.begin() as conn:
        fee_rows = [
            (1, HIGH, "Activity", "25.00", True),
            (2, HIGH, "Lab", "7.50", True),
            (3, ADULT, "Tuition", "120.00", True),
            (4, HIGH, "Semester", "40.00", True),
            (5, HIGH, "Old", "10.00", False),
        ]
        conn.execute(
            sa.insert(fees),
            [
                dict(
                    fee_id=f,
                    school_id=school,
                    syear=SYEAR,
                    title=title,
                    amount=Decimal(amount),
                    active=active,
                    **STAMP,
                )
                for f, school, title, amount, active in fee_rows
            ],
        )
        setups = [
            # id, title, school, interval, second semester start, active, fees, terms
            (1, "Activity fee", HIGH, "annual", None, True, [1], [("grade", "09")]),
            (2, "Weekly lab", HIGH, "week", None, True, [2, 5], []),
            (3, "Monthly tuition", ADULT, "month", None, True, [3], [("program", WELDING)]),
            (
                4,
                "Semester fee",
                HIGH,
                "semester",
                dt.date(2027, 1, 4),
                True,
                [4],
                [("student", "2")],
            ),
            (5, "Semester, no date", HIGH, "semester", None, True, [4], []),
            (6, "Inactive", HIGH, "annual", None, False, [1], []),
            (7, "Nothing to bill", HIGH, "annual", None, True, [5], []),
            (8, "Bad grade", HIGH, "annual", None, True, [1], [("grade", "ZZ")]),
        ]
        for sid, title, school, interval, second, active, fee_ids, terms in setups:
            conn.execute(
                sa.insert(automatic_invoices).values(
                    automatic_invoice_id=sid,
                    title=title,
                    school_id=school,
                    syear=SYEAR,
                    interval=interval,
                    second_semester_start=second,
                    active=active,
                )
            )
            conn.execute(
                sa.insert(automatic_invoice_fees),
                [dict(automatic_invoice_id=sid, fee_id=f) for f in fee_ids],
            )
            for term, value in terms:
                conn.execute(
                    sa.insert(automatic_invoice_terms).values(
                        automatic_invoice_id=sid, term=term, value=value
                    )
                )


def _run(engine, when, **params):
    return run_in_transaction(
        engine, AutomaticBillingInvoices(), AutomaticBillingParams(**params), now=when
    )


def _invoiced(engine) -> set[tuple[int, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                invoices.c.automatic_invoice_id, invoices.c.student_id, invoices.c.interval_key
            )
        )
        return {tuple(r) for r in rows}


def test_interval_keys_at_the_boundaries():
    assert interval_key("week", SYEAR, dt.date(2026, 11, 29), None) == "W2026-11-23"
    assert interval_key("week", SYEAR, dt.date(2026, 11, 30), None) == "W2026-11-30"
    assert interval_key("week", SYEAR, dt.date(2026, 12, 1), None) == "W2026-11-30"
    assert interval_key("week", SYEAR, dt.date(2027, 1, 1), None) == "W2026-12-28"
    assert interval_key("month", SYEAR, dt.date(2026, 11, 30), None) == "2026-11"
    assert interval_key("month", SYEAR, dt.date(2026, 12, 1), None) == "2026-12"
    start = dt.date(2027, 1, 4)
    assert interval_key("semester", SYEAR, dt.date(2027, 1, 3), start) == "2026-S1"
    assert interval_key("semester", SYEAR, start, start) == "2026-S2"
    assert interval_key("annual", SYEAR, dt.date(2027, 6, 30), None) == "2026"
    with pytest.raises(ValueError, match="no second-semester start date"):
        interval_key("semester", SYEAR, start, None)


FIRST_RUN = {
    (1, 1, "2026"),
    (1, 7, "2026"),
    (2, 1, "W2026-11-23"),
    (2, 2, "W2026-11-23"),
    (2, 7, "W2026-11-23"),
    (3, 5, "2026-11"),
    (3, 8, "2026-11"),
    (4, 2, "2026-S1"),
}


def test_first_run_bills_the_matching_students_and_lists_the_unusable_setups(db):
    _district(db)
    result = _run(db, SUN_29_NOV)
    assert _invoiced(db) == FIRST_RUN
    assert result.success
    assert dict(result.counts) == {
        "created": 8,
        "already_invoiced": 0,
        "setups": 4,
        "skipped_setups": 3,
    }
    assert result.summary == (
        "Created 8 automatic billing invoice(s) from 4 set-up(s) of 2026. 0 student(s) "
        "already invoiced for the interval. 3 set-up(s) skipped, listed with the reason."
    )
    text = result.text
    assert (
        "  ABI-2-W2026-11-23-1: Last1, First1 (1), Weekly lab, W2026-11-23, 7.50, due 2026-12-29"
        in text
    )
    assert (
        "  skipped set-up #5 Semester, no date: semester interval: no second-semester start "
        "date; set it on the set-up" in text
    )
    assert (
        "  skipped set-up #7 Nothing to bill: no active fee to bill; add one to the set-up" in text
    )
    assert (
        "  skipped set-up #8 Bad grade: grade term 'ZZ' names no grade in Focus; fix the term"
        in text
    )
    with db.connect() as conn:
        lab = conn.execute(
            sa.select(invoices).where(invoices.c.invoice_number == "ABI-2-W2026-11-23-1")
        ).one()
        lines = conn.execute(
            sa.select(invoice_lines.c.fee_id, invoice_lines.c.amount).where(
                invoice_lines.c.invoice_id == lab.invoice_id
            )
        ).all()
    assert (lab.kind, lab.status, lab.invoice_date, lab.due_date) == (
        "pos",
        "open",
        dt.date(2026, 11, 29),
        dt.date(2026, 12, 29),
    )
    assert lab.invoiced_to == "Last1, First1" and lab.created_by == "job test-job"
    assert [(f, Decimal(str(a))) for f, a in lines] == [(2, Decimal("7.50"))]  # fee 5 inactive
    assert len(audit_rows(db, "invoices")) == 8
    assert len(audit_rows(db, "invoice_lines")) == 8
    assert {r[1:] for r in audit_rows(db, "invoices")} == {
        ("insert", "job test-job", "automatic_billing_invoices")
    }


def test_week_and_month_boundaries(db):
    _district(db)
    _run(db, SUN_29_NOV)
    monday = _run(db, MON_30_NOV)  # a new week, the same month
    assert _invoiced(db) - FIRST_RUN == {
        (2, 1, "W2026-11-30"),
        (2, 2, "W2026-11-30"),
        (2, 7, "W2026-11-30"),
    }
    assert (monday.counts["created"], monday.counts["already_invoiced"]) == (3, 5)
    before = _invoiced(db)
    tuesday = _run(db, TUE_1_DEC)  # the same week, a new month; student 4 enrolls today
    assert _invoiced(db) - before == {
        (1, 4, "2026"),
        (2, 4, "W2026-11-30"),
        (3, 5, "2026-12"),
        (3, 8, "2026-12"),
    }
    assert (tuesday.counts["created"], tuesday.counts["already_invoiced"]) == (4, 6)


def test_semester_boundary(db):
    _district(db)
    _run(db, SUN_29_NOV)
    _run(db, SUN_3_JAN)
    assert {k for k in _invoiced(db) if k[0] == 4} == {(4, 2, "2026-S1")}
    _run(db, MON_4_JAN)
    assert {k for k in _invoiced(db) if k[0] == 4} == {(4, 2, "2026-S1"), (4, 2, "2026-S2")}


def test_second_run_and_a_voided_invoice_never_bill_twice(db):
    _district(db)
    _run(db, SUN_29_NOV)
    with db.begin() as conn:
        conn.execute(
            sa.update(invoices)
            .where(invoices.c.invoice_number == "ABI-1-2026-1")
            .values(status="voided")
        )
    again = _run(db, SUN_29_NOV + dt.timedelta(hours=5))
    assert _invoiced(db) == FIRST_RUN
    assert (again.counts["created"], again.counts["already_invoiced"]) == (0, 8)
    assert again.summary.startswith("No student of 4 set-up(s) of 2026 was due an invoice.")


def test_only_the_chosen_setups_and_unknown_ids_are_listed(db):
    _district(db)
    result = _run(db, SUN_29_NOV, automatic_invoices=[3, 99])
    assert _invoiced(db) == {(3, 5, "2026-11"), (3, 8, "2026-11")}
    assert "  skipped set-up #99: no active Automatic Invoices set-up 99 in 2026" in result.text


def test_a_failure_midway_leaves_no_invoice_and_no_audit(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db, SUN_29_NOV)
    assert _invoiced(db) == set()
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(invoice_lines)).scalar() == 0
    monkeypatch.undo()
    assert _run(db, SUN_29_NOV).counts["created"] == 8


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, SUN_29_NOV, max_listed=2)
    assert result.html.count("<tr><td>ABI-") == 2
    assert "... and 6 more (listing capped at 2)." in result.text


def test_an_unknown_school_year_is_a_failure_with_the_reason(db):
    _district(db)
    result = _run(db, SUN_29_NOV, syear=2030)
    assert not result.success
    assert result.summary.startswith("school year 2030: no such school year")


def test_params_reject_unknown_fields():
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        AutomaticBillingParams(interval="week")
