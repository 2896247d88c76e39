"""Web-API jobs: sent-records ledger, calendar events, cashouts, Blackboard links."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"

_TABLES = (
    "emergency_services_schools",
    "blackboard_links",
    "drawer_payments",
    "cashouts",
    "settled_transactions",
    "cash_drawers",
    "calendar_events",
    "settlement_batches",
    "sent_records",
)


def upgrade() -> None:
    op.create_table(
        "sent_records",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "target", "record_key"),
    )
    op.create_table(
        "settlement_batches",
        sa.Column("batch_id", sa.String(length=30), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("complete", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_table(
        "calendar_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("uid", sa.String(length=700), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("uid"),
    )
    op.create_index(
        "ix_calendar_events_school_date",
        "calendar_events",
        ["school_id", "event_date"],
        unique=False,
    )
    op.create_table(
        "cash_drawers",
        sa.Column("drawer_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("portal_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.PrimaryKeyConstraint("drawer_id"),
    )
    op.create_table(
        "settled_transactions",
        sa.Column("transaction_id", sa.String(length=30), nullable=False),
        sa.Column("batch_id", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("invoice_number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["settlement_batches.batch_id"],
        ),
        sa.PrimaryKeyConstraint("transaction_id"),
    )
    op.create_index(
        "ix_settled_transactions_batch", "settled_transactions", ["batch_id"], unique=False
    )
    op.create_table(
        "cashouts",
        sa.Column("cashout_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drawer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.String(length=30), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["drawer_id"],
            ["cash_drawers.drawer_id"],
        ),
        sa.PrimaryKeyConstraint("cashout_id"),
        sa.UniqueConstraint("drawer_id", "source", "batch_id", name="uq_cashouts_drawer_batch"),
    )
    op.create_table(
        "drawer_payments",
        sa.Column("payment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("drawer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("transaction_id", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cashout_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("source in ('portal', 'store')", name="ck_drawer_payments_source"),
        sa.ForeignKeyConstraint(
            ["cashout_id"],
            ["cashouts.cashout_id"],
        ),
        sa.ForeignKeyConstraint(
            ["drawer_id"],
            ["cash_drawers.drawer_id"],
        ),
        sa.PrimaryKeyConstraint("payment_id"),
        sa.UniqueConstraint("transaction_id"),
    )
    op.create_table(
        "blackboard_links",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("focus_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("blackboard_id", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "focus_id"),
    )
    op.create_table(
        "emergency_services_schools",
        sa.Column("school_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lockdown_scenario_id", sa.String(length=64), nullable=True),
        sa.Column("assistance_scenario_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("school_id"),
    )


def downgrade() -> None:
    # Children first; the indexes go with their tables.
    for name in _TABLES:
        op.drop_table(name)
