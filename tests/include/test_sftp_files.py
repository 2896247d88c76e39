"""The SFTP adapter, the file sensor's trigger and `focus-jobs run` against a real OpenSSH sshd."""

from __future__ import annotations

import asyncio
import email
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred
from airflow.utils.types import DagRunType

from include import cli
from include.dag_builder import TASK_ID, WAIT_TASK_ID, build_dags
from include.file_sensor import FocusFileSensor, FocusFileTrigger
from include.focus_db.engine import get_engine
from include.sftp_files import SftpFiles
from job_library.base import RemoteFileError
from job_library.schema import employees, job_output
from tests.openssh_server import OpenSshServer
from tests.rows import good_row, insert_rows
from tests.sftp_server import SftpServer
from tests.standins import context

HIRES = "ein|ssn|first_name|last_name|email|hire_date\nN1|111-22-3333|Ana|Diaz||\n"


def _files(server: OpenSshServer | SftpServer, **kwargs) -> SftpFiles:
    return SftpFiles(server.client(), **kwargs)


# --- The adapter ------------------------------------------------------------------------


def test_listing_keeps_names_that_are_not_utf8_as_bytes_and_never_follows_links(sftp):
    folder = sftp.folder("drop")
    sftp.put("drop/a.csv", "a")
    with open(os.fsencode(folder) + b"/r\xe9sum\xe9.csv", "wb") as f:
        f.write(b"x")
    (folder / "link.csv").symlink_to("/etc/passwd")
    sftp.folder("drop/sub")
    files = _files(sftp)
    try:
        entries = {e.name: e.kind for e in files.scan("/drop")}
        assert entries == {
            "a.csv": "file",
            b"r\xe9sum\xe9.csv": "file",
            "link.csv": "symlink",
            "sub": "folder",
        }
        assert files.listdir("/drop") == ["a.csv"]
        assert files.exists("/drop/a.csv") and not files.exists("/drop/link.csv")
        assert files.scan("/nowhere") == []
    finally:
        files.close()


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda f: f.read("/drop/missing.csv"), "SFTP read /drop/missing.csv failed: "),
        (lambda f: f.read("/drop/secret.csv"), "SFTP read /drop/secret.csv failed: Permission"),
        (lambda f: f.remove("/drop/locked/x.csv"), "SFTP remove /drop/locked/x.csv failed: Perm"),
        (
            lambda f: f.rename("/drop/a.csv", "/drop/b.csv"),
            "SFTP rename /drop/a.csv -> /drop/b.csv failed: the target already exists",
        ),
        (
            lambda f: f.write("/x.csv", b"1"),
            "SFTP write /x.csv.partial failed: Permission denied",
        ),
        (
            lambda f: f.makedirs("/metlife/received"),
            "SFTP create folder /metlife failed: Permission denied. An administrator must "
            "create /metlife on the server, writable by the SFTP user (this user may not "
            "write in /)",
        ),
    ],
    ids=["missing", "unreadable", "folder-not-writable", "target-exists", "root", "mkdir-root"],
)
def test_every_failure_names_the_operation_and_the_path(sftp, operation, message):
    sftp.put("drop/a.csv", "a")
    sftp.put("drop/b.csv", "b")
    sftp.put("drop/secret.csv", "s").chmod(0o000)
    locked = sftp.folder("drop/locked")
    sftp.put("drop/locked/x.csv", "x")
    locked.chmod(0o555)
    files = _files(sftp)
    try:
        with pytest.raises(RemoteFileError) as caught:
            operation(files)
    finally:
        files.close()
    assert str(caught.value).startswith(message)
    assert (sftp.root / "drop" / "a.csv").read_text() == "a"  # nothing lost
    assert (sftp.root / "drop" / "locked" / "x.csv").exists()


def test_a_server_without_posix_rename_still_renames_and_replaces_our_own_files(tmp_path):
    root, keys = tmp_path / "root", tmp_path / "keys"
    root.mkdir()
    keys.mkdir()
    server = SftpServer(root, keys, posix_rename=False).start()
    try:
        (root / "drop").mkdir()
        (root / "drop" / "in.csv").write_text("new")
        (root / "drop" / "taken.csv").write_text("someone else's")
        files = _files(server)
        try:
            files.write("/drop/retries.csv", b"first")
            files.write("/drop/retries.csv", b"second")  # ours: removed first, then renamed
            files.rename("/drop/in.csv", "/drop/in-1.csv")
            with pytest.raises(RemoteFileError, match="the target already exists"):
                files.rename("/drop/in-1.csv", "/drop/taken.csv")
        finally:
            files.close()
    finally:
        server.stop()
    assert (root / "drop" / "retries.csv").read_text() == "second"
    assert (root / "drop" / "in-1.csv").read_text() == "new"
    assert (root / "drop" / "taken.csv").read_text() == "someone else's"
    assert sorted(p.name for p in (root / "drop").iterdir()) == [
        "in-1.csv",
        "retries.csv",
        "taken.csv",
    ]


