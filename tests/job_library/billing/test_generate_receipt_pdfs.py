"""Generate PDFs from Receipts on SQLite and Postgres: the files read back with pypdf.

The runs' day is 28 Nov 2026: by default the receipts of 27 and 28 Nov get PDFs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from job_library.jobs.billing import _receipt_pdf_work as work
from job_library.jobs.billing.generate_receipt_pdfs import (
    GenerateReceiptPdfs,
    GenerateReceiptPdfsParams,
)
from job_library.schemas.finance import finance_audit, receipts
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

D27, D28 = "2026-11-27", "2026-11-28"


def receipt(rid: int, number: str, on: dt.date, amount: str, **extra) -> dict:
    return dict(
        receipt_id=rid,
        receipt_number=number,
        receipt_date=on,
        source=extra.pop("source", "pos"),
        receipt_amount=money(amount),
        created_at=MADE,
        created_by="clerk",
        **extra,
    )


def _district(engine, files: Path) -> None:
    """R-100: a card payment of two lines. R-101: a check paying an AR invoice with 20.00
    left as credit (an undone allocation beside it). S/7: a Store sale with an odd number.
    R-102: a refund. R-103 and R-104: the days before and after the default range. R-105:
    no payment or refund. R-106: shows 14.00 of a 15.00 payment. R-107: its PDF is there.
    R-108: its PDF went missing."""
    load(engine)
    insert(
        engine,
        drawers=[
            dict(drawer_id=1, title="Front Office", school_id=1, portal_enabled=False),
            dict(drawer_id=2, title="Student Store", school_id=2, portal_enabled=False),
        ],
        invoices=[invoice(1, "INV-1", "pos", day(3)), invoice(2, "INV-2", "ar", day(30))],
        lines=[
            line(1, 1, "T-shirt", "12.50"),
            line(2, 1, "Cap", "7.50"),
            line(3, 2, "Lab fee", "30.00"),
        ],
        payments=[
            payment(1, "20.00", day(1), method="card", reference="T100"),
            payment(2, "50.00", day(0), method="check", reference="1042", payer="Bo Diaz"),
            payment(3, "10.00", day(0), drawer_id=2, student_id=3),
            payment(4, "15.00", day(1)),
            payment(5, "9.00", day(2)),
            payment(6, "4.00", day(-1)),
            payment(7, "3.00", day(1)),
            payment(8, "2.00", day(0)),
        ],
        allocations=[
            allocation(1, 1, 1, "12.50", line_id=1),
            allocation(2, 1, 1, "7.50", line_id=2),
            allocation(3, 2, 2, "30.00", line_id=3),
            allocation(4, 2, 1, "5.00", active=False),
        ],
        refunds=[
            dict(
                refund_id=1,
                payment_id=2,
                invoice_id=2,
                amount=money("5.00"),
                refunded_on=day(0),
                reason="Overpaid",
                created_at=MADE,
                created_by="x",
            )
        ],
        receipts=[
            receipt(1, "R-100", day(1), "20.00", payment_id=1, drawer_id=1, customer="Ann Lee"),
            receipt(2, "R-101", day(0), "50.00", payment_id=2, drawer_id=1, student_id=2),
            receipt(
                3, "S/7", day(0), "10.00", payment_id=3, drawer_id=2, student_id=3, source="store"
            ),
            receipt(4, "R-102", day(0), "5.00", refund_id=1, drawer_id=1, customer="Bo Diaz"),
            receipt(5, "R-103", day(2), "9.00", payment_id=5, customer="Cy Po"),
            receipt(6, "R-104", day(-1), "4.00", payment_id=6, customer="Di Wu"),
            receipt(7, "R-105", day(1), "6.00", customer="Ed Ng"),
            receipt(8, "R-106", day(1), "14.00", payment_id=4, customer="Flo Ma"),
            receipt(
                9,
                "R-107",
                day(1),
                "3.00",
                payment_id=7,
                pdf_file=f"receipts/{D27}/R-107.pdf",
                pdf_saved_at=MADE,
            ),
            receipt(
                10,
                "R-108",
                day(0),
                "2.00",
                payment_id=8,
                customer="Gus Li",
                pdf_file=f"receipts/{D28}/R-108.pdf",
                pdf_saved_at=MADE,
            ),
        ],
    )
    kept = files / "receipts" / D27 / "R-107.pdf"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"%PDF-1.4 saved before")


def _run(engine, files: Path, **params):
    return run_in_transaction(
        engine,
        GenerateReceiptPdfs(),
        GenerateReceiptPdfsParams(**params),
        now=NOW,
        district_files=files,
    )


def _pdfs(files: Path) -> list[str]:
    return sorted(str(p.relative_to(files)) for p in files.rglob("*") if p.is_file())


def _text(path: Path) -> list[str]:
    reader = PdfReader(path)
    return [x for page in reader.pages for x in page.extract_text().splitlines()]


def _saved(engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(receipts.c.receipt_number, receipts.c.pdf_file)).all()
    return dict(rows)


FIRST_FILES = [
    f"receipts/{D27}/R-100.pdf",
    f"receipts/{D27}/R-107.pdf",
    f"receipts/{D28}/R-101.pdf",
    f"receipts/{D28}/R-102.pdf",
    f"receipts/{D28}/R-108.pdf",
    f"receipts/{D28}/S_7~3.pdf",
]


def test_saves_one_pdf_per_receipt_of_the_default_days(db, tmp_path):
    files = tmp_path / "files"
    _district(db, files)
    result = _run(db, files)
    assert _pdfs(files) == FIRST_FILES
    assert result.success
    assert dict(result.counts) == {
        "saved": 5,
        "saved_again": 1,
        "already_saved": 1,
        "need_a_look": 2,
    }
    assert result.summary == (
        f"Saved 5 receipt PDF(s) for {D27} to {D28} (1 whose file was missing); 1 already saved."
    )
    assert result.text.splitlines()[1:6] == [
        f"  receipt R-100 (Ann Lee, 20.00): receipts/{D27}/R-100.pdf saved",
        f"  receipt R-101 (Bo Diaz, 50.00): receipts/{D28}/R-101.pdf saved",
        f"  receipt R-102 (Bo Diaz, 5.00): receipts/{D28}/R-102.pdf saved",
        f"  receipt R-108 (Gus Li, 2.00): receipts/{D28}/R-108.pdf saved again (file was missing)",
        f"  receipt S/7 (First3 Last3, 10.00): receipts/{D28}/S_7~3.pdf saved",
    ]
    assert "  check: R-105: names neither a payment nor a refund; no PDF saved" in result.text
    assert "  check: R-106: shows 14.00 but its payment is 15.00; no PDF saved" in result.text
    saved = _saved(db)
    assert saved["R-101"] == f"receipts/{D28}/R-101.pdf"
    assert saved["S/7"] == f"receipts/{D28}/S_7~3.pdf"
    assert saved["R-103"] is None and saved["R-105"] is None and saved["R-106"] is None
    assert (files / "receipts" / D27 / "R-107.pdf").read_bytes() == b"%PDF-1.4 saved before"
    assert not list((files / "receipts").glob(".staging-*"))


def test_the_pdfs_show_the_receipts(db, tmp_path):
    files = tmp_path / "files"
    _district(db, files)
    _run(db, files)
    folder = files / "receipts"
    assert _text(folder / D28 / "R-101.pdf") == [
        "Test Elementary",
        "Receipt R-101",
        f"Date: {D28}",
        "Taken by: Point of sale, Front Office",
        "Received from: Bo Diaz",
        "Payment: check 1042",
        "Description",
        "Amount",
        "Invoice INV-2: Lab fee",
        "30.00",
        "Unapplied (credit on account)",
        "20.00",
        "Total",
        "50.00",
        "Page 1 of 1",
    ]
    r100 = _text(folder / D27 / "R-100.pdf")
    assert r100[3:6] == [
        "Taken by: Point of sale, Front Office",
        "Received from: Ann Lee",
        "Payment: card T100",
    ]
    assert r100[8:12] == ["Invoice INV-1: T-shirt", "12.50", "Invoice INV-1: Cap", "7.50"]
    store = _text(folder / D28 / "S_7~3.pdf")
    assert store[:6] == [
        "Test Middle",
        "Receipt S/7",
        f"Date: {D28}",
        "Taken by: Store, Student Store",
        "Received from: First3 Last3",
        "Payment: cash",
    ]
    assert store[8:10] == ["Unapplied (credit on account)", "10.00"]
    refund = _text(folder / D28 / "R-102.pdf")
    assert refund[5:12] == [
        "Payment: refund",
        "Description",
        "Amount",
        "Refund of payment 2: Overpaid",
        "5.00",
        "Total",
        "5.00",
    ]


def test_each_change_is_audited(db, tmp_path):
    files = tmp_path / "files"
    _district(db, files)
    _run(db, files)
    rows = audit_rows(db, "receipts")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (i, "update", "job test-job", "generate_pdfs_from_receipts") for i in (1, 2, 3, 4, 10)
    ]
    assert all(same_instant(r[4], NOW) for r in rows)
    with db.connect() as conn:
        old, new = conn.execute(
            sa.select(finance_audit.c.old_values, finance_audit.c.new_values).where(
                finance_audit.c.record_id == 10
            )
        ).one()
    assert json.loads(old) == {"pdf_file": f"receipts/{D28}/R-108.pdf"}
    assert json.loads(new) == {
        "pdf_file": f"receipts/{D28}/R-108.pdf",
        "pdf_saved_at": NOW.isoformat(),
    }


def test_second_run_saves_nothing_and_says_so(db, tmp_path):
    files = tmp_path / "files"
    _district(db, files)
    _run(db, files)
    before = {p: (files / p).read_bytes() for p in _pdfs(files)}
    again = _run(db, files)
    assert again.summary == f"No receipt of {D27} to {D28} needed a PDF (6 already saved)."
    assert dict(again.counts) == {
        "saved": 0,
        "saved_again": 0,
        "already_saved": 6,
        "need_a_look": 2,
    }
    assert {p: (files / p).read_bytes() for p in _pdfs(files)} == before
    assert len(audit_rows(db, "receipts")) == 5


@pytest.mark.parametrize(
    ("start", "end", "numbers"),
    [
        (day(2), day(2), ["R-103"]),  # a past day alone
        (day(2), None, ["R-103", "R-100", "R-101", "R-102", "R-108", "S/7"]),
        (day(-1), day(-1), ["R-104"]),  # the day after the run day, when asked for
        (day(40), day(3), []),
    ],
    ids=["past-day", "past-to-run-day", "next-day", "nothing-then"],
)
def test_the_date_range_at_each_boundary(db, tmp_path, start, end, numbers):
    files = tmp_path / "files"
    _district(db, files)
    result = _run(db, files, start_date=start, end_date=end)
    listed = [x.split()[1] for x in result.text.splitlines() if x.startswith("  receipt ")]
    assert listed == numbers
    assert result.counts["saved"] == len(numbers)


def test_listing_is_capped_with_the_total(db, tmp_path):
    files = tmp_path / "files"
    _district(db, files)
    result = _run(db, files, max_listed=2)
    assert result.html.count("<tr><td>R-10") == 4  # two PDFs, both checks
    assert "  ... and 3 more (listing capped at 2)." in result.text


def test_a_failure_before_the_commit_leaves_no_file_and_no_change(db, tmp_path, monkeypatch):
    files = tmp_path / "files"
    _district(db, files)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(work, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db, files)
    assert _pdfs(files) == [f"receipts/{D27}/R-107.pdf"]
    assert not list((files / "receipts").glob(".staging-*"))
    assert _saved(db)["R-100"] is None
    assert audit_rows(db, "receipts") == []
    monkeypatch.undo()
    assert _run(db, files).counts["saved"] == 5


def test_a_failed_move_after_the_commit_is_saved_again_next_time(db, tmp_path, monkeypatch):
    files = tmp_path / "files"
    _district(db, files)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(work, "_move_into_place", broken)
    result = _run(db, files)
    assert not result.success
    assert "disk full" in result.summary
    assert any(p.startswith("receipts/.staging-") for p in _pdfs(files))  # left behind
    monkeypatch.undo()
    again = _run(db, files)
    assert again.counts["saved_again"] == 5
    assert _pdfs(files) == FIRST_FILES


def test_bad_dates_are_refused_with_the_reason(db, tmp_path):
    with pytest.raises(ValueError, match="end_date 2026-11-01 is before start_date 2026-11-02"):
        GenerateReceiptPdfsParams(start_date=day(26), end_date=day(27))
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        GenerateReceiptPdfsParams(days=3)
    load(db)
    result = _run(db, tmp_path, start_date=day(-3))
    assert not result.success
    assert result.summary == (
        "start_date 2026-12-01 is after the run day's end date 2026-11-28: give an end_date "
        "or an earlier start_date. Nothing was saved."
    )
