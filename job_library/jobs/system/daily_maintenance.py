"""Daily Maintenance: enforces each job's Store Execution History on its stored run history."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table
from job_library.retention import RETENTION_DAYS


class DailyMaintenanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(
        default=30,
        ge=1,
        le=3650,
        title="Delete history older than (days)",
        description="Applies to jobs without a Store Execution History of their own.",
    )


@dataclass(frozen=True)
class _Pruned:
    job_id: str
    keep: str
    outputs: int
    runs: int | None


class DailyMaintenance(Job):
    key = "daily_maintenance"
    title = "Daily Maintenance"
    description = (
        "Clears out job history once it is older than a set number of days. Each job's history is "
        "kept as long as its Store Execution History says; jobs without one keep it for this job's "
        "number of days. Removes Airflow's runs (with their task instances, XComs and logs) "
        "and the stored output; a run still running is never touched."
    )
    module = "System"
    # Retention is enforced only while a Daily Maintenance job is active: every site gets one.
    installed_by_default = True
    default_schedule = DefaultSchedule(
        run_time="01:00",
        timeframe_start="00:30",
        timeframe_end="04:00",
        priority=900,
        store_history="1 month",
    )
    params_model = DailyMaintenanceParams
    uses_run_history = True

    def run(self, context: JobContext, params: DailyMaintenanceParams) -> JobResult:
        from job_library.schema import job_output, scheduled_jobs_read

        conn = context.connection
        now = context.now()
        retention = dict(
            conn.execute(
                sa.select(scheduled_jobs_read.c.id, scheduled_jobs_read.c.store_history)
            ).all()
        )
        # Output of jobs that were deleted since still follows the default.
        for job_id in conn.execute(sa.select(job_output.c.job_id).distinct()).scalars():
            retention.setdefault(job_id, None)
        pruned = []
        for job_id, label in sorted(retention.items()):
            if label == "forever":
                pruned.append(_Pruned(job_id, "forever", 0, None if context.history is None else 0))
                continue
            days = RETENTION_DAYS.get(label or "", params.days)
            keep = label or f"{params.days} days (default)"
            # Timestamps are stored in UTC; SQLite compares them as text, so compare in UTC.
            cutoff = (now - dt.timedelta(days=days)).astimezone(dt.UTC)
            outputs = conn.execute(
                sa.delete(job_output).where(
                    job_output.c.job_id == job_id, job_output.c.finished_at < cutoff
                )
            ).rowcount
            runs = None
            if context.history is not None:
                runs = context.history.delete_finished_runs(job_id, cutoff)
            pruned.append(_Pruned(job_id, keep, outputs, runs))
        return _report(pruned, history=context.history is not None)


def _report(pruned: list[_Pruned], *, history: bool) -> JobResult:
    outputs = sum(p.outputs for p in pruned)
    runs = sum(p.runs or 0 for p in pruned)
    summary = f"Removed {runs} Airflow run(s) and {outputs} stored output(s) past their retention."
    if not history:
        summary = (
            f"Removed {outputs} stored output(s) past their retention; Airflow's run history "
            "was not pruned (no Airflow API connection)."
        )
    lines = [summary]
    rows = []
    for p in pruned:
        runs_text = "-" if p.runs is None else str(p.runs)
        lines.append(f"  {p.job_id}: keep {p.keep}; runs removed {runs_text}, outputs {p.outputs}")
        rows.append((p.job_id, p.keep, runs_text, p.outputs))
    table = html_table(("Job", "Keep", "Runs removed", "Outputs removed"), rows)
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{table}",
        counts={"runs_deleted": runs, "outputs_deleted": outputs},
    )
