"""Communication Queue on SQLite and Postgres: real SMTP (aiosmtpd), the Twilio stand-in."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from include.messaging_transports import AirflowMessaging, message_id_header
from include.repository import get_definition
from include.runner import run_job
from job_library.defaults import default_document
from job_library.jobs.communications._queue import DeliverySettings, deliver
from job_library.jobs.communications.communication_queue import (
    CommunicationQueue,
    CommunicationQueueParams,
    PhoneCommunicationProcessing,
)
from job_library.messaging import Channel
from job_library.preferences import Preferences
from job_library.schemas.communications import attendance_message_settings, communication_queue
from job_library.site import AddOn, SiteKind, SiteProfile, manual_run_refusal, unavailable_reason
from tests.job_library.communications.conftest import (
    MONDAY,
    NY,
    SENDER,
    absent,
    attempts,
    enqueue,
    load_families,
    run_and_send,
    statuses,
)
from tests.rows import good_row, insert_rows

PARAMS = CommunicationQueueParams()
LOG = logging.getLogger("test")


def _at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return MONDAY.replace(hour=hour, minute=minute, second=second)


def test_sends_what_is_due_at_or_before_now_exactly_once(db, mail):
    load_families(db)
    past, now, later = enqueue(
        db,
        dict(
            recipient="maria@families.test",
            recipient_name="Maria Lopez",
            subject="Field day",
            body="Field day is Friday.",
            send_after=(MONDAY - dt.timedelta(days=1)).astimezone(dt.UTC),
        ),
        dict(
            recipient="rose@families.test",
            subject="Picture day",
            body="Smile on Tuesday.",
            html_body="<p>Smile on <b>Tuesday</b>.</p>",
            school_id=1,
        ),
        dict(
            recipient="lee@families.test",
            subject="Later",
            body="Not yet.",
            send_after=(MONDAY + dt.timedelta(minutes=1)).astimezone(dt.UTC),
        ),
    )
    result = run_and_send(db, CommunicationQueue(), PARAMS)
    assert result.success, result.text
    assert mail.sent() == [
        ("maria@families.test", "Field day", "Field day is Friday."),
        ("rose@families.test", "Picture day", "Smile on Tuesday."),
    ]
    first = mail.messages[0][1]
    assert first["From"] == SENDER
    assert first["To"] == "Maria Lopez <maria@families.test>"
    assert first["Message-ID"] == message_id_header(past)
    html_parts = [p for p in mail.messages[1][1].walk() if p.get_content_type() == "text/html"]
    assert html_parts[0].get_payload(decode=True).decode().strip() == (
        "<p>Smile on <b>Tuesday</b>.</p>"
    )
    assert statuses(db) == {past: ("sent", 1), now: ("sent", 1), later: ("queued", 0)}
    assert attempts(db) == [(past, "sent"), (now, "sent")]
    assert result.counts["sent"] == 2 and result.counts["due"] == 2

    # A second run at the same time sends nothing; a minute later the last one goes.
    again = run_and_send(db, CommunicationQueue(), PARAMS)
    assert again.counts["sent"] == 0 and len(mail.messages) == 2
    run_and_send(db, CommunicationQueue(), PARAMS, now=MONDAY + dt.timedelta(minutes=1))
    assert [m[1]["Subject"] for m in mail.messages] == ["Field day", "Picture day", "Later"]
    assert statuses(db)[later] == ("sent", 1)


def test_calls_and_texts_wait_for_the_sending_hours_email_does_not(db, mail, twilio):
    """District: not before 08:00, not after 20:00; school 2: not before 07:00."""
    load_families(db)
    with db.begin() as conn:
        prefs = Preferences(conn)
        prefs.set("communication_not_before", "08:00")
        prefs.set("communication_not_after", "20:00")
        prefs.set("communication_not_before", "07:00", school_id=2)
    day = MONDAY.replace(hour=0, minute=0)
    ids = enqueue(
        db,
        dict(
            channel="sms",
            recipient="+13525550111",
            body="Early text",
            school_id=1,
            send_after=day.astimezone(dt.UTC),
        ),
        dict(
            channel="voice",
            recipient="+13525550141",
            body="Early call",
            school_id=2,
            send_after=day.astimezone(dt.UTC),
        ),
        dict(
            channel="push",
            recipient="contact-11",
            subject="Bus",
            body="Bus is late",
            school_id=None,
            send_after=day.astimezone(dt.UTC),
        ),
        dict(
            channel="email",
            recipient="rose@families.test",
            subject="Early mail",
            body="E-mail is never held.",
            school_id=1,
            send_after=day.astimezone(dt.UTC),
        ),
    )
    sms, call, push, mail_id = ids
    at_0759 = run_and_send(db, CommunicationQueue(), PARAMS, now=_at(7, 59, 59))
    assert statuses(db) == {
        sms: ("queued", 0),  # school 1 uses the district's 08:00
        call: ("sent", 1),  # school 2's own 07:00
        push: ("queued", 0),  # no school: the district's hours
        mail_id: ("sent", 1),
    }
    assert at_0759.counts["held"] == 2
    assert [r.form["To"] for r in twilio.received] == ["+13525550141"]
    assert "<Say>Early call</Say>" in twilio.received[0].form["Twiml"]
    run_and_send(db, CommunicationQueue(), PARAMS, now=_at(8, 0))
    assert statuses(db)[sms] == ("sent", 1) and statuses(db)[push] == ("sent", 1)
    assert [r.form.get("To") or r.form.get("Identity") for r in twilio.received] == [
        "+13525550141",
        "+13525550111",
        "contact-11",
    ]
    assert mail.sent() == [("rose@families.test", "Early mail", "E-mail is never held.")]


@pytest.mark.parametrize(
    ("now", "sent"),
    [((20, 0, 0), True), ((20, 0, 59), True), ((20, 1, 0), False), ((7, 59, 0), False)],
)
def test_the_after_time_is_inclusive_to_the_minute(db, twilio, now, sent):
    load_families(db)
    with db.begin() as conn:
        Preferences(conn).set("communication_not_before", "08:00")
        Preferences(conn).set("communication_not_after", "20:00")
    (sms,) = enqueue(
        db,
        dict(
            channel="sms",
            recipient="+13525550111",
            body="Evening",
            school_id=1,
            send_after=_at(6, 0).astimezone(dt.UTC),
        ),
    )
    result = run_and_send(db, CommunicationQueue(), PARAMS, now=_at(*now))
    assert statuses(db)[sms] == (("sent", 1) if sent else ("queued", 0))
    assert result.counts["held"] == (0 if sent else 1)


def test_undeliverable_recipients_are_reported_once_and_never_retried(db, mail, twilio):
    load_families(db)
    mail.refuse = {"gone@families.test"}
    twilio.unreachable = {"+13525550999"}
    bad_mail, good, bad_phone = enqueue(
        db,
        dict(recipient="gone@families.test", subject="Report card", body="See the portal."),
        dict(recipient="maria@families.test", subject="Report card", body="See the portal."),
        dict(channel="sms", recipient="+13525550999", body="Report cards are out"),
    )
    result = run_and_send(db, CommunicationQueue(), PARAMS)
    assert result.success  # the run itself worked; the problems are listed
    assert statuses(db) == {
        bad_mail: ("undeliverable", 1),
        good: ("sent", 1),
        bad_phone: ("undeliverable", 1),
    }
    assert (
        f"message {bad_mail}: email to gone@families.test (Report card): undeliverable: "
        "recipient refused: 550 5.1.1 No such user here" in result.text
    )
    assert f"message {bad_phone}: sms to +13525550999" in result.text
    assert "21211" in result.text
    assert result.counts["undeliverable"] == 2
    for later in (1, 60, 24 * 60):
        run_and_send(db, CommunicationQueue(), PARAMS, now=MONDAY + dt.timedelta(minutes=later))
    assert mail.rcpt_seen.count("gone@families.test") == 1
    assert [r.form["To"] for r in twilio.received] == ["+13525550999"]
    assert statuses(db)[bad_mail] == ("undeliverable", 1)


def test_a_busy_server_gets_the_message_again_later_until_the_attempts_run_out(db, mail):
    load_families(db)
    mail.data_reply = "451 4.3.0 Try again later"
    (mid,) = enqueue(db, dict(recipient="maria@families.test", subject="S", body="B"))
    settings = DeliverySettings(max_attempts=3, retry_after=dt.timedelta(minutes=10))

    def send(now):
        return deliver(db, AirflowMessaging(), job_id="t", now=now, log=LOG, settings=settings)

    assert send(MONDAY).counts["retry"] == 1
    assert statuses(db)[mid] == ("queued", 1)
    # Not before its retry time (10 minutes), then again, then failed at the third attempt.
    assert send(MONDAY + dt.timedelta(minutes=9, seconds=59)).counts["retry"] == 0
    assert send(MONDAY + dt.timedelta(minutes=10)).counts["retry"] == 1
    report = send(MONDAY + dt.timedelta(minutes=20))
    assert report.counts["failed"] == 1 and statuses(db)[mid] == ("failed", 3)
    assert "gave up after 3 attempts" in report.listed[0][-1]
    mail.data_reply = None
    assert send(MONDAY + dt.timedelta(days=1)).counts["sent"] == 0
    assert mail.messages == []
    assert [o for _, o in attempts(db)] == ["retry", "retry", "failed"]


class Crash(BaseException):
    """The worker dies (kill -9, out of memory): nothing after it runs."""


class CrashingMessaging:
    """Real transports, but the process 'dies' right after the ``after``-th send returns."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.sent = 0

    def open(self, channel):
        transport = AirflowMessaging().open(channel)
        outer = self

        class Dying:
            def send(self, message):
                outcome = transport.send(message)
                outer.sent += 1
                if outer.sent == outer.after:
                    raise Crash()
                return outcome

            def close(self):
                transport.close()

        return Dying()


