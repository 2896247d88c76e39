"""Attendance SMS: text contacts of students marked today with a mobile-alert code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.site import AddOn


class AttendanceSmsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Texts listed")


class AttendanceSms(Job):
    key = "attendance_sms"
    title = "Attendance SMS"
    module = "Communication"
    description = (
        "Texts parents and guardians when their student is marked today with one of the "
        "attendance codes chosen as mobile alerts (System Preference "
        "attendance_mobile_alert_codes: short names separated by commas, per school with a "
        "district default; a school with none set sends nothing). One text per student, "
        "day and contact with a phone number, naming the codes; never queued twice, and "
        "sent by the Communication Queue inside the sending hours. A code in the list that "
        "the school year does not have is listed and ignored."
    )
    params_model = AttendanceSmsParams
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    default_schedule = DefaultSchedule(repeat_minutes=30, weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: AttendanceSmsParams) -> JobResult:
        from job_library.jobs.communications._alerts_work import attendance_texts

        return attendance_texts(context, params.max_listed)
