"""Attended Hours (FPS): each open schedule record's ATTENDED_HOURS from period attendance."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.site import AddOn


class AttendedHoursParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed schedule records listed in the output"
    )


def run_attended_hours(
    context: JobContext,
    *,
    syear: int | None,
    school_ids: list[int],
    open_only: bool,
    max_listed: int,
) -> JobResult:
    """Refresh ATTENDED_HOURS for the year's schedule records (open on the run date only
    when ``open_only``), counting school days before the run date."""
    from job_library.jobs.attendance._hours_work import (
        HoursField,
        hours_report,
        refresh_schedule_hours,
    )
    from job_library.sis_sql import resolve_year_and_schools

    conn = context.connection
    resolved = resolve_year_and_schools(conn, syear, school_ids)
    if isinstance(resolved, str):
        return JobResult.message(False, resolved + " Nothing was calculated.")
    syear, ids = resolved
    today = context.now().date()
    through = today - dt.timedelta(days=1)
    fields = [HoursField("attended_hours", "Attended Hours", end="through", attended=True)]
    changes = refresh_schedule_hours(
        conn,
        fields,
        {"through": through},
        syear=syear,
        school_ids=ids,
        active_on=today if open_only else None,
        max_listed=max_listed,
    )
    which = f"sections open on {today:%Y-%m-%d}" if open_only else "every schedule record"
    return hours_report(
        changes,
        fields,
        what="attended hours",
        scope=f"school year {syear}, {which}, school days through {through:%Y-%m-%d}",
        cap=max_listed,
    )


class AttendedHours(Job):
    key = "attended_hours"
    title = "Attended Hours"
    description = (
        "Keeps the Attended Hours field of each section a student is in up to date from the "
        "period attendance teachers take. Rules: every schedule record of the default school "
        "year that is open on the run date (started on or before it, no end date or ending "
        "on or after it) is worked out over the school days of the student's enrollment "
        "calendar at the section's school from the record's start date, and the enrollment's, "
        "up to the day before the run date (today's attendance is still being taken). Each such "
        "day adds the section's period length unless the student has an excused or unexcused "
        "code on that period that day (for this section or for no section); tardy and present "
        "codes count as attended. Minutes become hours rounded to two decimals. Records "
        "without an enrollment at the section's school over their dates are listed, not changed."
    )
    module = "SIS"
    needs_add_ons = frozenset({AddOn.FPS})
    school_days_only_default = True
    default_schedule = DefaultSchedule(run_time="22:30", weekdays=WEEKDAYS)
    params_model = AttendedHoursParams

    def run(self, context: JobContext, params: AttendedHoursParams) -> JobResult:
        return run_attended_hours(
            context,
            syear=None,
            school_ids=params.schools,
            open_only=True,
            max_listed=params.max_listed,
        )
