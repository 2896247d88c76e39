"""Power BI Postsecondary Receipt Report on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.billing import power_bi_receipt_report as module
from job_library.jobs.billing.power_bi_receipt_report import (
    PowerBiReceiptReport,
    PowerBiReceiptReportParams,
)
from job_library.schemas.finance import finance_audit, power_bi_receipts_report, receipts
from tests.job_library.billing.pos_district import MADE, NOW, insert, money, payment
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

D = Decimal
STRIPS = [
    dict(
        strip_id=1,
        strip="110-5100-3450",
        level1_num="110",
        level1_title="General Fund",
        level2_num="5100",
        level2_title="Basic Instruction",
        level3_num="3450",
        level3_title="Tuition",
    ),
    dict(
        strip_id=2,
        strip="420-7900",
        level1_num="420",
        level1_title="Internal Accounts",
        level2_num="7900",
        level2_title=None,
    ),
]


def _receipt(rid, number, on, amounts, **extra) -> dict:
    receipt_amt, allocation_amt, payment_amt, refund_amt = (money(a) for a in amounts)
    return dict(
        receipt_id=rid,
        receipt_number=number,
        receipt_date=on,
        receipt_amount=receipt_amt,
        allocation_amount=allocation_amt,
        payment_amount=payment_amt,
        refund_amount=refund_amt,
        created_at=MADE,
        created_by="clerk",
        **extra,
    )


def _report_row(num, day, receipt_amt, **extra) -> dict:
    return dict(receipt_num=num, receipt_date=day, receipt_amt=money(receipt_amt), **extra)


def _district(engine) -> None:
    """R-1: a tuition payment, reported twice with an old amount. R-2: no fiscal year or
    customer of its own (the payer is Bo Diaz), a strip level without a title, 60.00
    allocated of a 50.00 payment. R-3: a refund without a strip. R-9: reported, but no such
    receipt any more."""
    load(engine)
    insert(
        engine,
        strips=STRIPS,
        payments=[
            payment(1, "20.00", dt.date(2026, 11, 20)),
            payment(2, "50.00", dt.date(2026, 11, 21), payer="Bo Diaz"),
        ],
        receipts=[
            _receipt(
                1,
                "R-1",
                dt.date(2026, 11, 20),
                ("20.00", "20.00", "20.00", "0.00"),
                transaction_number="T1",
                fiscal_year=2027,
                customer="Ann Lee",
                invoiced_to="Ann Lee",
                payment_id=1,
                strip_id=1,
            ),
            _receipt(
                2,
                "R-2",
                dt.date(2026, 11, 21),
                ("50.00", "60.00", "50.00", "0.00"),
                transaction_number="T2",
                invoiced_to="Cy Diaz",
                payment_id=2,
                strip_id=2,
            ),
            _receipt(
                3,
                "R-3",
                dt.date(2026, 11, 22),
                ("5.00", "0.00", "0.00", "5.00"),
                fiscal_year=2027,
                customer="Ann Lee",
            ),
        ],
    )
    with engine.begin() as conn:
        conn.execute(
            sa.insert(power_bi_receipts_report),
            [
                _report_row("R-1", dt.date(2026, 11, 20), "19.00", id=1),
                _report_row("R-1", dt.date(2026, 11, 20), "19.00", id=2),
                _report_row("R-9", dt.date(2026, 10, 1), "7.00", id=3),
            ],
        )
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('power_bi_receipts_report_id_seq', 3)"))


def _table(engine) -> dict[str, tuple]:
    t = power_bi_receipts_report
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id)).mappings().all()
    out = {}
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("id", "receipt_num")}
        assert row["receipt_num"] not in out, "a receipt is reported once"
        out[row["receipt_num"]] = values
    return out


def _expected() -> dict[str, dict]:
    empty = {f"strip_level{n}_{p}": None for n in range(1, 6) for p in ("num", "title")}
    return {
        "R-1": {
            "transaction_num": "T1",
            "receipt_date": dt.date(2026, 11, 20),
            "fiscal_year": 2027,
            "customer": "Ann Lee",
            "invoiced_to": "Ann Lee",
            "receipt_amt": D("20.00"),
            "allocation_amt": D("20.00"),
            "payment_amt": D("20.00"),
            "refund_amt": D("0.00"),
            **empty,
            "strip_level1_num": "110",
            "strip_level1_title": "General Fund",
            "strip_level2_num": "5100",
            "strip_level2_title": "Basic Instruction",
            "strip_level3_num": "3450",
            "strip_level3_title": "Tuition",
        },
        "R-2": {
            "transaction_num": "T2",
            "receipt_date": dt.date(2026, 11, 21),
            "fiscal_year": None,
            "customer": "Bo Diaz",
            "invoiced_to": "Cy Diaz",
            "receipt_amt": D("50.00"),
            "allocation_amt": D("60.00"),
            "payment_amt": D("50.00"),
            "refund_amt": D("0.00"),
            **empty,
            "strip_level1_num": "420",
            "strip_level1_title": "Internal Accounts",
            "strip_level2_num": "7900",
        },
        "R-3": {
            "transaction_num": None,
            "receipt_date": dt.date(2026, 11, 22),
            "fiscal_year": 2027,
            "customer": "Ann Lee",
            "invoiced_to": None,
            "receipt_amt": D("5.00"),
            "allocation_amt": D("0.00"),
            "payment_amt": D("0.00"),
            "refund_amt": D("5.00"),
            **empty,
        },
    }


def _run(engine, **params):
    return run_in_transaction(
        engine, PowerBiReceiptReport(), PowerBiReceiptReportParams(**params), now=NOW
    )


CHECKS = [
    "  check: R-2: no fiscal year recorded; reported without one",
    "  check: R-2: strip level 2 number 7900 has no title",
    "  check: R-2: allocates 60.00 of a 50.00 payment",
    "  check: R-3: no account strip; its strip columns are empty",
]


def test_the_report_holds_one_row_per_receipt_with_its_strip(db):
    _district(db)
    result = _run(db)
    assert _table(db) == _expected()
    assert result.success
    assert dict(result.counts) == {
        "receipts": 3,
        "added": 2,
        "updated": 1,
        "removed": 2,
        "need_a_look": 4,
    }
    assert result.summary == (
        "power_bi_receipts_report now holds 3 receipt(s): 2 added, 1 updated, 2 removed."
    )
    assert result.text.splitlines()[1:6] == [
        "  receipt R-1 of 2026-11-20 (19.00): removed (reported twice)",
        "  receipt R-9 of 2026-10-01 (7.00): removed",
        "  receipt R-1 of 2026-11-20 (19.00): updated",
        "  receipt R-2 of 2026-11-21 (50.00): added",
        "  receipt R-3 of 2026-11-22 (5.00): added",
    ]
    assert result.text.splitlines()[-4:] == CHECKS
    with db.connect() as conn:  # a report, not a financial record
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    with db.connect() as conn:
        ids = sorted(conn.execute(sa.select(power_bi_receipts_report.c.id)).scalars())
    again = _run(db)
    assert again.summary == "power_bi_receipts_report was up to date (3 receipt(s))."
    assert dict(again.counts) == {
        "receipts": 3,
        "added": 0,
        "updated": 0,
        "removed": 0,
        "need_a_look": 4,
    }
    with db.connect() as conn:
        assert sorted(conn.execute(sa.select(power_bi_receipts_report.c.id)).scalars()) == ids


def test_a_changed_receipt_is_corrected_in_place(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        conn.execute(
            sa.update(receipts)
            .where(receipts.c.receipt_id == 2)
            .values(fiscal_year=2027, allocation_amount=money("50.00"), strip_id=1)
        )
    result = _run(db)
    expected = _expected()
    expected["R-2"].update(
        fiscal_year=2027,
        allocation_amt=D("50.00"),
        **{k: v for k, v in expected["R-1"].items() if k.startswith("strip_")},
    )
    assert _table(db) == expected
    assert dict(result.counts) == {
        "receipts": 3,
        "added": 0,
        "updated": 1,
        "removed": 0,
        "need_a_look": 1,
    }


def test_without_receipts_the_table_is_emptied_then_left_empty(db):
    load(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(power_bi_receipts_report),
            [_report_row("R-9", dt.date(2026, 10, 1), "7.00")],
        )
    first = _run(db)
    assert first.counts["removed"] == 1
    assert _table(db) == {}
    again = _run(db)
    assert again.summary == "No receipts yet: power_bi_receipts_report stays empty."
    assert "<table>" not in again.html


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>R-") == 4  # two changes, two of the four checks
    assert "  ... and 3 more (listing capped at 2)." in result.text
    assert "  ... and 2 more (listing capped at 2)." in result.text


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)
    before = _table_raw(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while checking")

    monkeypatch.setattr(module, "_checks", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _table_raw(db) == before
    monkeypatch.undo()
    assert _run(db).counts["added"] == 2


def _table_raw(engine) -> list[tuple]:
    t = power_bi_receipts_report
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def test_bad_parameters_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        PowerBiReceiptReportParams(levels=8)


def test_the_checks_are_counted_in_the_database_and_read_capped(db, monkeypatch):
    """Four receipts need a look; with a cap of one, only one of them is read."""
    import job_library.sis_sql as sis_sql

    real, read = sis_sql.first_rows, []

    def counting(conn, query, cap):
        rows = real(conn, query, cap)
        read.append((cap, len(rows)))
        return rows

    monkeypatch.setattr(sis_sql, "first_rows", counting)
    _district(db)
    result = _run(db, max_listed=1)
    assert result.counts["need_a_look"] == 4
    assert "4 record(s) need a look:" in result.text
    assert result.text.count("  check: ") == 1
    assert all(got <= cap for cap, got in read) and (1, 1) in read
