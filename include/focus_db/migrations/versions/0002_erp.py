"""ERP tables for the file integrations, and the ledger of processed files."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ein", sa.String(20), nullable=False, unique=True),
        sa.Column("ssn", sa.String(11), unique=True),
        sa.Column("first_name", sa.String(100)),
        sa.Column("last_name", sa.String(100)),
        sa.Column("email", sa.String(200)),
        sa.Column("hire_date", sa.Date),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ein", sa.String(20), unique=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("email", sa.String(200)),
    )
    op.create_table(
        "leave_requests",
        sa.Column("leave_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("confirmation_number", sa.String(40), nullable=False),
        sa.Column("leave_date", sa.Date, nullable=False),
        sa.Column(
            "employee_id", sa.Integer, sa.ForeignKey("employees.employee_id"), nullable=False
        ),
        sa.Column("start_time", sa.String(5)),
        sa.Column("end_time", sa.String(5)),
        sa.Column("hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("reason", sa.String(100)),
        sa.Column("paid", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source_file", sa.String(200)),
        sa.UniqueConstraint("confirmation_number", "leave_date", name="uq_leave_requests_absence"),
    )
    op.create_table(
        "substitute_fulfillments",
        sa.Column("fulfillment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("confirmation_number", sa.String(40), nullable=False),
        sa.Column("leave_date", sa.Date, nullable=False),
        sa.Column("substitute_ein", sa.String(20), nullable=False),
        sa.Column("substitute_name", sa.String(200)),
        sa.Column("hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("paid", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("confirmation_number", "leave_date", name="uq_substitute_absence"),
    )
    op.create_table(
        "deduction_codes",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )
    op.create_table(
        "employee_deductions",
        sa.Column("deduction_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "employee_id", sa.Integer, sa.ForeignKey("employees.employee_id"), nullable=False
        ),
        sa.Column("code", sa.String(20), sa.ForeignKey("deduction_codes.code"), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.UniqueConstraint("employee_id", "code", name="uq_employee_deduction"),
    )
    op.create_table(
        "processed_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("job_id", "sha256", name="uq_processed_file"),
    )


def downgrade() -> None:
    for table in (
        "processed_files",
        "employee_deductions",
        "deduction_codes",
        "substitute_fulfillments",
        "leave_requests",
        "users",
        "employees",
    ):
        op.drop_table(table)
