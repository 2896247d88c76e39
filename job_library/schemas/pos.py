"""The point-of-sale billing tables (gl_pos_invoice, gl_pos_invoice_allocation) that POS
Invoice Table Update keeps in step with the finance tables (job_library.schemas.finance)."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata

_TZ = sa.DateTime(timezone=True)


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(12, 2), nullable=False)


# One row per point-of-sale invoice that is not flagged deleted: what it charges, what
# valid payments pay of it, what was refunded and deferred, and the balance left. The
# district's own reports read this table rather than summing the finance tables.
gl_pos_invoice = sa.Table(
    "gl_pos_invoice",
    metadata,
    sa.Column(
        "invoice_id",
        sa.Integer,
        sa.ForeignKey("invoices.invoice_id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("invoice_number", sa.String(60), nullable=False),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id")),
    sa.Column("customer", sa.String(200)),
    sa.Column("school_id", sa.Integer, sa.ForeignKey("schools.school_id")),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date),
    sa.Column("status", sa.String(10), nullable=False),
    _money("amount"),
    _money("paid"),
    _money("refunded"),
    _money("deferred"),
    _money("balance"),
    sa.Column("updated_at", _TZ, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

# One row per active allocation of a valid payment to one of those invoices.
gl_pos_invoice_allocation = sa.Table(
    "gl_pos_invoice_allocation",
    metadata,
    sa.Column(
        "allocation_id",
        sa.Integer,
        sa.ForeignKey("allocations.allocation_id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("gl_pos_invoice.invoice_id"), nullable=False),
    sa.Column("payment_id", sa.Integer, sa.ForeignKey("payments.payment_id"), nullable=False),
    sa.Column("line_id", sa.Integer, sa.ForeignKey("invoice_lines.line_id")),
    _money("amount"),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("reference", sa.String(60)),
    sa.Column("updated_at", _TZ, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Index("ix_gl_pos_invoice_allocation_invoice", "invoice_id"),
)
