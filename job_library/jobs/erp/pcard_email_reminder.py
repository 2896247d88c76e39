"""PCard Email Reminder (ERP): old draft and pending-approval P-Card requisitions, e-mailed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.site import AddOn

DRAFT_CLAUSE = "Default P-Card Draft Email Text"
PENDING_CLAUSE = "Default P-Card Pending Approval Email"


class PcardEmailReminderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Reminders listed")


class PcardEmailReminder(Job):
    key = "pcard_email_reminder"
    title = "PCard Email Reminder"
    module = "ERP"
    description = (
        "Writes to the P-Card administrator about purchasing-card requisitions that have "
        "sat too long: a requisition still a draft, or still waiting for approval, once it "
        "has been in that state for at least the number of days set (System Preferences "
        "pcard_reminder_days and pcard_administrator_email; that many days exactly counts, "
        "one day fewer does not) gets one e-mail per state, never repeated. The e-mail's "
        "text is the ERP clause for that state (a draft and a pending-approval clause); "
        "without both clauses, or without the two preferences, the run fails, says what is "
        "missing and queues nothing. The Communication Queue sends the e-mails."
    )
    params_model = PcardEmailReminderParams
    needs_add_ons = frozenset({AddOn.ERP})
    default_schedule = DefaultSchedule(run_time="06:00", weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: PcardEmailReminderParams) -> JobResult:
        from job_library.jobs.erp._pcard_work import remind

        return remind(context, params.max_listed)
