"""SSS Parent Portal Notifications: an SSS alert unread for 24 hours e-mails the first contact."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule
from job_library.site import AddOn


class SssParentNotificationsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Queued e-mails listed")


class SssParentNotifications(Job):
    key = "sss_parent_portal_notifications"
    title = "SSS Parent Portal Notifications"
    module = "Communication"
    description = (
        "Reminds families of Student Support Services alerts they have not opened: when a "
        "student's SSS portal alert (an alert whose type starts with sss) is still unread "
        "a full day after it was raised (24 hours exactly counts; a minute less does not), "
        "an e-mail with the alert's text is queued for each of the student's contacts with "
        "priority 1 who has an e-mail address. Each alert is e-mailed to a contact once, "
        "whatever runs again; the Communication Queue sends it. An alert read in time is "
        "never e-mailed."
    )
    params_model = SssParentNotificationsParams
    needs_add_ons = frozenset({AddOn.SSS})
    default_schedule = DefaultSchedule(repeat_minutes=60, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: SssParentNotificationsParams) -> JobResult:
        from job_library.jobs.communications._alerts_work import queue_sss_alerts

        return queue_sss_alerts(context, params.max_listed)