# --- The sensor's trigger, run the way the triggerer runs it --------------------------------


def _first_event(trigger: FocusFileTrigger, within: float):
    async def first():
        async for event in trigger.run():
            return event
        return None

    async def bounded():
        try:
            return await asyncio.wait_for(first(), within)
        except TimeoutError:
            return None

    return asyncio.run(bounded())


@pytest.fixture
def drop_connection(sftp, monkeypatch) -> OpenSshServer:
    monkeypatch.setenv("AIRFLOW_CONN_DROP_SFTP", json.dumps(sftp.airflow_connection()))
    return sftp


@pytest.mark.parametrize("pattern", ["*", "*.*", "Frontline_Leave.csv", "staff_*.csv"])
def test_the_trigger_waits_on_an_empty_folder_and_fires_on_a_real_file(drop_connection, pattern):
    sftp = drop_connection
    folder = sftp.folder("drop")
    trigger = FocusFileTrigger("/drop", pattern, "drop_sftp", poke_interval=0.2)
    assert _first_event(trigger, 2.0) is None  # `.` and `..` are listed by OpenSSH: no match
    # Nothing a job would take: hidden, partial, a folder, links, a name that is not UTF-8.
    sftp.put("drop/.Frontline_Leave.csv", "x")
    sftp.put("drop/staff_1.csv.partial", "x")
    sftp.put("drop/Frontline_Leave.csv.tmp", "x")
    sftp.folder("drop/staff_dir.csv")
    (folder / "Frontline_Leave.csv").symlink_to("/etc/passwd")
    (folder / "staff_2.csv").symlink_to("staff_1.csv.partial")
    with open(os.fsencode(folder) + b"/staff_\xff.csv", "wb") as f:
        f.write(b"x")
    assert _first_event(trigger, 2.0) is None
    (folder / "Frontline_Leave.csv").unlink()
    sftp.put("drop/Frontline_Leave.csv", "real")
    sftp.put("drop/staff_3.csv", "real")
    event = _first_event(trigger, 10.0)
    assert event is not None and event.payload["status"] == "success"
    expected = "Frontline_Leave.csv" if pattern == "Frontline_Leave.csv" else "staff_3.csv"
    assert expected in event.payload["message"]


def test_the_trigger_waits_while_the_folder_does_not_exist(drop_connection):
    trigger = FocusFileTrigger("/not-yet", "*", "drop_sftp", poke_interval=0.2)
    assert _first_event(trigger, 1.5) is None


def test_the_trigger_keeps_waiting_through_server_errors_and_the_job_reports_them(
    drop_connection, capfd
):
    sftp = drop_connection
    sftp.put("drop/a.csv", "a")
    (sftp.root / "drop").chmod(0o000)  # the SFTP user may not list it
    trigger = FocusFileTrigger("/drop", "*", "drop_sftp", poke_interval=0.2)
    assert _first_event(trigger, 1.5) is None
    logged = capfd.readouterr().out  # the triggerer's log
    assert "SFTP list /drop (connection 'drop_sftp') failed: SFTPPermissionDenied" in logged
    files = _files(sftp)
    try:
        with pytest.raises(RemoteFileError, match="SFTP list /drop failed: Permission denied"):
            files.scan("/drop")
    finally:
        files.close()
    (sftp.root / "drop").chmod(0o755)
    event = _first_event(trigger, 10.0)
    assert event is not None and event.payload["message"] == "Found in /drop: a.csv"


def test_the_providers_own_trigger_fires_on_an_empty_folder(drop_connection):
    """Why the file jobs use their own trigger: the provider's matches `.` and `..`."""
    from airflow.providers.sftp.triggers.sftp import SFTPTrigger

    drop_connection.folder("drop")
    event = _first_event(SFTPTrigger("/drop", "*.*", "drop_sftp", poke_interval=0.2), 10.0)
    assert event is not None and event.payload["status"] == "success"
    assert "'.'" in event.payload["message"] or "'..'" in event.payload["message"]


