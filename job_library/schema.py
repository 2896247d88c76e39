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


# The scheduled-jobs table is owned by the glue (include/focus_db); the maintenance job only
# reads each job's Store Execution History choice from it.
scheduled_job_retention = sa.table(
    "scheduled_jobs", sa.column("id", sa.String), sa.column("store_history", sa.String)
)
