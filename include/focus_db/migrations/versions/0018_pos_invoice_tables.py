"""Point-of-sale billing tables: gl_pos_invoice and gl_pos_invoice_allocation."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"


def upgrade() -> None:
    op.create_table(
        "gl_pos_invoice",
        sa.Column("invoice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("invoice_number", sa.String(length=60), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("paid", sa.Numeric(12, 2), nullable=False),
        sa.Column("refunded", sa.Numeric(12, 2), nullable=False),
        sa.Column("deferred", sa.Numeric(12, 2), nullable=False),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.invoice_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_table(
        "gl_pos_invoice_allocation",
        sa.Column("allocation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["allocation_id"], ["allocations.allocation_id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["gl_pos_invoice.invoice_id"]),
        sa.ForeignKeyConstraint(["line_id"], ["invoice_lines.line_id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.payment_id"]),
        sa.PrimaryKeyConstraint("allocation_id"),
    )
    op.create_index(
        "ix_gl_pos_invoice_allocation_invoice",
        "gl_pos_invoice_allocation",
        ["invoice_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("gl_pos_invoice_allocation")
    op.drop_table("gl_pos_invoice")
