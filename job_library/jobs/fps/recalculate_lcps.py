"""Recalculate LCPs (FPS): clear and place again the levels and LCPs of a date range."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.fps.assign_lcps import LCP_RULES
from job_library.sis_params import SchoolYear
from job_library.site import AddOn


class RecalculateLcpsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: dt.date = Field(
        title="Start date", description="First day of the range (records active on it count)."
    )
    end_date: dt.date | None = Field(
        default=None,
        title="End date",
        description="Last day of the range; leave empty for the run day.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose records are recalculated; empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed records listed")

    @model_validator(mode="after")
    def _range(self) -> RecalculateLcpsParams:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(
                f"end_date {self.end_date} is before start_date {self.start_date}; "
                "swap them or leave end_date empty"
            )
        return self


class RecalculateLcps(Job):
    key = "recalculate_lcps"
    title = "Recalculate LCPs"
    description = (
        "Run on demand after tests were entered with earlier dates: for every schedule record "
        "active at any time in the date range, ended or still running, it first clears the "
        "functional levels, LCPs and test ids, then places the record again with the same "
        "rules as Assign LCPs, as of the range's last day (tests of the six months up to that "
        "day; a later end date than today counts up to today). A record no test places stays "
        "cleared. It refuses a school year that has ended. " + LCP_RULES
    )
    module = "FPS"
    needs_state = "FL"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = RecalculateLcpsParams

    def run(self, context: JobContext, params: RecalculateLcpsParams) -> JobResult:
        from job_library.jobs.fps._lcp_work import run_lcps

        today = context.now().date()
        end = params.end_date or today
        if params.start_date > today:
            return JobResult.message(
                False,
                f"start_date {params.start_date}: after today ({today}); pick a range that "
                "has begun. No record was changed.",
            )
        return run_lcps(
            context.connection,
            title=self.title,
            syear=params.syear,
            schools=params.schools,
            today=today,
            as_of=min(end, today),
            range_from=params.start_date,
            range_to=end,
            cap=params.max_listed,
        )
