"""Automated Emails: send the Automated Cron Messages set up under Setup, once each."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult


class AutomatedEmailsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mark_failed_when_errors: bool = Field(
        default=False,
        title="Mark job as failed when errors",
        description="When on, the run fails if any of its e-mails could not be sent.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Problem messages listed")


class AutomatedEmails(Job):
    key = "automated_emails"
    title = "Automated Emails"
    module = "Communication"
    description = (
        "Sends the e-mails of the Automated Cron Messages a district sets up (a subject, a "
        "text and a list of recipients, with the time it should go). A run puts every "
        "active message whose time has come into the communication queue, once per "
        "recipient (never twice, whatever runs again), then sends those automated e-mails "
        "itself, each at most once, the same way the Communication Queue does. A recipient "
        "the mail server refuses is listed as undeliverable; a server that is busy or down "
        'gets the e-mail again on a later run. With "Mark job as failed when errors" on, '
        "a run in which any e-mail was not sent ends as failed (the rest are still sent); "
        "without it the run succeeds and lists the problems. When the mail server cannot "
        "be reached at all, the run fails either way and the e-mails stay queued."
    )
    params_model = AutomatedEmailsParams
    sends_messages = True

    def run(self, context: JobContext, params: AutomatedEmailsParams) -> JobResult:
        from job_library.jobs.communications._automated_work import run_automated

        return run_automated(context, params.mark_failed_when_errors, params.max_listed)
