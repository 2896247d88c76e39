"""Communication Email Replies against Debian's Dovecot over IMAP, on SQLite and Postgres."""

from __future__ import annotations

import imaplib
import json
import shutil
import tempfile
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from include.messaging_transports import AirflowMessaging, message_id_header
from job_library.jobs.communications.email_replies import (
    CommunicationEmailReplies,
    CommunicationEmailRepliesParams,
)
from job_library.schema import users
from job_library.schemas.communications import communication_replies
from tests.dovecot_server import DovecotServer, unavailable_reason
from tests.job_library.communications.conftest import (
    enqueue,
    load_families,
    run_and_send,
)

PARAMS = CommunicationEmailRepliesParams()
MAILBOX = "replies@district.example"


@pytest.fixture
def imap(monkeypatch):
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="focus-dovecot-"))
    server = DovecotServer(root, MAILBOX, "s3cret").start()
    monkeypatch.setenv("AIRFLOW_CONN_COMMUNICATION_IMAP", json.dumps(server.connection()))
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _reply(
    sender: str, subject: str, body: str, *, answers: int | None, mail_id: str | None
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Date"] = "Mon, 16 Nov 2026 09:30:00 -0500"
    if mail_id:
        message["Message-ID"] = mail_id
    if answers is not None:
        message["In-Reply-To"] = message_id_header(answers)
        message["References"] = f"<thread-start@example.org> {message_id_header(answers)}"
    message.set_content(body)
    return bytes(message)


def _setup(db) -> tuple[int, int, int]:
    load_families(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(users), [dict(user_id=7, username="mrs.teacher", email="t@district.org")]
        )
    return tuple(
        enqueue(
            db,
            dict(
                recipient="maria@families.test",
                subject="Homework",
                body="Read ch. 3",
                sender_user_id=7,
                status="sent",
            ),
            dict(recipient="rose@families.test", subject="Trip", body="Bring lunch", status="sent"),
            dict(channel="sms", recipient="+13525550111", body="Text", status="sent"),
        )
    )


def _filed(db) -> list[tuple]:
    r = communication_replies
    with db.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(
                    r.c.message_id, r.c.user_id, r.c.from_address, r.c.subject, r.c.body
                ).order_by(r.c.reply_id)
            )
        ]


def _unseen(server: DovecotServer) -> int:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(server.user, server.password)
    client.select("INBOX")
    count = len(client.search(None, "UNSEEN")[1][0].split())
    client.logout()
    return count


def test_replies_are_filed_in_the_senders_inbox_once(db, imap):
    homework, trip, text = _setup(db)
    imap.deliver(
        _reply(
            "maria@families.test",
            "Re: Homework",
            "Done, thanks!",
            answers=homework,
            mail_id="<r1@families.test>",
        )
    )
    imap.deliver(_reply("rose@families.test", "Re: Trip", "Packed.", answers=trip, mail_id=None))
    imap.deliver(
        _reply("spam@example.org", "Hello", "Buy now", answers=None, mail_id="<s1@example.org>")
    )
    imap.deliver(
        _reply("odd@example.org", "Re: text", "?", answers=text, mail_id="<o1@example.org>")
    )
    imap.deliver(
        _reply("ghost@example.org", "Re: old", "?", answers=999_999, mail_id="<g1@example.org>")
    )
    result = run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    assert result.success, result.text
    assert result.counts == {"read": 5, "filed": 2, "unmatched": 3}
    assert _filed(db) == [
        (homework, 7, "maria@families.test", "Re: Homework", "Done, thanks!"),
        (trip, None, "rose@families.test", "Re: Trip", "Packed."),
    ]
    assert "spam@example.org: Hello: not filed: answers no Focus e-mail" in result.text
    assert f"its original, queue message {text}, is not a Focus e-mail" in result.text
    assert "queue message 999999, is not a Focus e-mail" in result.text
    assert "filed in the user 7 inbox" in result.text
    assert _unseen(imap) == 0  # marked seen after the commit

    again = run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    assert again.counts == {"read": 0, "filed": 0, "unmatched": 0}


def test_a_reply_fetched_again_is_not_filed_twice(db, imap):
    """The commit happened but marking seen did not (the server went away): next run."""
    homework, *_ = _setup(db)
    raw = _reply(
        "maria@families.test",
        "Re: Homework",
        "Once",
        answers=homework,
        mail_id="<dup@families.test>",
    )
    imap.deliver(raw)
    run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    imap.deliver(raw)  # the same reply arrives again (as if never marked)
    again = run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    assert again.counts == {"read": 1, "filed": 0, "unmatched": 0}
    assert "already filed" in again.text
    assert len(_filed(db)) == 1


def test_a_failure_midway_files_nothing_and_leaves_the_mail_unseen(db, imap):
    homework, *_ = _setup(db)
    imap.deliver(
        _reply(
            "maria@families.test",
            "Re: Homework",
            "x",
            answers=homework,
            mail_id="<f1@families.test>",
        )
    )

    class Boom(Exception):
        pass

    class Failing(CommunicationEmailReplies):
        def run(self, context, params):
            super().run(context, params)
            raise Boom("after filing")

    with pytest.raises(Boom, match="after filing"):
        run_and_send(db, Failing(), PARAMS, messaging=AirflowMessaging())
    assert _filed(db) == [] and _unseen(imap) == 1
    result = run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    assert result.counts["filed"] == 1 and _unseen(imap) == 0


def test_at_most_the_chosen_number_per_run(db, imap):
    homework, *_ = _setup(db)
    for i in range(3):
        imap.deliver(
            _reply(
                "maria@families.test",
                f"Re: {i}",
                "x",
                answers=homework,
                mail_id=f"<m{i}@families.test>",
            )
        )
    params = CommunicationEmailRepliesParams(max_messages=2)
    first = run_and_send(db, CommunicationEmailReplies(), params, messaging=AirflowMessaging())
    second = run_and_send(db, CommunicationEmailReplies(), params, messaging=AirflowMessaging())
    assert (first.counts["read"], second.counts["read"]) == (2, 1)
    assert len(_filed(db)) == 3


def test_wrong_password_is_reported_not_raised(db, imap, monkeypatch):
    _setup(db)
    bad = {**imap.connection(), "password": "wrong"}
    monkeypatch.setenv("AIRFLOW_CONN_COMMUNICATION_IMAP", json.dumps(bad))
    result = run_and_send(db, CommunicationEmailReplies(), PARAMS, messaging=AirflowMessaging())
    assert not result.success
    assert "IMAP connection 'communication_imap'" in result.summary
    assert result.summary.startswith("Could not read the replies mailbox")
