"""ERP finance and HR jobs: benefit rates, positions, agreements, ERP customers, SAP."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0020"

_TABLES = (
    "hr_benefit_enrollments",
    "sap_academic_progress",
    "hr_position_allocations",
    "hr_employee_details",
    "hr_benefit_rates",
    "hr_agreement_employees",
    "erp_customers",
    "hr_positions",
    "hr_benefit_plans",
    "hr_agreements",
)


def upgrade() -> None:
    op.create_table(
        "hr_agreements",
        sa.Column("agreement_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("deadline_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("agreement_id"),
    )
    op.create_table(
        "hr_benefit_plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("for_retirees", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "hr_positions",
        sa.Column("position_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("position_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "erp_customers",
        sa.Column("customer_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=210), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("address2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=True),
        sa.Column("zipcode", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("customer_id"),
        sa.UniqueConstraint("student_id"),
    )
    op.create_table(
        "hr_agreement_employees",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["hr_agreements.agreement_id"],
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
        ),
        sa.PrimaryKeyConstraint("agreement_id", "employee_id"),
    )
    op.create_table(
        "hr_benefit_rates",
        sa.Column("rate_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=False),
        sa.Column("max_age", sa.Integer(), nullable=False),
        sa.Column("zipcode", sa.String(length=5), nullable=True),
        sa.Column("monthly_rate", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["hr_benefit_plans.plan_id"],
        ),
        sa.PrimaryKeyConstraint("rate_id"),
    )
    op.create_table(
        "hr_employee_details",
        sa.Column("employee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("zipcode", sa.String(length=10), nullable=True),
        sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
        ),
        sa.PrimaryKeyConstraint("employee_id"),
    )
    op.create_table(
        "hr_position_allocations",
        sa.Column("allocation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["hr_positions.position_id"],
        ),
        sa.PrimaryKeyConstraint("allocation_id"),
    )
    op.create_table(
        "sap_academic_progress",
        sa.Column("progress_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=20), nullable=False),
        sa.Column("calculated_on", sa.Date(), nullable=False),
        sa.Column("gpa", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("attempted_credits", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("earned_credits", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("program_credits", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("sap_status", sa.String(length=10), nullable=True),
        sa.Column("sap_reasons", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("progress_id"),
        sa.UniqueConstraint("student_id", "term", name="uq_sap_academic_progress"),
    )
    op.create_table(
        "hr_benefit_enrollments",
        sa.Column("enrollment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("rate_id", sa.Integer(), nullable=True),
        sa.Column("monthly_rate", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.employee_id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["hr_benefit_plans.plan_id"],
        ),
        sa.ForeignKeyConstraint(
            ["rate_id"],
            ["hr_benefit_rates.rate_id"],
        ),
        sa.PrimaryKeyConstraint("enrollment_id"),
        sa.UniqueConstraint("employee_id", "plan_id", name="uq_hr_benefit_enrollment"),
    )


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