def test_a_crash_after_sending_never_sends_again(db, mail):
    load_families(db)
    ids = enqueue(
        db,
        *[dict(recipient=f"p{i}@families.test", subject=f"Note {i}", body="Hi") for i in range(5)],
    )
    params = CommunicationQueueParams(batch_size=3)
    with pytest.raises(Crash):
        run_and_send(db, CommunicationQueue(), params, messaging=CrashingMessaging(after=2))
    assert [m[0] for m in mail.messages] == [["p0@families.test"], ["p1@families.test"]]
    # The batch of three stays marked; the other two were never touched.
    assert [statuses(db)[i][0] for i in ids] == ["sending"] * 3 + ["queued"] * 2

    # Airflow's retry a minute later: the marked batch is not sent again, the rest is.
    retry = run_and_send(db, CommunicationQueue(), params, now=MONDAY + dt.timedelta(minutes=1))
    assert retry.counts["sent"] == 2
    assert sorted(m[0][0] for m in mail.messages) == [f"p{i}@families.test" for i in (0, 1, 3, 4)]

    # Once the marks are older than the stale period they are listed as unconfirmed.
    later = run_and_send(db, CommunicationQueue(), params, now=MONDAY + dt.timedelta(minutes=31))
    assert later.counts["unconfirmed"] == 3 and later.counts["sent"] == 0
    assert [statuses(db)[i][0] for i in ids] == ["unconfirmed"] * 3 + ["sent"] * 2
    assert f"message {ids[0]}: email to p0@families.test (Note 0): unconfirmed" in later.text
    assert len(mail.messages) == 4
    assert attempts(db).count((ids[2], "unconfirmed")) == 1


