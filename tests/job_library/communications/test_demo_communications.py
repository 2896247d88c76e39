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


def test_on_the_day_it_is_built_the_demo_texts_the_morning_absences(
    db, mail, tmp_path, monkeypatch
):
    """What `make run` shows on a school day: period 1 already marked for every 23rd
    student, Attendance SMS queues a text to each of their contacts with a phone, and the
    Communication Queue hands them to make run's text catcher (twilio_default), which keeps
    each as a file."""
    import json

    import sqlalchemy as sa

    from include.text_catcher import start_text_catcher
    from job_library.jobs.communications.attendance_sms import AttendanceSms, AttendanceSmsParams
    from tests.include.test_text_catcher import _settings_connection
    from tests.job_library.communications.conftest import free_port

    generate(db, 60, today=REFERENCE_DAY)  # a Thursday, a school day
    with db.connect() as conn:
        marked = conn.execute(
            sa.text(
                "SELECT student_id, attendance_code FROM attendance_period WHERE school_date = :d"
            ),
            {"d": REFERENCE_DAY},
        ).all()
        enrolled = conn.execute(
            sa.text(
                "SELECT DISTINCT student_id FROM student_enrollment WHERE second_school = FALSE "
                "AND (end_date IS NULL OR end_date >= :d)"
            ),
            {"d": REFERENCE_DAY},
        ).scalars()
        phones = conn.execute(
            sa.text("SELECT student_id, phone FROM student_contacts WHERE phone IS NOT NULL")
        ).all()
    # Students 100,004 + 23k among the 60 (100,001-100,060): 100,004, 100,027 and 100,050.
    expected = {s for s in enrolled if s % 23 == 0}
    assert expected == {100_004, 100_027, 100_050}
    assert sorted(marked) == sorted((s, 2) for s in expected)  # code A, period 1 only
    morning = dt.datetime(2026, 1, 22, 15, 0, tzinfo=dt.UTC)  # 10:00 in Florida
    queued = run_in_transaction(db, AttendanceSms(), AttendanceSmsParams(), now=morning)
    texts = sorted(phone for sid, phone in phones if sid in expected)
    assert queued.success and queued.counts["queued"] == len(texts) > 0
    port = free_port()
    catcher = start_text_catcher(tmp_path / "texts", "127.0.0.1", port)
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", json.dumps(_settings_connection(port)))
    try:
        sent = run_and_send(db, CommunicationQueue(), CommunicationQueueParams(), now=morning)
    finally:
        catcher.stop()
    assert sent.success, sent.text
    kept = [json.loads(p.read_text()) for p in sorted((tmp_path / "texts").glob("*.json"))]
    assert sorted(k["request"]["To"] for k in kept) == texts
    assert all("was marked Absent on 2026-01-22" in k["request"]["Body"] for k in kept)
