"""Communication Queue and its older form, Phone Communication Processing: send what is due."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule
from job_library.site import AddOn, SiteKind


class CommunicationQueueParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(
        default=100,
        ge=1,
        le=5_000,
        title="Messages per batch",
        description="Messages marked and sent together; a crash mid-batch leaves at most "
        "this many unconfirmed.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Problem messages listed")


class CommunicationQueue(Job):
    key = "communication_queue"
    title = "Communication Queue"
    module = "Communication"
    description = (
        "The one place Focus's outgoing messages leave from. Each run first queues the day's "
        "attendance messages (Communication settings: a message per absence type and "
        "channel, for each contact up to the set priority), then sends every message of the "
        "communication_queue table whose send time has come: scheduled messages from staff, "
        "attendance messages, messages other jobs queued and rows a district inserted with "
        "a query. E-mail goes out as soon as it is due; calls, texts and push notifications "
        "also wait for the school's sending hours (System Preferences: no calls, texts or "
        "push before / after, per school with a district default; both ends are allowed, "
        "to the minute). Each message is sent at most once: a batch is marked and committed "
        "before it is handed to the mail server or the phone provider, and each outcome is "
        "recorded after; a run that dies in between leaves its messages unconfirmed (listed, "
        "never re-sent). A server that is busy or down gets the message again on a later "
        "run, up to five tries; a recipient the server refuses (no such mailbox, not a "
        "mobile number) is reported as undeliverable and never retried. Installed with the "
        "Communication / Call Out add-on to run every 15 minutes; Run Job is refused on "
        "non-production sites (focus-jobs run still works there)."
    )
    params_model = CommunicationQueueParams
    sends_messages = True
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    manual_run_refused_on = frozenset({SiteKind.NON_PRODUCTION})
    installed_by_default = True
    default_schedule = DefaultSchedule(repeat_minutes=15, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: CommunicationQueueParams) -> JobResult:
        from job_library.jobs.communications._queue_job import run_queue

        return run_queue(context, batch_size=params.batch_size, max_listed=params.max_listed)


class PhoneCommunicationProcessing(CommunicationQueue):
    key = "phone_communication_processing"
    title = "Phone Communication Processing"
    module = "Phone Communication"
    description = (
        "The version 11 name of the Communication Queue, kept so that districts that still "
        "have this job keep sending: it does exactly what Communication Queue does (the "
        "day's attendance messages, then every message due, calls and texts inside the "
        "sending hours, each sent at most once). It is not installed on new sites; a "
        "district needs only one of the two."
    )
    installed_by_default = False