def test_mail_server_down_fails_the_run_and_keeps_the_messages(db, monkeypatch):
    from tests.job_library.communications.conftest import free_port, smtp_connection

    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))
    load_families(db)
    (mid,) = enqueue(db, dict(recipient="maria@families.test", subject="S", body="B"))
    result = run_and_send(db, CommunicationQueue(), PARAMS)
    assert not result.success
    assert "email: could not connect: SMTP connection 'smtp_default'" in result.summary
    assert statuses(db)[mid] == ("queued", 0) and attempts(db) == []


def test_attendance_messages_of_the_day_are_queued_once_and_sent(db, mail, twilio):
    load_families(db)
    today = MONDAY.date()
    absent(
        db,
        [
            (1, today, 1, "unexcused"),  # mother (p1) mail + text, father (p2) mail
            (2, today, 1, "excused"),  # no setting for excused texts: guardian has no e-mail
            (3, today, 1, "unexcused"),  # grandmother: e-mail only
            (4, today - dt.timedelta(days=3), 2, "unexcused"),  # another day
            (4, today, 2, None),  # present
        ],
    )
    with db.begin() as conn:
        conn.execute(
            sa.insert(attendance_message_settings),
            [
                dict(
                    absence_type="unexcused",
                    channel="email",
                    subject="Absence: {student}",
                    template="{student} was absent on {date}.",
                    max_priority=2,
                ),
                dict(
                    absence_type="unexcused",
                    channel="sms",
                    subject="",
                    template="{student} absent {date}",
                    max_priority=1,
                ),
                dict(
                    absence_type="excused",
                    channel="email",
                    subject="Excused",
                    template="{student} excused {date}",
                    max_priority=1,
                ),
            ],
        )
    result = run_and_send(db, CommunicationQueue(), PARAMS)
    assert result.counts["attendance_queued"] == 4
    assert sorted(mail.sent()) == [
        ("jose@families.test", "Absence: Ana Lopez", "Ana Lopez was absent on 2026-11-16."),
        ("maria@families.test", "Absence: Ana Lopez", "Ana Lopez was absent on 2026-11-16."),
        ("rose@families.test", "Absence: Cy Dunn", "Cy Dunn was absent on 2026-11-16."),
    ]
    assert [(r.form["To"], r.form["Body"]) for r in twilio.received] == [
        ("+13525550111", "Ana Lopez absent 2026-11-16")
    ]
    again = run_and_send(db, CommunicationQueue(), PARAMS, now=MONDAY + dt.timedelta(minutes=15))
    assert again.counts["attendance_queued"] == 0 and len(mail.messages) == 3


