"""Focus database tables the job catalog reads and writes."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# One row per finished run: the Execution History output that Daily Maintenance prunes.
job_output = sa.Table(
    "job_output",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(100), nullable=False, index=True),
    sa.Column("run_id", sa.String(250), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("text_output", sa.Text, nullable=False),
    sa.Column("html_output", sa.Text, nullable=False),
    sa.UniqueConstraint("job_id", "run_id", name="uq_job_output_run"),
)

student_addresses = sa.Table(
    "student_addresses",
    metadata,
    sa.Column("address_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("student_id", sa.Integer, nullable=False, index=True),
    sa.Column("address", sa.String(200)),
    sa.Column("address2", sa.String(200)),
    sa.Column("city", sa.String(100)),
    sa.Column("state", sa.String(30)),
    sa.Column("zipcode", sa.String(20)),
)


# The scheduled-jobs table is owned by the glue (include/focus_db); jobs only read from it:
# Daily Maintenance each job's Store Execution History choice, Rollover whether an active Set
# Next School job is defined.
scheduled_jobs_read = sa.table(
    "scheduled_jobs",
    sa.column("id", sa.String),
    sa.column("job_class", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("store_history", sa.String),
)

# --- ERP: employees, users, leave, deductions (the file integrations write these) ---------

employees = sa.Table(
    "employees",
    metadata,
    sa.Column("employee_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ein", sa.String(20), nullable=False, unique=True),
    sa.Column("ssn", sa.String(11), unique=True),
    sa.Column("first_name", sa.String(100)),
    sa.Column("last_name", sa.String(100)),
    sa.Column("email", sa.String(200)),
    sa.Column("hire_date", sa.Date),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ein", sa.String(20), unique=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("email", sa.String(200)),
)

leave_requests = sa.Table(
    "leave_requests",
    metadata,
    sa.Column("leave_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("confirmation_number", sa.String(40), nullable=False),
    sa.Column("leave_date", sa.Date, nullable=False),
    sa.Column("employee_id", sa.Integer, sa.ForeignKey("employees.employee_id"), nullable=False),
    sa.Column("start_time", sa.String(5)),
    sa.Column("end_time", sa.String(5)),
    sa.Column("hours", sa.Numeric(6, 2), nullable=False),
    sa.Column("reason", sa.String(100)),
    sa.Column("paid", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("source_file", sa.String(200)),
    sa.UniqueConstraint("confirmation_number", "leave_date", name="uq_leave_requests_absence"),
)

substitute_fulfillments = sa.Table(
    "substitute_fulfillments",
    metadata,
    sa.Column("fulfillment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("confirmation_number", sa.String(40), nullable=False),
    sa.Column("leave_date", sa.Date, nullable=False),
    sa.Column("substitute_ein", sa.String(20), nullable=False),
    sa.Column("substitute_name", sa.String(200)),
    sa.Column("hours", sa.Numeric(6, 2), nullable=False),
    sa.Column("paid", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("confirmation_number", "leave_date", name="uq_substitute_absence"),
)

deduction_codes = sa.Table(
    "deduction_codes",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
)

employee_deductions = sa.Table(
    "employee_deductions",
    metadata,
    sa.Column("deduction_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("employee_id", sa.Integer, sa.ForeignKey("employees.employee_id"), nullable=False),
    sa.Column("code", sa.String(20), sa.ForeignKey("deduction_codes.code"), nullable=False),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.UniqueConstraint("employee_id", "code", name="uq_employee_deduction"),
)

# Every imported file by checksum, written in the import's own transaction: a file is
# never imported twice, even when the process dies between importing and renaming it.
processed_files = sa.Table(
    "processed_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(100), nullable=False),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("job_id", "sha256", name="uq_processed_file"),
)

# --- System: the Worker Check job's record of which worker ran it -------------------------

worker_checks = sa.Table(
    "worker_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(100), nullable=False, index=True),
    sa.Column("worker", sa.String(200), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)
