"""The communication tests' servers (aiosmtpd, the Twilio stand-in) and a small district."""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from job_library.base import Job, JobContext, JobResult
from job_library.messaging import Messaging
from job_library.schemas.attendance import attendance_day
from job_library.schemas.communications import (
    communication_attempts,
    communication_queue,
    student_contacts,
)
from job_library.schemas.district import school_years, schools
from job_library.schemas.enrollment import students
from tests.twilio_server import TwilioStandIn

NY = ZoneInfo("America/New_York")
# Monday 16 Nov 2026, 10:00 in the district.
MONDAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=NY)
SENDER = "focus@district.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailServer:
    """What the SMTP server received, and how it answers.

    :param refuse: recipients answered ``550 5.1.1`` at RCPT (no such mailbox).
    :param data_reply: when set, the answer to every DATA (``451 ...`` busy, ``554 ...``).
    """

    refuse: set[str] = field(default_factory=set)
    data_reply: str | None = None
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def sent(self) -> list[tuple[str, str, str]]:
        """(recipient, subject, text body) of every message received, in order."""
        out = []
        for rcpts, message in self.messages:
            body = ""
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    body = part.get_payload(decode=True).decode().strip()
                    break
            out.append((",".join(rcpts), message["Subject"], body))
        return out


def smtp_connection(port: int) -> str:
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {
                "from_email": SENDER,
                "disable_ssl": True,
                "disable_tls": True,
                "retry_limit": 0,
                "timeout": 5,
            },
        }
    )


@pytest.fixture
def mail(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    server = MailServer()
    server.port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(server.port))
    yield server
    controller.stop()


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioStandIn]:
    server = TwilioStandIn().start()
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", json.dumps(server.connection()))
    yield server
    server.stop()
    assert server.violations == []


def load_families(engine: sa.Engine) -> None:
    """Two schools; students 1-3 at school 1, student 4 at school 2. Contacts: student 1's
    mother (priority 1, e-mail and phone) and father (priority 2, e-mail); student 2's
    guardian (priority 1, phone only); student 3's grandmother (priority 1, e-mail only);
    student 4's mother (priority 1, e-mail and phone)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=2026,
                    title="2026-2027",
                    start_date=dt.date(2026, 8, 1),
                    end_date=dt.date(2027, 6, 30),
                    is_default=True,
                )
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=s, title=t, short_name=n, school_number=f"00{s}", district_number="37"
                )
                for s, t, n in ((1, "Oak Elementary", "OE"), (2, "Pine Middle", "PM"))
            ],
        )
        conn.execute(
            sa.insert(students),
            [
                dict(student_id=i, first_name=f, last_name=last)
                for i, f, last in (
                    (1, "Ana", "Lopez"),
                    (2, "Ben", "Cole"),
                    (3, "Cy", "Dunn"),
                    (4, "Di", "Egan"),
                )
            ],
        )
        conn.execute(
            sa.insert(student_contacts),
            [
                dict(
                    contact_id=11,
                    student_id=1,
                    name="Maria Lopez",
                    priority=1,
                    email="maria@families.test",
                    phone="+13525550111",
                ),
                dict(
                    contact_id=12,
                    student_id=1,
                    name="Jose Lopez",
                    priority=2,
                    email="jose@families.test",
                    phone=None,
                ),
                dict(
                    contact_id=21,
                    student_id=2,
                    name="Pat Cole",
                    priority=1,
                    email=None,
                    phone="+13525550121",
                ),
                dict(
                    contact_id=31,
                    student_id=3,
                    name="Rose Dunn",
                    priority=1,
                    email="rose@families.test",
                    phone=None,
                ),
                dict(
                    contact_id=41,
                    student_id=4,
                    name="Lee Egan",
                    priority=1,
                    email="lee@families.test",
                    phone="+13525550141",
                ),
            ],
        )


def absent(engine: sa.Engine, rows: list[tuple[int, dt.date, int, str | None]]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    student_id=s,
                    school_date=day,
                    syear=2026,
                    school_id=school,
                    minutes_present=0 if kind else 300,
                    state_value=0 if kind else 1,
                    absence_type=kind,
                )
                for s, day, school, kind in rows
            ],
        )


def enqueue(engine: sa.Engine, *rows: dict) -> list[int]:
    """Insert queue rows (defaults: e-mail, due at MONDAY, queued) as a district's query would."""
    ids = []
    with engine.begin() as conn:
        for row in rows:
            values = {
                "channel": "email",
                "source": "query",
                "subject": "",
                "send_after": MONDAY.astimezone(dt.UTC),
                "status": "queued",
                "attempts": 0,
                "created_at": MONDAY.astimezone(dt.UTC),
                **row,
            }
            ids.append(
                conn.execute(sa.insert(communication_queue).values(**values)).inserted_primary_key[
                    0
                ]
            )
    return ids


def statuses(engine: sa.Engine) -> dict[int, tuple[str, int]]:
    q = communication_queue
    with engine.connect() as conn:
        return {
            r.message_id: (r.status, r.attempts)
            for r in conn.execute(sa.select(q.c.message_id, q.c.status, q.c.attempts))
        }


def attempts(engine: sa.Engine) -> list[tuple[int, str]]:
    a = communication_attempts
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(a.c.message_id, a.c.outcome).order_by(a.c.message_id, a.c.attempt_id)
            )
        ]


def run_and_send(
    engine: sa.Engine,
    job: Job,
    params,
    *,
    now: dt.datetime = MONDAY,
    messaging: Messaging | None = None,
    tmp: Path = Path("."),
) -> JobResult:
    """As the runner does: the job in one transaction, then (committed) its sending step."""
    if messaging is None:
        from include.messaging_transports import AirflowMessaging

        messaging = AirflowMessaging()
    with engine.begin() as conn:
        context = JobContext(
            connection=conn,
            now=lambda: now,
            log=logging.getLogger("test"),
            file_store=tmp,
            job_id="test-job",
            job_title="Test job",
            messaging=messaging,
        )
        result = job.run(context, params)
    assert context.committed() is None
    return context.finished(result)
