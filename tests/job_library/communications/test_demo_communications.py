"""The communication jobs on the demo district, sending to a real SMTP server and Twilio
stand-in: what `make run` shows in its mail folder."""

from __future__ import annotations

import datetime as dt

from include.demo_district import REFERENCE_DAY, generate
from job_library.jobs.communications.automated_emails import (
    AutomatedEmails,
    AutomatedEmailsParams,
)
from job_library.jobs.communications.communication_queue import (
    CommunicationQueue,
    CommunicationQueueParams,
)
from job_library.jobs.communications.email_notifications import (
    EmailNotifications,
    EmailNotificationsParams,
)
from tests.job_library.communications.conftest import run_and_send, statuses
from tests.job_library.jobs_context import run_in_transaction

EVENING = dt.datetime(2026, 1, 21, 23, 0, tzinfo=dt.UTC)  # 18:00 in Florida


def test_the_demo_district_sends_its_messages(db, mail, twilio):
    generate(db, 60, today=REFERENCE_DAY)
    notified = run_in_transaction(db, EmailNotifications(), EmailNotificationsParams(), now=EVENING)
    assert notified.success and notified.counts["queued"] > 0
    automated = run_and_send(db, AutomatedEmails(), AutomatedEmailsParams(), now=EVENING)
    assert automated.success and automated.counts["sent"] == 2
    queue = run_and_send(db, CommunicationQueue(), CommunicationQueueParams(), now=EVENING)
    assert queue.success, queue.text
    # The day's attendance messages, the staff's two messages due today and every queued
    # notification; tomorrow's waits.
    assert queue.counts["attendance_queued"] > 0
    assert queue.counts["sent"] == (
        queue.counts["attendance_queued"] + notified.counts["queued"] + 2
    )
    assert queue.counts["held"] == 0
    subjects = [m["Subject"] for _, m in mail.messages]
    assert {"Field trip", "Picture day", "This week at school"} <= set(subjects)
    assert "Tomorrow" not in subjects and "Next week" not in subjects
    assert twilio.received == []  # e-mail only: `make run` has no text provider
    assert sorted({s for s, _ in statuses(db).values()}) == ["queued", "sent", "undeliverable"]
    again = run_and_send(db, CommunicationQueue(), CommunicationQueueParams(), now=EVENING)
    assert again.counts["sent"] == 0
