"""Communication Email Replies: replies to Focus e-mails, fetched over IMAP into inboxes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule
from job_library.site import AddOn


class CommunicationEmailRepliesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_messages: int = Field(
        default=500,
        ge=1,
        le=10_000,
        title="Replies fetched per run",
        description="The rest wait for the next run (memory stays bounded).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Replies listed")


class CommunicationEmailReplies(Job):
    key = "communication_email_replies"
    title = "Communication Email Replies"
    module = "Communication"
    description = (
        "When families answer a Focus e-mail from their own mail program, the answer lands "
        "in the district's replies mailbox; this job reads that mailbox over IMAP (the "
        "communication_imap connection) and files each reply in the inbox of the person "
        "who sent the original message. A reply is matched by the In-Reply-To or References "
        "header, which names the original's queue row (every Focus e-mail's Message-ID "
        "does). Messages are read without being marked; only after the replies are "
        "committed are they marked seen, and a reply already filed (same Message-ID, or "
        "the same bytes when it has none) is never filed twice. A message that answers "
        "nothing Focus sent, or whose original is unknown, is listed with the reason and "
        "marked seen. Up to the chosen number of messages are read per run."
    )
    params_model = CommunicationEmailRepliesParams
    sends_messages = True  # it is handed the mailbox with the other transports
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    default_schedule = DefaultSchedule(repeat_minutes=15, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: CommunicationEmailRepliesParams) -> JobResult:
        from job_library.jobs.communications._replies_work import file_replies

        return file_replies(context, params.max_messages, params.max_listed)
