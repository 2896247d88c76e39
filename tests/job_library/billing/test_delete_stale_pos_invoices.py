"""Delete Stale POS Invoices on SQLite and Postgres, worked out by hand.

The runs' day is 28 Nov 2026; the default leaves invoices dated that day alone (1 day)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from job_library.jobs.billing import delete_stale_pos_invoices as module
from job_library.jobs.billing.delete_stale_pos_invoices import (
    DeleteStalePosInvoices,
    DeleteStalePosInvoicesParams,
)
from job_library.schemas.finance import finance_audit, invoices
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
    same_instant,
)
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction


def _district(engine) -> None:
    """P-1/P-2/P-3: bare POS invoices 1, 0 and 2 days old. A-4, I-5: bare AR and internal
    invoices. P-6: paid. P-7: its only allocation was undone. P-8: allocated from a voided
    payment only. P-9: made by Automatic Invoices. P-10: a payment plan installment. P-11:
    deferred. P-12: refunded. P-13: flagged deleted but paid. P-14: flagged already."""
    load(engine)
    old = day(27)
    insert(
        engine,
        automatic=[
            dict(
                automatic_invoice_id=1, title="Lab fee", school_id=1, syear=2026, interval="annual"
            )
        ],
        plans=[dict(plan_id=1, student_id=2, title="Plan", created_at=MADE, created_by="x")],
        installments=[
            dict(installment_id=1, plan_id=1, number=1, due_date=old, amount=money("25.00"))
        ],
        invoices=[
            invoice(1, "P-1", "pos", day(1)),
            invoice(2, "P-2", "pos", day(0)),
            invoice(3, "P-3", "pos", day(2), customer="Walk-in"),
            invoice(4, "A-4", "ar", old),
            invoice(5, "I-5", "internal", old),
            invoice(6, "P-6", "pos", old),
            invoice(7, "P-7", "pos", old, student_id=3),
            invoice(8, "P-8", "pos", old),
            invoice(9, "P-9", "pos", old, automatic_invoice_id=1, interval_key="2026"),
            invoice(10, "P-10", "pos", old, student_id=2, installment_id=1),
            invoice(11, "P-11", "pos", old),
            invoice(12, "P-12", "pos", old),
            invoice(13, "P-13", "pos", old, deleted=True),
            invoice(14, "P-14", "pos", old, deleted=True),
        ],
        lines=[
            line(1, 1, "T-shirt", "12.50"),
            line(2, 7, "Yearbook", "40.00"),
            line(3, 7, "Name stamp", "5.00"),
            line(4, 13, "Cap", "5.00"),
        ],
        payments=[
            payment(1, "20.00", old),
            payment(2, "10.00", old, valid=False),
            payment(3, "45.00", old),
            payment(4, "8.00", old),
            payment(5, "5.00", old),
        ],
        allocations=[
            allocation(1, 1, 6, "20.00"),
            allocation(2, 3, 7, "45.00", active=False),
            allocation(3, 2, 8, "10.00"),
            allocation(4, 4, 12, "8.00", active=False),
            allocation(5, 5, 13, "5.00"),
        ],
        refunds=[
            dict(
                refund_id=1,
                payment_id=4,
                invoice_id=12,
                amount=money("8.00"),
                refunded_on=old,
                created_at=MADE,
                created_by="x",
            )
        ],
        deferrals=[
            dict(
                deferral_id=1,
                invoice_id=11,
                amount=money("30.00"),
                deferred_on=old,
                created_at=MADE,
                created_by="x",
            )
        ],
    )


def _deleted(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(invoices.c.invoice_number).where(invoices.c.deleted == sa.true())
            ).scalars()
        )


def _run(engine, **params):
    return run_in_transaction(
        engine, DeleteStalePosInvoices(), DeleteStalePosInvoicesParams(**params), now=NOW
    )


CHECKS = [
    ("P-13", "flagged deleted but 5.00 is still allocated to it; the flag was not changed"),
    ("P-8", "kept: its active allocations (10.00) all come from voided or returned payments"),
]


def test_flags_only_stale_pos_invoices_and_audits_each(db):
    _district(db)
    result = _run(db)
    assert _deleted(db) == {"P-1", "P-3", "P-7", "P-13", "P-14"}
    assert result.success
    assert dict(result.counts) == {"flagged": 3, "need_a_look": 2}
    assert result.summary == "Flagged 3 stale point-of-sale invoice(s) as deleted."
    assert result.text.splitlines()[1:4] == [
        "  invoice P-7 of 2026-11-01 (student 3, 45.00): deleted",
        "  invoice P-3 of 2026-11-26 (Walk-in, 0.00): deleted",
        "  invoice P-1 of 2026-11-27 (student 1, 12.50): deleted",
    ]
    for number, reason in CHECKS:
        assert f"  check: {number}: {reason}" in result.text
    assert "<tr><td>P-8</td><td>kept: its active allocations" in result.html
    rows = audit_rows(db, "invoices")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (i, "update", "job test-job", "delete_stale_pos_invoices") for i in (1, 3, 7)
    ]
    assert all(same_instant(r[4], NOW) for r in rows)
    with db.connect() as conn:
        old, new = conn.execute(
            sa.select(finance_audit.c.old_values, finance_audit.c.new_values).where(
                finance_audit.c.record_id == 1
            )
        ).one()
        stamp = conn.execute(
            sa.select(invoices.c.deleted_at).where(invoices.c.invoice_id == 1)
        ).scalar_one()
    assert json.loads(old) == {"deleted": "false"}
    assert json.loads(new) == {"deleted": "true", "deleted_at": NOW.isoformat()}
    assert stamp is not None


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert dict(again.counts) == {"flagged": 0, "need_a_look": 2}
    assert again.summary == "No stale point-of-sale invoice was found; nothing was flagged."
    assert len(audit_rows(db, "invoices")) == 3


@pytest.mark.parametrize(
    ("days", "flagged"),
    [
        (0, {"P-1", "P-2", "P-3", "P-7"}),  # any date
        (1, {"P-1", "P-3", "P-7"}),  # P-1 is 1 day old: exactly the limit
        (2, {"P-3", "P-7"}),  # P-1 is a day short, P-3 exactly 2
        (3, {"P-7"}),
        (27, {"P-7"}),  # P-7 is 27 days old: exactly the limit
        (28, set()),
    ],
)
def test_the_age_limit_at_each_boundary(db, days, flagged):
    _district(db)
    result = _run(db, min_age_days=days)
    assert _deleted(db) == flagged | {"P-13", "P-14"}
    assert result.counts["flagged"] == len(flagged)


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>P-") == 2  # one flagged invoice, one check
    assert "  ... and 2 more (listing capped at 1)." in result.text
    assert "  ... and 1 more (listing capped at 1)." in result.text
    assert result.counts["flagged"] == 3


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while checking")

    monkeypatch.setattr(module, "_checks", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _deleted(db) == {"P-13", "P-14"}
    assert audit_rows(db, "invoices") == []
    monkeypatch.undo()
    assert _run(db).counts["flagged"] == 3


def test_nothing_to_do_on_an_empty_district(db):
    load(db)
    result = _run(db)
    assert result.success
    assert dict(result.counts) == {"flagged": 0, "need_a_look": 0}
    assert "<table>" not in result.html


def test_bad_parameters_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        DeleteStalePosInvoicesParams(min_age_days=-1)
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        DeleteStalePosInvoicesParams(kinds=["ar"])
