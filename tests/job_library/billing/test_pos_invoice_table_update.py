"""POS Invoice Table Update on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.billing import pos_invoice_table_update as module
from job_library.jobs.billing.pos_invoice_table_update import (
    PosInvoiceTableUpdate,
    PosInvoiceTableUpdateParams,
)
from job_library.schemas.finance import allocations, finance_audit, invoices
from job_library.schemas.pos import gl_pos_invoice, gl_pos_invoice_allocation
from tests.job_library.billing.pos_district import (
    MADE,
    NOW,
    allocation,
    audit_rows,
    day,
    insert,
    invoice,
    line,
    money,
    payment,
)
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

OLD = day(10)


def _district(engine) -> None:
    """P-1: 20.00, 15.00 paid. P-2: 40.00 paid, 10.00 refunded. P-3: deferred in full (an
    undone deferral beside it). P-4: paid by a voided payment only. P-5: its allocation was
    undone. P-6: flagged deleted. A-7: an AR invoice. P-8: voided. P-9: no lines. P-10:
    5.00, 8.00 paid."""
    load(engine)
    insert(
        engine,
        invoices=[
            invoice(1, "P-1", "pos", OLD, customer="Ann Lee"),
            invoice(2, "P-2", "pos", OLD, student_id=2),
            invoice(3, "P-3", "pos", OLD),
            invoice(4, "P-4", "pos", OLD),
            invoice(5, "P-5", "pos", OLD),
            invoice(6, "P-6", "pos", OLD, deleted=True),
            invoice(7, "A-7", "ar", OLD),
            invoice(8, "P-8", "pos", OLD, status="voided"),
            invoice(9, "P-9", "pos", OLD),
            invoice(10, "P-10", "pos", OLD),
        ],
        lines=[
            line(1, 1, "T-shirt", "12.50"),
            line(2, 1, "Cap", "7.50"),
            line(3, 2, "Trip", "40.00"),
            line(4, 3, "Course fee", "30.00"),
            line(5, 4, "Lock", "10.00"),
            line(6, 5, "Lock", "10.00"),
            line(7, 6, "Pen", "1.00"),
            line(8, 7, "Lab", "50.00"),
            line(9, 8, "Book", "20.00"),
            line(10, 10, "Snack", "5.00"),
        ],
        payments=[
            payment(1, "15.00", day(5), method="card", reference="T1"),
            payment(2, "40.00", day(4), method="check", reference="1001"),
            payment(3, "10.00", day(4), valid=False),
            payment(4, "10.00", day(4)),
            payment(5, "50.00", day(4)),
            payment(6, "8.00", day(3)),
        ],
        allocations=[
            allocation(1, 1, 1, "15.00", line_id=1),
            allocation(2, 2, 2, "40.00"),
            allocation(3, 3, 4, "10.00"),
            allocation(4, 4, 5, "10.00", active=False),
            allocation(5, 5, 7, "50.00"),
            allocation(6, 6, 10, "8.00"),
        ],
        refunds=[
            dict(
                refund_id=1,
                payment_id=2,
                invoice_id=2,
                amount=money("10.00"),
                refunded_on=day(2),
                created_at=MADE,
                created_by="x",
            )
        ],
        deferrals=[
            dict(
                deferral_id=1,
                invoice_id=3,
                amount=money("30.00"),
                deferred_on=OLD,
                created_at=MADE,
                created_by="x",
                active=True,
            ),
            dict(
                deferral_id=2,
                invoice_id=3,
                amount=money("5.00"),
                deferred_on=OLD,
                created_at=MADE,
                created_by="x",
                active=False,
            ),
        ],
    )


def _invoices(engine) -> dict[int, tuple]:
    g = gl_pos_invoice
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                g.c.invoice_id,
                g.c.status,
                g.c.amount,
                g.c.paid,
                g.c.refunded,
                g.c.deferred,
                g.c.balance,
            )
        ).all()
    return {r[0]: (r[1], *(Decimal(v) for v in r[2:])) for r in rows}


def _allocations(engine) -> dict[int, tuple]:
    g = gl_pos_invoice_allocation
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                g.c.allocation_id,
                g.c.invoice_id,
                g.c.amount,
                g.c.method,
                g.c.reference,
                g.c.paid_on,
            )
        ).all()
    return {r[0]: (r[1], Decimal(r[2]), r[3], r[4], r[5]) for r in rows}


def _run(engine, **params):
    return run_in_transaction(
        engine, PosInvoiceTableUpdate(), PosInvoiceTableUpdateParams(**params), now=NOW
    )


D = Decimal
# invoice -> status, total, paid, refunded, deferred, balance
FIRST = {
    1: ("open", D("20.00"), D("15.00"), D("0"), D("0"), D("5.00")),
    2: ("open", D("40.00"), D("40.00"), D("10.00"), D("0"), D("10.00")),
    3: ("open", D("30.00"), D("0"), D("0"), D("30.00"), D("0")),
    4: ("open", D("10.00"), D("0"), D("0"), D("0"), D("10.00")),
    5: ("open", D("10.00"), D("0"), D("0"), D("0"), D("10.00")),
    8: ("voided", D("20.00"), D("0"), D("0"), D("0"), D("0")),
    9: ("open", D("0"), D("0"), D("0"), D("0"), D("0")),
    10: ("open", D("5.00"), D("8.00"), D("0"), D("0"), D("-3.00")),
}
FIRST_ALLOCATIONS = {
    1: (1, D("15.00"), "card", "T1", day(5)),
    2: (2, D("40.00"), "check", "1001", day(4)),
    6: (10, D("8.00"), "cash", None, day(3)),
}


def test_first_run_fills_both_tables_and_audits_each_row(db):
    _district(db)
    result = _run(db)
    assert _invoices(db) == FIRST
    assert _allocations(db) == FIRST_ALLOCATIONS
    assert result.success
    assert dict(result.counts) == {
        "invoices_added": 8,
        "invoices_updated": 0,
        "invoices_removed": 0,
        "allocations_added": 3,
        "allocations_updated": 0,
        "allocations_removed": 0,
        "need_a_look": 2,
    }
    assert result.summary == (
        "gl_pos_invoice: 8 added, 0 updated, 0 removed; "
        "gl_pos_invoice_allocation: 3 added, 0 updated, 0 removed."
    )
    assert "  invoice 10 added: invoice P-10: total 5.00, balance -3.00" in result.text
    assert "  allocation 6 added: invoice id 10: 8.00 by cash" in result.text
    assert "  check: P-10: overpaid: 8.00 paid against a total of 5.00" in result.text
    assert "  check: P-9: has no lines (or only zero lines): its total is 0.00" in result.text
    assert [r[:4] for r in audit_rows(db, "gl_pos_invoice")] == [
        (i, "insert", "job test-job", "pos_invoice_table_update") for i in FIRST
    ]
    assert [r[:2] for r in audit_rows(db, "gl_pos_invoice_allocation")] == [
        (1, "insert"),
        (2, "insert"),
        (6, "insert"),
    ]
    with db.connect() as conn:
        new = conn.execute(
            sa.select(finance_audit.c.new_values).where(
                finance_audit.c.table_name == "gl_pos_invoice", finance_audit.c.record_id == 2
            )
        ).scalar_one()
    values = json.loads(new)
    assert (values["amount"], values["refunded"], values["balance"]) == ("40.00", "10.00", "10.00")
    assert values["invoice_number"] == "P-2"


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.summary == (
        "gl_pos_invoice and gl_pos_invoice_allocation were up to date; nothing changed."
    )
    assert sum(v for k, v in again.counts.items() if k != "need_a_look") == 0
    assert len(audit_rows(db, "gl_pos_invoice")) == 8


def test_later_changes_update_remove_and_move_rows(db):
    """After the first run: P-1's allocation is undone, P-5 is flagged deleted, a new
    payment pays P-4, P-10's allocation moves to P-1, and someone typed over P-2's balance."""
    _district(db)
    _run(db)
    insert(db, payments=[payment(7, "10.00", day(1), method="card", reference="T7")])
    insert(db, allocations=[allocation(7, 7, 4, "10.00")])
    a, i, g = allocations, invoices, gl_pos_invoice
    with db.begin() as conn:
        conn.execute(sa.update(a).where(a.c.allocation_id == 1).values(active=False))
        conn.execute(sa.update(a).where(a.c.allocation_id == 6).values(invoice_id=1))
        conn.execute(sa.update(i).where(i.c.invoice_id == 5).values(deleted=True))
        conn.execute(sa.update(g).where(g.c.invoice_id == 2).values(balance=money("99.00")))
    result = _run(db)
    expected = {k: v for k, v in FIRST.items() if k != 5}
    expected[1] = ("open", D("20.00"), D("8.00"), D("0"), D("0"), D("12.00"))
    expected[4] = ("open", D("10.00"), D("10.00"), D("0"), D("0"), D("0"))
    expected[10] = ("open", D("5.00"), D("0"), D("0"), D("0"), D("5.00"))
    assert _invoices(db) == expected
    assert _allocations(db) == {
        2: FIRST_ALLOCATIONS[2],
        6: (1, D("8.00"), "cash", None, day(3)),
        7: (4, D("10.00"), "card", "T7", day(1)),
    }
    assert dict(result.counts) == {
        "invoices_added": 0,
        "invoices_updated": 4,  # 1, 2, 4, 10
        "invoices_removed": 1,  # 5
        "allocations_added": 2,  # 6 (moved), 7
        "allocations_updated": 0,
        "allocations_removed": 2,  # 1, 6 (moved)
        "need_a_look": 1,  # P-9; P-10 is no longer overpaid
    }
    changes = [(r[0], r[1]) for r in audit_rows(db, "gl_pos_invoice") if r[1] != "insert"]
    assert sorted(changes) == [
        (1, "update"),
        (2, "update"),
        (4, "update"),
        (5, "delete"),
        (10, "update"),
    ]
    with db.connect() as conn:
        old, new = conn.execute(
            sa.select(finance_audit.c.old_values, finance_audit.c.new_values).where(
                finance_audit.c.table_name == "gl_pos_invoice",
                finance_audit.c.record_id == 2,
                finance_audit.c.change == "update",
            )
        ).one()
    assert (json.loads(old)["balance"], json.loads(new)["balance"]) == ("99.00", "10.00")
    assert _run(db).counts["invoices_updated"] == 0


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>invoice ") == 2
    assert "  ... and 9 more (listing capped at 2)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while checking")

    monkeypatch.setattr(module, "_checks", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _invoices(db) == {}
    assert _allocations(db) == {}
    assert audit_rows(db, "gl_pos_invoice") == []
    monkeypatch.undo()
    assert _run(db).counts["invoices_added"] == 8


def test_nothing_to_do_without_pos_invoices(db):
    load(db)
    result = _run(db)
    assert result.success
    assert result.counts["need_a_look"] == 0
    assert "<table>" not in result.html


def test_bad_parameters_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        PosInvoiceTableUpdateParams(county="Manatee")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        PosInvoiceTableUpdateParams(max_listed=-1)
