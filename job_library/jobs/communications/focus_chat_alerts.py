"""Focus Chat Alerts: deliver queued chat messages; e-mail those still unread."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule


class FocusChatAlertsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Messages listed")


class FocusChatAlerts(Job):
    key = "focus_chat_alerts"
    title = "Focus Chat Alerts"
    module = "Communication"
    description = (
        "Delivers the Focus Chat messages waiting to go out (they become visible to their "
        "recipient), then, for every chat message the recipient has still not opened when "
        "the job runs, queues one e-mail with the message to the recipient's e-mail "
        "address, once per message. Messages written after the run started wait for the "
        "next run; a recipient without an e-mail address is listed and gets none. The "
        "Communication Queue sends the e-mails."
    )
    params_model = FocusChatAlertsParams
    default_schedule = DefaultSchedule(repeat_minutes=15, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: FocusChatAlertsParams) -> JobResult:
        from job_library.jobs.communications._alerts_work import chat_alerts

        return chat_alerts(context, params.max_listed)
