"""Execution e-mails delivered to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import socket
from dataclasses import dataclass, field
from email.message import Message
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.utils.types import DagRunType

from include import cli
from include.dag_builder import TASK_ID, build_dags
from include.focus_db.engine import get_engine
from job_library.schema import student_addresses
from tests.rows import good_row, insert_rows
from tests.standins import context

NY = ZoneInfo("America/New_York")
RECIPIENTS = ["registrar@district.org", "it@district.org"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server received, and how it answers DATA."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    attempts: int = 0
    refuse: bool = False

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.attempts += 1
        if self.refuse:
            return "554 5.7.1 Message rejected by policy"
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


def _use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    connection = {
        "conn_type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "extra": {
            "from_email": "focus-jobs@district.org",
            "disable_ssl": True,
            "disable_tls": True,
            "retry_limit": 0,
            "timeout": 5,
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(connection))
    monkeypatch.setenv("FOCUS_SMTP_BACKOFF_SECONDS", "0.01")


@pytest.fixture
def inbox(monkeypatch, focus_env):
    box = Inbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    _use_smtp(monkeypatch, port)
    yield box
    controller.stop()


def _task(**row):
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("job", title="Address Corrections", emails=",".join(RECIPIENTS), **row),
    )
    return build_dags()["job"].get_task(TASK_ID)


def _parts(message: Message) -> tuple[str, str]:
    plain = html = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            plain = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
    return plain, html


def _today_due() -> dt.datetime:
    return dt.datetime.combine(dt.datetime.now(NY).date(), dt.time(0, 0), NY)


def _add_address():
    with get_engine(os.environ["FOCUS_DB_URL"]).begin() as conn:
        conn.execute(
            sa.insert(student_addresses).values(student_id=1, address="8 South Pine Avenue")
        )


def test_scheduled_run_mails_output_and_says_scheduled(inbox):
    _add_address()
    if dt.datetime.now(NY).time() >= dt.time(23, 59):
        pytest.skip("the whole-day window closes in the last minute of the day")
    task = _task(run_hour=0, run_minute=0, timeframe_start="00:00", timeframe_end="23:59")
    task.execute(context(DagRunType.SCHEDULED, _today_due()))
    assert len(inbox.messages) == 1
    rcpts, message = inbox.messages[0]
    assert sorted(rcpts) == sorted(RECIPIENTS)
    assert message["Subject"] == "Scheduled job 'Address Corrections' succeeded"
    assert message["From"] == "focus-jobs@district.org"
    plain, html = _parts(message)
    assert "Ran: Scheduled" in plain
    assert "Username" not in plain and "IP address" not in plain
    assert "Corrected 1 of 1 address(es)." in plain
    assert "address '8 South Pine Avenue' -> '8 S Pine Ave'" in plain
    assert "<td>8 South Pine Avenue</td><td>8 S Pine Ave</td>" in html
    assert "<td>Scheduled</td>" in html


def test_a_run_started_by_the_jobs_it_runs_after_says_scheduled(inbox):
    """Nobody ran it by hand: its upstream job's success started it (an asset-triggered run)."""
    _add_address()
    insert_rows(get_engine(os.environ["FOCUS_DB_URL"]), good_row("upstream"))
    task = _task(
        run_hour=None,
        run_minute=None,
        run_after="upstream",
        weekdays="mon,tue,wed,thu,fri,sat,sun",
    )
    task.execute(context(DagRunType.ASSET_TRIGGERED, None))
    assert len(inbox.messages) == 1
    plain, _ = _parts(inbox.messages[0][1])
    assert "Ran: Scheduled" in plain
    assert "Username" not in plain and "IP address" not in plain


def test_manual_run_names_the_user_the_ip_and_the_time(inbox):
    task = _task()
    before = dt.datetime.now(NY).replace(microsecond=0)
    task.execute(
        context(DagRunType.MANUAL, None, conf={"triggered_by": "jsmith", "ip": "10.1.2.3"})
    )
    after = dt.datetime.now(NY)
    plain, html = _parts(inbox.messages[0][1])
    assert "Username: jsmith" in plain and "IP address: 10.1.2.3" in plain
    ran = next(line for line in plain.splitlines() if line.startswith("Ran: "))
    ran_at = dt.datetime.strptime(ran[5:24], "%Y-%m-%d %H:%M:%S").replace(tzinfo=NY)
    assert before <= ran_at <= after
    assert ran.endswith(("EST", "EDT"))
    assert "<td>jsmith</td>" in html and "<td>10.1.2.3</td>" in html


