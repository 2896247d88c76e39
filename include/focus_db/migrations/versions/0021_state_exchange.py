"""State reporting and file exchange: the nine Florida PEER tables, P-Card transactions, and
the ERP chart of accounts, vendors and purchase orders the extracts read."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"

_PLAN = (("plan_date", "date"), ("end_date", "date"))
_ACCOMMODATION = (("plan_id", "text"), ("accommodation", "text"))
# Frozen copy of job_library.schemas.florida_peer.PEER_COLUMNS at this revision.
_PEER = (
    ("fl_peer_active_eps", _PLAN),
    ("fl_peer_active_ieps", _PLAN),
    ("fl_peer_active_504_plans", _PLAN),
    ("fl_peer_assessment_accommodations", _ACCOMMODATION),
    ("fl_peer_classroom_accommodations", _ACCOMMODATION),
    ("fl_peer_iep_lre", (("plan_id", "text"), ("lre_code", "text"))),
    (
        "fl_peer_matrix_services",
        (("plan_id", "text"), ("service", "text"), ("matrix_level", "text")),
    ),
    ("fl_peer_504_assessment_accommodations", _ACCOMMODATION),
    ("fl_peer_504_classroom_accommodations", _ACCOMMODATION),
)


def upgrade() -> None:
    for name, columns in _PEER:
        op.create_table(
            name,
            sa.Column("peer_id", sa.String(length=40), nullable=False),
            sa.Column("student_id", sa.Integer(), nullable=False),
            *(
                sa.Column(c, sa.Date() if kind == "date" else sa.String(length=100), nullable=False)
                for c, kind in columns
            ),
            sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
            sa.PrimaryKeyConstraint("peer_id"),
        )
    with op.batch_alter_table("pcard_requisitions") as batch:
        batch.add_column(sa.Column("fiscal_year", sa.Integer(), nullable=True))
    op.create_table(
        "pcard_transactions",
        sa.Column("transaction_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bank", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("cardholder", sa.String(length=200), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        sa.Column("merchant", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("requisition_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["requisition_id"], ["pcard_requisitions.requisition_id"]),
        sa.PrimaryKeyConstraint("transaction_id"),
        sa.UniqueConstraint("bank", "reference", name="uq_pcard_transactions_reference"),
    )
    op.create_table(
        "gl_accounts",
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    op.create_table(
        "erp_vendors",
        sa.Column("vendor_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor_number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tax_id", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id"),
        sa.UniqueConstraint("vendor_number"),
    )
    op.create_table(
        "erp_purchase_orders",
        sa.Column("po_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("po_number", sa.String(length=20), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("po_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.ForeignKeyConstraint(["vendor_id"], ["erp_vendors.vendor_id"]),
        sa.PrimaryKeyConstraint("po_id"),
        sa.UniqueConstraint("po_number"),
    )


def downgrade() -> None:
    op.drop_table("erp_purchase_orders")
    op.drop_table("erp_vendors")
    op.drop_table("gl_accounts")
    op.drop_table("pcard_transactions")
    with op.batch_alter_table("pcard_requisitions") as batch:
        batch.drop_column("fiscal_year")
    for name, _ in reversed(_PEER):
        op.drop_table(name)
