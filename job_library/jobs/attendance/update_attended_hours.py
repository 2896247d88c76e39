"""Update Attended Hours (FPS): ATTENDED_HOURS on every schedule record of a chosen year."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.jobs.attendance.attended_hours import run_attended_hours
from job_library.sis_params import SchoolYear
from job_library.site import AddOn


class UpdateAttendedHoursParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed schedule records listed in the output"
    )


class UpdateAttendedHours(Job):
    key = "update_attended_hours"
    title = "Update Attended Hours"
    description = (
        "Recalculates the Attended Hours field on all schedule records of one school year, "
        "dropped sections included, so a past year can be corrected after late attendance "
        "changes. The School Year option picks the year; left empty it is the district's "
        "default year, and the job's title then carries no year (with a year: Update Attended "
        "Hours for 2025), so one job per year can be kept. Rules: the same count as Attended "
        "Hours: school days of the student's enrollment calendar inside both the schedule "
        "record's and the enrollment's dates, before the run date, each adding the period "
        "length unless an excused or unexcused code marks the period absent; hours are "
        "rounded to two decimals. Records no enrollment covers are listed and left alone."
    )
    module = "SIS"
    needs_add_ons = frozenset({AddOn.FPS})
    title_template = "{title} for {syear}"
    default_schedule = DefaultSchedule(run_time="23:00", weekdays=("sun",))
    params_model = UpdateAttendedHoursParams

    def run(self, context: JobContext, params: UpdateAttendedHoursParams) -> JobResult:
        return run_attended_hours(
            context,
            syear=params.syear,
            school_ids=params.schools,
            open_only=False,
            max_listed=params.max_listed,
        )
