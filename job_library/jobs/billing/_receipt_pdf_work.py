"""The work of Generate PDFs from Receipts: pick the receipts, lay them out, save the files."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.billing._receipt_pdf import ReceiptDocument, ReceiptLine, render
from job_library.schemas.district import schools
from job_library.schemas.enrollment import students
from job_library.schemas.finance import (
    allocations,
    invoice_lines,
    invoices,
    payments,
    receipts,
    refunds,
)
from job_library.schemas.integrations import cash_drawers

if TYPE_CHECKING:
    from job_library.jobs.billing.generate_receipt_pdfs import GenerateReceiptPdfsParams

FOLDER = "receipts"
SOURCES = {"pos": "Point of sale", "store": "Store", "portal": "Parent portal"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Saving:
    """What a run saves: (receipt, relative path, PDF bytes, saved before), and the rest."""

    files: list[tuple[ReceiptDocument, str, bytes, bool]] = field(default_factory=list)
    already: int = 0
    checks: list[tuple[str, str]] = field(default_factory=list)


def save_receipt_pdfs(
    context: JobContext, params: GenerateReceiptPdfsParams, job_key: str
) -> JobResult:
    from job_library.finance_audit import actor_of
    from job_library.jobs.system._district_files import district_folder

    conn = context.connection
    actor = actor_of(context, job_key)
    today = actor.at.date()
    start = params.start_date or today - dt.timedelta(days=1)
    end = params.end_date or today
    if end < start:
        return JobResult.message(
            False,
            f"start_date {start} is after the run day's end date {end}: give an end_date "
            "or an earlier start_date. Nothing was saved.",
        )
    base = district_folder(context)
    saving = _prepare(conn, base, start, end)
    _clear_old_staging(base / FOLDER)
    staging = base / FOLDER / f".staging-{uuid.uuid4().hex}"
    try:
        for _doc, relative, data, _again in saving.files:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _record(conn, actor, saving)
        result = _report(saving, params, start, end)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if saving.files:
        context.after_commit(lambda: _move_into_place(staging, base, saving))
    return result


def _clear_old_staging(root: Path) -> None:
    """Staging folders of runs that failed before their commit hold nothing anyone needs."""
    if root.is_dir():
        for old in root.glob(".staging-*"):
            shutil.rmtree(old, ignore_errors=True)


def _move_into_place(staging: Path, base: Path, saving: Saving) -> None:
    """After the commit: each staged PDF replaces whatever is at its place."""
    for _doc, relative, _data, _again in saving.files:
        target = base / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).replace(target)
    shutil.rmtree(staging, ignore_errors=True)


def _present(base: Path, stored: str) -> bool:
    """Whether the file a receipt names is there (a path leading outside the district's
    files counts as missing: the PDF is saved again at its own place)."""
    from job_library.jobs.system._district_files import OutsideFolder, inside

    try:
        return inside(base, stored).is_file()
    except OutsideFolder:
        return False


def _file_name(doc: ReceiptDocument) -> str:
    """receipts/<date>/<number>.pdf; a number with other characters than letters, digits,
    dot, dash and underscore has them replaced and gets its receipt id, so it stays unique."""
    safe = _UNSAFE.sub("_", doc.receipt_num)
    name = (
        safe if safe == doc.receipt_num and safe not in (".", "..") else f"{safe}~{doc.receipt_id}"
    )
    return f"{doc.receipt_date.isoformat()}/{name}.pdf"


def _prepare(conn: sa.Connection, base: Path, start: dt.date, end: dt.date) -> Saving:
    """Read the range's receipts in two queries and lay out those that need a PDF."""
    r, p, f, d, sc, st = receipts, payments, refunds, cash_drawers, schools, students
    rows = conn.execute(
        sa.select(
            r.c.receipt_id,
            r.c.receipt_number,
            r.c.receipt_date,
            r.c.source,
            r.c.customer,
            r.c.receipt_amount,
            r.c.payment_id,
            r.c.refund_id,
            r.c.pdf_file,
            p.c.amount,
            p.c.method,
            p.c.reference,
            p.c.payer,
            f.c.amount,
            f.c.payment_id,
            f.c.reason,
            d.c.title,
            sc.c.title,
            st.c.last_name,
            st.c.first_name,
        )
        .outerjoin(p, p.c.payment_id == r.c.payment_id)
        .outerjoin(f, f.c.refund_id == r.c.refund_id)
        .outerjoin(d, d.c.drawer_id == r.c.drawer_id)
        .outerjoin(sc, sc.c.school_id == d.c.school_id)
        .outerjoin(st, st.c.student_id == r.c.student_id)
        .where(r.c.receipt_date.between(start, end))
        .order_by(r.c.receipt_date, r.c.receipt_number)
    ).all()
    lines = _allocated(conn, start, end)
    saving = Saving()
    for row in rows:
        (rid, number, day, source, customer, amount, pay_id, refund_id, pdf_file,
         paid, method, reference, payer, refunded, refund_pay, reason,
         drawer, school, last, first) = row  # fmt: skip
        if pdf_file and _present(base, pdf_file):
            saving.already += 1
            continue
        amount = Decimal(amount)
        if pay_id is None and refund_id is None:
            saving.checks.append((number, "names neither a payment nor a refund; no PDF saved"))
            continue
        if refund_id is not None:
            expected, what = Decimal(refunded), "refund"
            body = (
                ReceiptLine(
                    f"Refund of payment {refund_pay}" + (f": {reason}" if reason else ""),
                    Decimal(refunded),
                ),
            )
        else:
            expected, what = Decimal(paid), "payment"
            body = tuple(lines.get(pay_id, ()))
            unapplied = expected - sum((x.amount for x in body), Decimal("0"))
            if unapplied > 0:
                body += (ReceiptLine("Unapplied (credit on account)", unapplied),)
        if expected != amount:
            saving.checks.append(
                (number, f"shows {amount:.2f} but its {what} is {expected:.2f}; no PDF saved")
            )
            continue
        student = f"{first} {last}" if last is not None else None
        how = " ".join(x for x in (method, reference) if x) if refund_id is None else "refund"
        doc = ReceiptDocument(
            receipt_id=rid,
            receipt_num=number,
            receipt_date=day,
            source=SOURCES.get(source, source),
            customer=customer or payer or student or "-",
            location=drawer,
            payment=how or None,
            lines=body,
            total=amount,
        )
        relative = f"{FOLDER}/{_file_name(doc)}"
        saving.files.append(
            (doc, relative, render(doc, school or "Student Billing"), bool(pdf_file))
        )
    return saving


