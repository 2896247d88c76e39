"""Field Trip Notifications (ERP): Transportation notices become portal alerts and e-mails."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule
from job_library.site import AddOn


class FieldTripNotificationsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Notices listed")


class FieldTripNotifications(Job):
    key = "field_trip_notifications"
    title = "Field Trip Notifications"
    module = "ERP"
    description = (
        "Delivers the Transportation notices raised about field trips (a request approved, "
        "a bus assigned, a trip changed): each new notice becomes a portal alert for its "
        "user and an e-mail to the user's address, once; a user without an e-mail address "
        "gets the alert only and is listed. Notices raised after the run started wait for "
        "the next run. The Communication Queue sends the e-mails."
    )
    params_model = FieldTripNotificationsParams
    needs_add_ons = frozenset({AddOn.ERP})
    default_schedule = DefaultSchedule(repeat_minutes=30, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: FieldTripNotificationsParams) -> JobResult:
        from job_library.jobs.erp._erp_alerts_work import field_trip_notices

        return field_trip_notices(context, params.max_listed)
