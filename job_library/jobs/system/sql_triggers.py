"""SQL Triggers: enforces the rules a district defines under Edit Rules & Workflow."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule


class SqlTriggersParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed rows listed per rule")


class SqlTriggers(Job):
    key = "sql_triggers"
    title = "SQL Triggers"
    description = (
        "Applies the district's rules from Setup > Edit Rules & Workflow. A rule names a "
        "table, conditions on its columns that must all hold (equal, not equal, less or "
        "greater, empty, not empty, one of a list), and the column to set and its new value. "
        "The rules are not database triggers: they take effect only when this job runs, and "
        "a row that matches after a run is changed by the next run. Each run applies every "
        "active rule in rule number order, as one statement per rule over every matching "
        "row; rows that already hold the value are not counted. A rule that names an unknown "
        "table or column, an operator it does not know or a value the column cannot hold, "
        "or whose change the database refuses, is listed with the reason and changes nothing; "
        "the other rules still apply."
    )
    module = "System"
    params_model = SqlTriggersParams
    default_schedule = DefaultSchedule(repeat_minutes=15, priority=500)

    def run(self, context: JobContext, params: SqlTriggersParams) -> JobResult:
        from job_library.jobs.system._sql_trigger_work import apply_rules

        return apply_rules(context, params)