def _allocated(conn: sa.Connection, start: dt.date, end: dt.date) -> dict[int, list[ReceiptLine]]:
    """What each payment of the range's receipts paid: its active allocations, in order."""
    r, a, i, ln = receipts, allocations, invoices, invoice_lines
    rows = conn.execute(
        sa.select(a.c.payment_id, i.c.invoice_number, ln.c.description, a.c.amount)
        .join(i, i.c.invoice_id == a.c.invoice_id)
        .outerjoin(ln, ln.c.line_id == a.c.line_id)
        .where(
            a.c.active == sa.true(),
            a.c.payment_id.in_(
                sa.select(r.c.payment_id).where(r.c.receipt_date.between(start, end))
            ),
        )
        .order_by(a.c.payment_id, a.c.allocation_id)
    ).all()
    out: dict[int, list[ReceiptLine]] = defaultdict(list)
    for payment_id, number, description, amount in rows:
        text = f"Invoice {number}" + (f": {description}" if description else "")
        out[payment_id].append(ReceiptLine(text, Decimal(amount)))
    return out


def _record(conn: sa.Connection, actor, saving: Saving) -> None:
    """Note each saved file on its receipt: one UPDATE from a scratch table, audited."""
    from job_library.finance_audit import json_object, record_audit
    from job_library.sis_sql import scratch_table

    if not saving.files:
        return
    r = receipts
    saved = scratch_table(
        conn,
        "tmp_receipt_pdfs",
        [
            sa.Column("receipt_id", sa.Integer, primary_key=True),
            sa.Column("pdf_file", sa.String(300), nullable=False),
        ],
    )
    conn.execute(
        sa.insert(saved),
        [{"receipt_id": doc.receipt_id, "pdf_file": path} for doc, path, _, _ in saving.files],
    )
    new_file = sa.select(saved.c.pdf_file).where(saved.c.receipt_id == r.c.receipt_id)
    mine = r.c.receipt_id.in_(sa.select(saved.c.receipt_id))
    record_audit(
        conn,
        actor,
        table="receipts",
        change="update",
        rows=sa.select(
            r.c.receipt_id,
            json_object(conn, pdf_file=r.c.pdf_file).label("old"),
            json_object(
                conn,
                pdf_file=new_file.scalar_subquery(),
                pdf_saved_at=sa.literal(actor.at.isoformat()),
            ).label("new"),
        ).where(mine),
    )
    conn.execute(
        sa.update(r).where(mine).values(pdf_file=new_file.scalar_subquery(), pdf_saved_at=actor.at)
    )
    saved.drop(conn)


def _report(
    saving: Saving, params: GenerateReceiptPdfsParams, start: dt.date, end: dt.date
) -> JobResult:
    from job_library.jobs.billing._listing import listed_with_checks
    from job_library.jobs.billing._receipt_pdf import money

    span = start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
    again = sum(1 for *_, before in saving.files if before)
    if saving.files:
        summary = f"Saved {len(saving.files)} receipt PDF(s) for {span}"
        summary += f" ({again} whose file was missing)" if again else ""
        summary += f"; {saving.already} already saved." if saving.already else "."
    else:
        summary = f"No receipt of {span} needed a PDF ({saving.already} already saved)."
    lines, rows = [summary], []
    for doc, path, _data, before in saving.files[: params.max_listed]:
        note = "saved again (file was missing)" if before else "saved"
        rows.append((doc.receipt_num, doc.receipt_date.isoformat(), doc.customer,
                     money(doc.total), path, note))  # fmt: skip
        lines.append(
            f"  receipt {doc.receipt_num} ({doc.customer}, {money(doc.total)}): {path} {note}"
        )
    return listed_with_checks(
        summary,
        lines,
        ("Receipt", "Date", "Customer", "Total", "File", "Note"),
        rows,
        total=len(saving.files),
        cap=params.max_listed,
        counts={
            "saved": len(saving.files),
            "saved_again": again,
            "already_saved": saving.already,
            "need_a_look": len(saving.checks),
        },
        checks=saving.checks,
        check_header="Receipt",
    )
