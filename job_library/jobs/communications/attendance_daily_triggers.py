"""Attendance Daily Triggers: attendance letters queued when a student reaches a trigger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule


class AttendanceDailyTriggersParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Letters listed")


class AttendanceDailyTriggers(Job):
    key = "attendance_daily_triggers"
    title = "Attendance Daily Triggers"
    module = "Communication"
    description = (
        "Queues attendance letters once a day from the district's attendance triggers. A "
        "trigger counts a student's absences of the current school year up to today, "
        "either whole days (daily attendance, the day's absence type) or class periods "
        "(period attendance, the code's category), of one kind (unexcused, excused) or any; "
        "when the count reaches the trigger's number (that number exactly counts) a letter "
        "is e-mailed to each priority-1 contact with an address, its {student} and {count} "
        "filled in. A student gets a trigger's letter once a year, never again on later "
        "runs; the Communication Queue sends it. Inactive triggers are skipped."
    )
    params_model = AttendanceDailyTriggersParams
    default_schedule = DefaultSchedule(run_time="19:00", weekdays=WEEKDAYS)
    school_days_only_default = True

    def run(self, context: JobContext, params: AttendanceDailyTriggersParams) -> JobResult:
        from job_library.jobs.communications._triggers_work import queue_letters

        return queue_letters(context, params.max_listed)
