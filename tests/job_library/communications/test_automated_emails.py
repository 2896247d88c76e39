"""Automated Emails on SQLite and Postgres against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.communications.automated_emails import (
    AutomatedEmails,
    AutomatedEmailsParams,
)
from job_library.schemas.communications import (
    automated_message_recipients,
    automated_messages,
)
from tests.job_library.communications.conftest import MONDAY, run_and_send, statuses

ON = AutomatedEmailsParams(mark_failed_when_errors=True)
OFF = AutomatedEmailsParams()


def _messages(engine) -> None:
    """1: due an hour ago, two recipients; 2: due exactly now; 3: due a minute from now;
    4: due but inactive."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(automated_messages),
            [
                dict(
                    automated_id=i,
                    title=f"Msg {i}",
                    subject=subject,
                    body=body,
                    send_at=(MONDAY + delta).astimezone(dt.UTC),
                    active=active,
                )
                for i, subject, body, delta, active in (
                    (1, "Board meeting", "The board meets Thursday.", dt.timedelta(hours=-1), True),
                    (2, "Lunch menu", "Tacos on Tuesday.", dt.timedelta(0), True),
                    (3, "Too early", "Not yet.", dt.timedelta(minutes=1), True),
                    (4, "Switched off", "Never.", dt.timedelta(days=-1), False),
                )
            ],
        )
        conn.execute(
            sa.insert(automated_message_recipients),
            [
                dict(automated_id=1, email="clerk@district.org", name="Board Clerk"),
                dict(automated_id=1, email="gone@district.org", name=None),
                dict(automated_id=2, email="cafe@district.org", name="Cafeteria"),
                dict(automated_id=3, email="clerk@district.org", name="Board Clerk"),
                dict(automated_id=4, email="clerk@district.org", name="Board Clerk"),
            ],
        )


def test_due_active_messages_go_to_each_recipient_once(db, mail):
    _messages(db)
    result = run_and_send(db, AutomatedEmails(), OFF)
    assert result.success, result.text
    assert sorted(mail.sent()) == [
        ("cafe@district.org", "Lunch menu", "Tacos on Tuesday."),
        ("clerk@district.org", "Board meeting", "The board meets Thursday."),
        ("gone@district.org", "Board meeting", "The board meets Thursday."),
    ]
    assert result.counts["automated_queued"] == 3 and result.counts["sent"] == 3
    again = run_and_send(db, AutomatedEmails(), OFF, now=MONDAY + dt.timedelta(seconds=59))
    assert again.counts["automated_queued"] == 0 and len(mail.messages) == 3
    later = run_and_send(db, AutomatedEmails(), OFF, now=MONDAY + dt.timedelta(minutes=1))
    assert later.counts["sent"] == 1
    assert mail.sent()[-1] == ("clerk@district.org", "Too early", "Not yet.")


def test_only_automated_messages_are_sent_by_it(db, mail):
    from tests.job_library.communications.conftest import enqueue, load_families

    load_families(db)
    (other,) = enqueue(db, dict(recipient="maria@families.test", subject="Queue's", body="x"))
    run_and_send(db, AutomatedEmails(), OFF)
    assert statuses(db)[other] == ("queued", 0) and mail.messages == []


@pytest.mark.parametrize(("params", "success"), [(ON, False), (OFF, True)])
def test_failed_when_errors_against_a_refusing_recipient(db, mail, params, success):
    _messages(db)
    mail.refuse = {"gone@district.org"}
    result = run_and_send(db, AutomatedEmails(), params)
    assert result.success is success
    assert result.counts["sent"] == 2 and result.counts["undeliverable"] == 1
    assert "gone@district.org (Board meeting): undeliverable: recipient refused: 550" in (
        result.text
    )
    assert ("Marked failed: 1 message(s) were not sent." in result.summary) is (not success)


@pytest.mark.parametrize(("params", "success"), [(ON, False), (OFF, True)])
def test_failed_when_errors_against_a_server_refusing_every_message(db, mail, params, success):
    _messages(db)
    mail.data_reply = "554 5.7.1 Relaying denied"
    result = run_and_send(db, AutomatedEmails(), params)
    assert result.success is success
    assert result.counts["sent"] == 0 and result.counts["retry"] == 3
    assert "server refused: 554 5.7.1 Relaying denied" in result.text
    assert mail.messages == []


def test_unreachable_mail_server_fails_even_without_the_option(db, monkeypatch):
    from tests.job_library.communications.conftest import free_port, smtp_connection

    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))
    _messages(db)
    result = run_and_send(db, AutomatedEmails(), OFF)
    assert not result.success
    assert set(statuses(db).values()) == {("queued", 0)}


def test_the_option_is_a_checkbox():
    assert (
        AutomatedEmailsParams.model_json_schema()["properties"]["mark_failed_when_errors"]["title"]
        == "Mark job as failed when errors"
    )
    with pytest.raises(ValidationError, match="mark_failed_when_errors"):
        AutomatedEmailsParams.model_validate({"mark_failed_when_errors": "sometimes"})
