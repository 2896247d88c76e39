"""Tables of the scheduled-jobs feature itself (the job catalog's tables are in job_library)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

scheduled_jobs = sa.Table(
    "scheduled_jobs",
    metadata,
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
    # Migration 0008: school days only (NULL: the class's default) and run after other jobs.
    sa.Column("school_days_only", sa.Boolean),
    sa.Column("calendar_schools", sa.Text, nullable=False, server_default=""),
    sa.Column("run_after", sa.Text, nullable=False, server_default=""),
    sa.Column("not_before", sa.String(5)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

# One row per DAG run whose job committed: written in the job's own transaction, so a later
# try of the same run finds it and does not apply the job again (include/run_fence.py).
job_run_claims = sa.Table(
    "job_run_claims",
    metadata,
    sa.Column("job_id", sa.String(100), primary_key=True),
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False),
    sa.Column("try_number", sa.Integer),
    sa.Column("worker", sa.String(200), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
)
