"""Daily Maintenance: deletes stored job output older than a number of days."""

from __future__ import annotations

import datetime as dt
import html

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.schema import job_output


class DailyMaintenanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(
        default=30,
        ge=1,
        le=3650,
        title="Delete history older than (days)",
        description="Stored job output that finished more than this many days ago is deleted.",
    )


class DailyMaintenance(Job):
    key = "daily_maintenance"
    title = "Daily Maintenance"
    description = "Deletes cron job history for after a number of days."
    module = "SIS"
    params_model = DailyMaintenanceParams

    def run(self, context: JobContext, params: DailyMaintenanceParams) -> JobResult:
        cutoff = context.now() - dt.timedelta(days=params.days)
        # Timestamps are stored in UTC; SQLite compares them as text, so compare in UTC too.
        cutoff_utc = cutoff.astimezone(dt.UTC)
        per_job = dict(
            context.connection.execute(
                sa.select(job_output.c.job_id, sa.func.count())
                .where(job_output.c.finished_at < cutoff_utc)
                .group_by(job_output.c.job_id)
                .order_by(job_output.c.job_id)
            ).all()
        )
        deleted = context.connection.execute(
            sa.delete(job_output).where(job_output.c.finished_at < cutoff_utc)
        ).rowcount
        summary = (
            f"Deleted {deleted} stored job output(s) older than {params.days} day(s) "
            f"(finished before {cutoff:%Y-%m-%d %H:%M %Z})."
        )
        lines = [summary] + [f"  {job_id}: {count}" for job_id, count in per_job.items()]
        rows = "".join(
            f"<tr><td>{html.escape(job_id)}</td><td>{count}</td></tr>"
            for job_id, count in per_job.items()
        )
        table = f"<table><tr><th>Job</th><th>Deleted</th></tr>{rows}</table>" if rows else ""
        return JobResult(
            success=True,
            summary=summary,
            text="\n".join(lines),
            html=f"<p>{html.escape(summary)}</p>{table}",
            counts={"deleted": deleted},
        )