def test_run_without_a_logged_in_user_shows_only_the_ip(inbox):
    _task().execute(context(DagRunType.MANUAL, None, conf={"ip": "192.0.2.44"}))
    plain, _ = _parts(inbox.messages[0][1])
    assert "IP address: 192.0.2.44" in plain
    assert "Username" not in plain


def test_airflow_ui_trigger_names_the_airflow_user(inbox):
    _task().execute(context(DagRunType.MANUAL, None, triggering_user_name="admin"))
    plain, _ = _parts(inbox.messages[0][1])
    assert "Username: admin" in plain and "IP address: not recorded" in plain


def test_unsuccessful_only_setting_both_ways(inbox, capsys):
    task = _task()
    task.execute(context(DagRunType.MANUAL, None))
    assert len(inbox.messages) == 1  # setting off (default): success mails
    assert cli.main(["settings", "email_unsuccessful_only", "on"]) == 0
    task.execute(context(DagRunType.MANUAL, None))
    assert len(inbox.messages) == 1  # on: success sends nothing
    # A skipped scheduled run (outside its timeframe) is unsuccessful: it mails.
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row(
            "windowed",
            title="Windowed",
            emails=RECIPIENTS[0],
            timeframe_start="01:00",
            timeframe_end="03:00",
        ),
    )
    windowed = build_dags()["windowed"].get_task(TASK_ID)
    with pytest.raises(AirflowSkipException):
        windowed.execute(context(DagRunType.SCHEDULED, _today_due() - dt.timedelta(days=1)))
    assert inbox.messages[-1][1]["Subject"] == "Scheduled job 'Windowed' was skipped"
    # A failed run mails too.
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("lost", title="Lost Job", job_class="gone", emails=RECIPIENTS[1]),
    )
    with pytest.raises(AirflowFailException):
        build_dags()["lost"].get_task(TASK_ID).execute(context(DagRunType.MANUAL, None))
    assert inbox.messages[-1][1]["Subject"] == "Scheduled job 'Lost Job' failed"
    assert inbox.messages[-1][0] == [RECIPIENTS[1]]
    assert len(inbox.messages) == 3
    assert cli.main(["settings", "email_unsuccessful_only", "off"]) == 0
    task.execute(context(DagRunType.MANUAL, None))
    assert len(inbox.messages) == 4
    assert cli.main(["settings", "email_unsuccessful_only", "maybe"]) == 1
    assert "'maybe' is not on or off" in capsys.readouterr().err


def _task_log(capfd) -> str:
    # The task logger is Airflow's structlog, which writes to the process's stdout.
    out, err = capfd.readouterr()
    return out + err


def test_refusing_server_is_retried_and_never_breaks_the_job(inbox, capfd):
    _add_address()
    inbox.refuse = True
    output = _task().execute(context(DagRunType.MANUAL, None))
    assert output["success"] is True and output["counts"]["corrected"] == 1
    assert inbox.attempts == 3 and inbox.messages == []
    log = _task_log(capfd)
    assert "(attempt 3 of 3): SMTPDataError: (554" in log
    assert "was not sent after 3 attempts" in log


def test_server_down_never_breaks_the_job(focus_env, monkeypatch, capfd):
    _use_smtp(monkeypatch, _free_port())  # nothing listens there
    _add_address()
    output = _task().execute(context(DagRunType.MANUAL, None))
    assert output["success"] is True
    log = _task_log(capfd)
    assert "ConnectionRefusedError" in log
    assert "was not sent after 3 attempts" in log
    with get_engine(os.environ["FOCUS_DB_URL"]).connect() as conn:
        assert conn.execute(sa.select(student_addresses.c.address)).scalar() == "8 S Pine Ave"


def test_job_without_addresses_sends_nothing(inbox):
    insert_rows(get_engine(os.environ["FOCUS_DB_URL"]), good_row("quiet"))
    build_dags()["quiet"].get_task(TASK_ID).execute(context(DagRunType.MANUAL, None))
    assert inbox.attempts == 0
