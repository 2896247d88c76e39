"""Scheduled jobs, district settings, stored job output and student addresses."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("job_class", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default="built-in"),
        sa.Column("run_hour", sa.Integer),
        sa.Column("run_minute", sa.Integer),
        sa.Column("repeat_minutes", sa.Integer),
        sa.Column("timeframe_start", sa.String(5)),
        sa.Column("timeframe_end", sa.String(5)),
        sa.Column("weekdays", sa.String(60), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, server_default="500"),
        sa.Column("store_history", sa.String(20)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("emails", sa.Text, nullable=False, server_default=""),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "district_settings",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "job_output",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(100), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("text_output", sa.Text, nullable=False),
        sa.Column("html_output", sa.Text, nullable=False),
        sa.UniqueConstraint("job_id", "run_id", name="uq_job_output_run"),
    )
    op.create_index("ix_job_output_job_id", "job_output", ["job_id"])
    op.create_index("ix_job_output_finished_at", "job_output", ["finished_at"])
    op.create_table(
        "student_addresses",
        sa.Column("address_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("student_id", sa.Integer, nullable=False),
        sa.Column("address", sa.String(200)),
        sa.Column("address2", sa.String(200)),
        sa.Column("city", sa.String(100)),
        sa.Column("state", sa.String(30)),
        sa.Column("zipcode", sa.String(20)),
    )
    op.create_index("ix_student_addresses_student_id", "student_addresses", ["student_id"])


def downgrade() -> None:
    op.drop_table("student_addresses")
    op.drop_table("job_output")
    op.drop_table("district_settings")
    op.drop_table("scheduled_jobs")