def test_an_unknown_channel_or_state_is_refused_by_the_table(db):
    load_families(db)
    with pytest.raises(sa.exc.IntegrityError, match=r"ck_communication_queue_channel|CHECK"):
        enqueue(db, dict(channel="fax", recipient="x", body="y"))


def test_through_the_runner_a_replayed_try_sends_nothing(db, mail, tmp_path):
    load_families(db)
    insert_rows(db, good_row("comm-queue", job_class="communication_queue", params={}))
    with db.connect() as conn:
        definition = get_definition(conn, "comm-queue")
    enqueue(
        db,
        dict(
            recipient="maria@families.test",
            subject="Hello",
            body="Once only.",
            send_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        ),
    )

    def run(run_id):
        return run_job(
            definition,
            engine=db,
            timezone="America/New_York",
            file_store=tmp_path,
            log=LOG,
            run_id=run_id,
            try_number=1,
        )

    first = run("scheduled__1")
    assert first.success and first.counts["sent"] == 1
    from job_library.schema import job_output

    with db.connect() as conn:
        stored = conn.execute(sa.select(job_output.c.summary)).scalar_one()
    assert stored.startswith("Sent 1 message(s)")
    replay = run("scheduled__1")
    assert replay.counts.get("already_applied") == 1
    assert len(mail.messages) == 1


def test_installed_every_15_minutes_with_the_add_on_and_refused_to_run_by_hand_off_production():
    doc = default_document(CommunicationQueue, "communication-queue")
    assert doc["repeat_minutes"] == 15 and doc["run_time"] is None
    assert len(doc["weekdays"]) == 7
    assert CommunicationQueue.installed_by_default
    assert not PhoneCommunicationProcessing.installed_by_default
    for cls in (CommunicationQueue, PhoneCommunicationProcessing):
        assert unavailable_reason(cls, SiteProfile(add_ons=frozenset())) is not None
        assert unavailable_reason(cls, SiteProfile(add_ons={AddOn.COMMUNICATION})) is None
        non_prod = SiteProfile(kind=SiteKind.NON_PRODUCTION, add_ons={AddOn.COMMUNICATION})
        assert "cannot be started with Run Job" in manual_run_refusal(cls, non_prod)
        assert manual_run_refusal(cls, SiteProfile(add_ons={AddOn.COMMUNICATION})) is None


def test_phone_communication_processing_sends_the_same_way(db, mail):
    load_families(db)
    enqueue(db, dict(recipient="maria@families.test", subject="Old job", body="Still works."))
    result = run_and_send(db, PhoneCommunicationProcessing(), PARAMS)
    assert mail.sent() == [("maria@families.test", "Old job", "Still works.")]
    assert result.counts["sent"] == 1


def test_the_queue_is_stored_in_utc(db, mail):
    load_families(db)
    enqueue(db, dict(recipient="maria@families.test", subject="S", body="B"))
    run_and_send(db, CommunicationQueue(), PARAMS, now=MONDAY)
    q = communication_queue
    with db.connect() as conn:
        sent_at = conn.execute(sa.select(q.c.sent_at)).scalar_one()
    as_utc = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=dt.UTC)
    assert as_utc == MONDAY.astimezone(dt.UTC)
    assert NY.utcoffset(MONDAY.replace(tzinfo=None)) == dt.timedelta(hours=-5)


def test_channels_can_be_limited(db, mail, twilio):
    load_families(db)
    enqueue(
        db,
        dict(recipient="maria@families.test", subject="S", body="B"),
        dict(channel="sms", recipient="+13525550111", body="T"),
    )
    report = deliver(
        db, AirflowMessaging(), job_id="t", now=MONDAY, log=LOG, channels=(Channel.EMAIL,)
    )
    assert report.counts["sent"] == 1 and twilio.received == []


