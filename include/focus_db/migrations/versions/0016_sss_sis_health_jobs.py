"""SSS IEP events with their Matrix of Services and Schedule of Services forms."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0011"

_TABLES = (
    "sss_schedule_of_services",
    "sss_matrix_forms",
    "sss_events",
)


def upgrade() -> None:
    op.create_table(
        "sss_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("services_start_date", sa.Date(), nullable=True),
        sa.Column("locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_sss_events_student", "sss_events", ["student_id"], unique=False)
    op.create_table(
        "sss_matrix_forms",
        sa.Column("form_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("cost_factor", sa.String(length=3), nullable=True),
        sa.Column("fefp_code", sa.String(length=3), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["sss_events.event_id"]),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_index("ix_sss_matrix_forms_event", "sss_matrix_forms", ["event_id"], unique=False)
    op.create_table(
        "sss_schedule_of_services",
        sa.Column("form_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("minutes_with_non_disabled", sa.Integer(), nullable=True),
        sa.Column("minutes_total_week", sa.Integer(), nullable=True),
        sa.Column("idea_environment", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["sss_events.event_id"]),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_index(
        "ix_sss_schedule_of_services_event",
        "sss_schedule_of_services",
        ["event_id"],
        unique=False,
    )


def downgrade() -> None:
    # Children first; the indexes go with their tables.
    for name in _TABLES:
        op.drop_table(name)
