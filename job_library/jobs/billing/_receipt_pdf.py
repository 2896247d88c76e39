"""A receipt laid out as a one-receipt PDF (reportlab), the same bytes for the same receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

LINES_PER_PAGE = 30


@dataclass(frozen=True)
class ReceiptLine:
    """One thing a receipt paid for: what it was and the amount."""

    description: str
    amount: Decimal


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything a receipt's PDF shows.

    :param receipt_id: the receipt's key (names the file).
    :param receipt_num: the number printed on it.
    :param receipt_date: the day it was taken.
    :param source: where it was taken (Student Billing, Store).
    :param customer: who paid.
    :param location: the cash drawer or school that took it, when known.
    :param payment: how it was paid (method and reference), when known.
    :param lines: what it paid for.
    :param total: the receipt's amount.
    """

    receipt_id: int
    receipt_num: str
    receipt_date: dt.date
    source: str
    customer: str
    location: str | None
    payment: str | None
    lines: tuple[ReceiptLine, ...]
    total: Decimal

    def digest(self) -> str:
        """A fingerprint of what the PDF shows: a changed receipt gets a new PDF."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def render(doc: ReceiptDocument, district: str) -> bytes:
    """The receipt's PDF. Built with reportlab's invariant mode: no creation time or random
    document id in it, so the same receipt always gives the same bytes."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    pdf.setTitle(f"Receipt {doc.receipt_num}")
    pdf.setAuthor(district)
    chunks = [doc.lines[i : i + LINES_PER_PAGE] for i in range(0, len(doc.lines), LINES_PER_PAGE)]
    pages = chunks or [()]
    for number, chunk in enumerate(pages, start=1):
        y = 740
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(72, y, district)
        y -= 22
        pdf.setFont("Helvetica", 11)
        head = [
            f"Receipt {doc.receipt_num}",
            f"Date: {doc.receipt_date.isoformat()}",
            f"Taken by: {doc.source}" + (f", {doc.location}" if doc.location else ""),
            f"Received from: {doc.customer}",
        ]
        if doc.payment:
            head.append(f"Payment: {doc.payment}")
        for text in head:
            pdf.drawString(72, y, text)
            y -= 16
        y -= 8
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(72, y, "Description")
        pdf.drawRightString(540, y, "Amount")
        y -= 16
        pdf.setFont("Helvetica", 11)
        for line in chunk:
            pdf.drawString(72, y, line.description[:70])
            pdf.drawRightString(540, y, money(line.amount))
            y -= 15
        if number == len(pages):
            y -= 8
            pdf.setFont("Helvetica-Bold", 11)
            pdf.drawString(72, y, "Total")
            pdf.drawRightString(540, y, money(doc.total))
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 40, f"Page {number} of {len(pages)}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