def test_a_row_a_district_inserts_with_a_query_goes_out_on_the_next_run(db, mail):
    """Only the channel, recipient, subject and text: the rest are the table's defaults."""
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO communication_queue (channel, recipient, subject, body) "
                "VALUES ('email', 'board@district.org', 'Agenda', 'The agenda is attached.')"
            )
        )
    now = dt.datetime.now(NY) + dt.timedelta(seconds=1)
    result = run_and_send(db, CommunicationQueue(), PARAMS, now=now)
    assert result.counts["sent"] == 1
    assert mail.sent() == [("board@district.org", "Agenda", "The agenda is attached.")]
    q = communication_queue
    with db.connect() as conn:
        assert conn.execute(sa.select(q.c.source, q.c.status)).one() == ("query", "sent")


def test_the_twilio_stand_in_refuses_what_the_published_spec_does_not_allow(twilio):
    """The check is not vacuous: a Messages request without To breaks Twilio's OpenAPI."""
    import requests

    from tests.twilio_server import ACCOUNT, TOKEN

    response = requests.post(
        f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data={"From": "+13525550000", "Body": "no recipient"},
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    )
    assert response.status_code == 201  # the stand-in answers, and records the violation
    assert len(twilio.violations) == 1 and "request" in twilio.violations[0]
    twilio.violations.clear()  # the fixture asserts none are left


def test_run_job_is_refused_on_a_non_production_site(db):
    from include.district_config import run_refusal
    from job_library.site import write_site_profile

    with db.begin() as conn:
        profile = SiteProfile(kind=SiteKind.NON_PRODUCTION, add_ons={AddOn.COMMUNICATION})
        write_site_profile(conn, profile, user="test")
        assert "cannot be started with Run Job on a non-production site" in run_refusal(
            conn, "communication_queue"
        )
        assert run_refusal(conn, "automated_emails") is None


def test_bad_rows_are_listed_with_the_reason_and_never_stop_the_others(db, mail):
    load_families(db)
    bad_address, bad_subject, good = enqueue(
        db,
        dict(recipient="not an address", subject="x", body="y"),
        dict(recipient="maria@families.test", subject="Line\nbreak", body="y"),
        dict(recipient="rose@families.test", subject="Fine", body="Still sent."),
    )
    result = run_and_send(db, CommunicationQueue(), PARAMS)
    assert result.success
    assert statuses(db) == {
        bad_address: ("undeliverable", 1),
        bad_subject: ("undeliverable", 1),
        good: ("sent", 1),
    }
    assert "not an e-mail address: 'not an address'" in result.text
    assert "cannot be written as an e-mail" in result.text
    assert mail.sent() == [("rose@families.test", "Fine", "Still sent.")]


def test_two_runs_at_once_never_send_a_message_twice(db, mail):
    import threading

    load_families(db)
    ids = enqueue(
        db, *[dict(recipient=f"p{i}@families.test", subject=f"N{i}", body="x") for i in range(60)]
    )
    settings = DeliverySettings(batch_size=7)
    errors = []

    def run():
        try:
            deliver(db, AirflowMessaging(), job_id="t", now=MONDAY, log=LOG, settings=settings)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    received = [m[0][0] for m in mail.messages]
    assert sorted(received) == sorted(f"p{i}@families.test" for i in range(60))
    assert {statuses(db)[i] for i in ids} == {("sent", 1)}


def test_a_server_that_takes_none_of_a_batch_is_not_tried_for_the_rest(db, mail):
    load_families(db)
    mail.data_reply = "421 4.3.2 Service not available, closing channel"
    ids = enqueue(
        db, *[dict(recipient=f"p{i}@families.test", subject="S", body="B") for i in range(5)]
    )
    params = CommunicationQueueParams(batch_size=2)
    result = run_and_send(db, CommunicationQueue(), params)
    assert result.counts["retry"] == 2 and result.counts["sent"] == 0
    assert "the server took none of a batch of 2; the remaining messages wait" in result.summary
    assert [statuses(db)[i] for i in ids] == [("queued", 1)] * 2 + [("queued", 0)] * 3
    mail.data_reply = None
    later = run_and_send(db, CommunicationQueue(), params, now=MONDAY + dt.timedelta(minutes=15))
    assert later.counts["sent"] == 5 and len(mail.messages) == 5