@pytest.mark.parametrize(
    ("job_class", "params", "folder", "pattern", "arrives"),
    [
        ("frontline_leave", {}, "/FromAesop", "Frontline_Leave.csv", "Frontline_Leave.csv"),
        ("metlife_incoming", {"deduction_code": "MLSUP"}, "/metlife", "MetLife.csv", "MetLife.csv"),
        ("neogov_new_hires", {}, "/neogov", "*.*", "hires.csv"),
        ("neogov_user_data", {}, "/neogov/userdata", "*", "users"),
    ],
)
def test_every_file_jobs_sensor_defers_to_a_trigger_that_waits_for_a_real_file(
    focus_env, sftp, monkeypatch, job_class, params, folder, pattern, arrives
):
    connection = f"{job_class.split('_')[0]}_sftp"
    monkeypatch.setenv(f"AIRFLOW_CONN_{connection.upper()}", json.dumps(sftp.airflow_connection()))
    monkeypatch.setenv("FOCUS_FILE_POKE_SECONDS", "0.2")
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("files", job_class=job_class, kind="integration", params=params),
    )
    wait = build_dags()["files"].get_task(WAIT_TASK_ID)
    assert isinstance(wait, FocusFileSensor) and wait.deferrable
    with pytest.raises(TaskDeferred) as deferred:  # what the worker hands the triggerer
        wait.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, FocusFileTrigger)
    classpath, kwargs = trigger.serialize()
    assert classpath == "include.file_sensor.FocusFileTrigger"
    assert (kwargs["path"], kwargs["file_pattern"]) == (folder, pattern)
    assert kwargs["sftp_conn_id"] == connection
    trigger = FocusFileTrigger(**kwargs)  # as the triggerer rebuilds it
    assert _first_event(trigger, 1.5) is None  # no folder yet
    sftp.folder(folder)
    sftp.folder(f"{folder}/done.d")  # a sub-folder (NeoGov's userdata and done sit in /neogov)
    sftp.put(f"{folder}/.{arrives}", "hidden")
    sftp.put(f"{folder}/{arrives}.partial", "uploading")
    assert _first_event(trigger, 1.5) is None  # `.`, `..`, a folder, hidden, partial: no
    sftp.put(f"{folder}/{arrives}", "data")
    event = _first_event(trigger, 10.0)
    assert event is not None and event.payload["status"] == "success"
    assert event.payload["message"] == f"Found in {folder}: {arrives}"


# --- focus-jobs run: the same Airflow connection as the operator ---------------------------


def test_cli_runs_a_file_job_through_the_airflow_connection(focus_env, sftp, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_NEOGOV_SFTP", json.dumps(sftp.airflow_connection()))
    monkeypatch.setenv("FOCUS_FILE_SETTLE_SECONDS", "0.2")
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("hires", job_class="neogov_new_hires", kind="integration"),
    )
    sftp.put("neogov/hires_1.csv", HIRES)
    assert cli.main(["run", "hires"]) == 0
    assert "Created 1 employee(s) from 1 file(s)" in capsys.readouterr().out
    with get_engine(os.environ["FOCUS_DB_URL"]).connect() as conn:
        assert conn.execute(sa.select(employees.c.ein)).scalars().all() == ["N1"]
    assert sorted(p.name for p in (sftp.root / "neogov").iterdir()) == ["done"]


def test_cli_says_which_connection_it_could_not_open(focus_env, monkeypatch, capsys):
    monkeypatch.delenv("AIRFLOW_CONN_NEOGOV_SFTP", raising=False)
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("hires", job_class="neogov_new_hires", kind="integration"),
    )
    assert cli.main(["run", "hires"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: job 'hires': SFTP connect (Airflow connection 'neogov_sftp')")
    assert "Traceback" not in err


# --- A run that fails after its commit: output stored and e-mailed -------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def test_output_of_a_run_that_fails_after_its_commit_is_stored_and_mailed(
    focus_env, sftp, monkeypatch
):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {
        "conn_type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "extra": {"from_email": "jobs@district.org", "disable_ssl": True, "disable_tls": True},
    }
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(smtp))
    monkeypatch.setenv("AIRFLOW_CONN_NEOGOV_SFTP", json.dumps(sftp.airflow_connection()))
    monkeypatch.setenv("FOCUS_FILE_SETTLE_SECONDS", "0")
    engine = get_engine(os.environ["FOCUS_DB_URL"])
    insert_rows(
        engine,
        good_row(
            "hires", job_class="neogov_new_hires", kind="integration", emails="hr@district.org"
        ),
    )
    sftp.put("neogov/hires_1.csv", HIRES)
    sftp.folder("neogov/done").chmod(0o555)  # the copy to done/ fails after the commit
    try:
        task = build_dags()["hires"].get_task(TASK_ID)
        with pytest.raises(AirflowFailException, match="Created 1 employee"):
            task.execute(context(DagRunType.MANUAL, None))
    finally:
        controller.stop()
    with engine.connect() as conn:
        stored = conn.execute(sa.select(job_output)).one()
        assert conn.execute(sa.select(employees.c.ein)).scalars().all() == ["N1"]  # committed
    assert stored.success is False
    for text in (stored.text_output, stored.html_output):
        assert "Created 1 employee(s) from 1 file(s)" in text
        assert "SFTP write /neogov/done/" in text and "Permission denied" in text
        assert "next run finishes them" in text
    (message,) = inbox.messages
    body = "".join(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "Created 1 employee(s)" in body and "SFTP write /neogov/done/" in body
    assert Path(sftp.root / "neogov" / "hires_1.csv").exists()  # kept for the next run
