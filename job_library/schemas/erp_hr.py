"""ERP human resources and finance tables: benefits, positions, agreements, ERP customers."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

TZ = sa.DateTime(timezone=True)
MONEY = sa.Numeric(10, 2)

# What HR knows of a person beyond the employees row: birth date and home zip code (the two
# facts a benefit rate depends on) and whether they are a retiree.
hr_employee_details = sa.Table(
    "hr_employee_details",
    metadata,
    sa.Column(
        "employee_id",
        sa.Integer,
        sa.ForeignKey("employees.employee_id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("birth_date", sa.Date),
    sa.Column("zipcode", sa.String(10)),
    sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
)

# A benefit plan is for active employees or for retirees, never both.
hr_benefit_plans = sa.Table(
    "hr_benefit_plans",
    metadata,
    id_column("plan_id"),
    sa.Column("code", sa.String(20), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("for_retirees", sa.Boolean, nullable=False, server_default=sa.false()),
)

# A monthly rate by age band (both ages inclusive) and, optionally, by home zip code (the
# first five digits); a rate for the person's zip code wins over the plan's district-wide one.
hr_benefit_rates = sa.Table(
    "hr_benefit_rates",
    metadata,
    id_column("rate_id"),
    fk_column("plan_id", "hr_benefit_plans.plan_id", nullable=False),
    sa.Column("min_age", sa.Integer, nullable=False),
    sa.Column("max_age", sa.Integer, nullable=False),
    sa.Column("zipcode", sa.String(5)),
    sa.Column("monthly_rate", MONEY, nullable=False),
)

hr_benefit_enrollments = sa.Table(
    "hr_benefit_enrollments",
    metadata,
    id_column("enrollment_id"),
    fk_column("employee_id", "employees.employee_id", nullable=False),
    fk_column("plan_id", "hr_benefit_plans.plan_id", nullable=False),
    fk_column("rate_id", "hr_benefit_rates.rate_id"),
    sa.Column("monthly_rate", MONEY),
    sa.UniqueConstraint("employee_id", "plan_id", name="uq_hr_benefit_enrollment"),
)

hr_positions = sa.Table(
    "hr_positions",
    metadata,
    id_column("position_id"),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
)

# An employee's share of a position, charged to an account, for a span of dates.
hr_position_allocations = sa.Table(
    "hr_position_allocations",
    metadata,
    id_column("allocation_id"),
    fk_column("position_id", "hr_positions.position_id", nullable=False),
    fk_column("employee_id", "employees.employee_id", nullable=False),
    sa.Column("account", sa.String(60)),
    sa.Column("percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
)

# Employment agreements (the documents of ERP > Human Resources > Employment Agreement
# Maintenance) and the employees each one is assigned to.
hr_agreements = sa.Table(
    "hr_agreements",
    metadata,
    id_column("agreement_id"),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("published_date", sa.Date),
    sa.Column("deadline_date", sa.Date),
)

hr_agreement_employees = sa.Table(
    "hr_agreement_employees",
    metadata,
    fk_column("agreement_id", "hr_agreements.agreement_id", nullable=False, primary_key=True),
    fk_column("employee_id", "employees.employee_id", nullable=False, primary_key=True),
    sa.Column("assigned_at", TZ, nullable=False),
    sa.Column("assigned_by", sa.String(120), nullable=False),
)

# The ERP's customer record of a billed student: the name and address invoices print.
erp_customers = sa.Table(
    "erp_customers",
    metadata,
    id_column("customer_id"),
    fk_column("student_id", "students.student_id", nullable=False, unique=True),
    sa.Column("name", sa.String(210), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("address2", sa.String(200)),
    sa.Column("city", sa.String(100)),
    sa.Column("state", sa.String(30)),
    sa.Column("zipcode", sa.String(20)),
)

# The Student Academic Report's calculations (Billing > Student Academic Report) per student
# and term, and the Satisfactory Academic Progress status SAP Alert writes from them.
sap_academic_progress = sa.Table(
    "sap_academic_progress",
    metadata,
    id_column("progress_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("term", sa.String(20), nullable=False),
    sa.Column("calculated_on", sa.Date, nullable=False),
    sa.Column("gpa", sa.Numeric(4, 2)),
    sa.Column("attempted_credits", sa.Numeric(6, 2)),
    sa.Column("earned_credits", sa.Numeric(6, 2)),
    sa.Column("program_credits", sa.Numeric(6, 2)),
    sa.Column("sap_status", sa.String(10)),  # meets, below
    sa.Column("sap_reasons", sa.String(300)),
    sa.UniqueConstraint("student_id", "term", name="uq_sap_academic_progress"),
)
