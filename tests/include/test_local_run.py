"""What `make run` adds around Airflow: ports that move together, a mail catcher, a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import psutil
import pytest

from include.local_airflow import airflow_env, log_server_ports
from include.mail_catcher import smtp_address, start_mail_catcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("api_port", "expected"), [(8080, (8793, 8794)), (8081, (8795, 8796)), (8090, (8813, 8814))]
)
def test_log_server_ports_move_with_the_api_port(api_port, expected):
    assert log_server_ports(api_port) == expected


def test_a_port_far_away_still_gets_two_usable_log_ports():
    worker, trigger = log_server_ports(60000)
    assert worker != trigger and {worker, trigger}.isdisjoint({8793, 8794})
    assert all(1024 <= p <= 65535 for p in (worker, trigger))


def test_one_port_variable_moves_everything_that_follows_from_it(tmp_path):
    env = airflow_env(focus_home=tmp_path, base={"AIRFLOW__API__PORT": "8081"})
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8081"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8081/execution/"
    assert env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == "8795"
    assert env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] == "8796"
    default = airflow_env(focus_home=tmp_path, base={})
    assert default["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == "8793"
    chosen = airflow_env(
        focus_home=tmp_path,
        base={"AIRFLOW__API__PORT": "8081", "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "9999"},
    )
    assert chosen["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == "9999"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_mail_catcher_keeps_each_message_as_an_eml_file(tmp_path):
    assert smtp_address() == ("127.0.0.1", 8025)  # airflow_settings.yaml's smtp_default
    port = _free_port()
    folder = tmp_path / "mail"
    catcher = start_mail_catcher(folder, "127.0.0.1", port)
    try:
        for n in (1, 2):
            message = EmailMessage()
            message["From"], message["To"] = "focus-jobs@localhost", "registrar@district.org"
            message["Subject"] = f"Job {n} succeeded"
            message.set_content(f"output {n}")
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.send_message(message)
    finally:
        catcher.stop()
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    assert [b"Subject: Job 1 succeeded" in f.read_bytes() for f in files].count(True) == 1
    assert any(b"output 2" in f.read_bytes() for f in files)


# A process tree that ignores SIGTERM, with a grandchild in a session of its own.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", '''
import os, signal, time
os.setsid()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(600)
'''])
with open(sys.argv[1], "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.timeout(120)
def test_ctrl_c_stops_every_process_within_20_seconds(tmp_path):
    pids_file = tmp_path / "pids"
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; from include.local_airflow import supervise; "
            f"sys.exit(supervise([sys.executable, '-c', {STUBBORN!r}, {str(pids_file)!r}], "
            "dict(os.environ)))",
        ],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (pids_file.exists() and pids_file.read_text().count(" ") == 1):
        assert time.monotonic() < deadline, "the process tree did not start"
        time.sleep(0.1)
    tree = [int(p) for p in pids_file.read_text().split()]
    assert all(_alive(p) for p in tree)
    started = time.monotonic()
    os.kill(supervisor.pid, signal.SIGINT)  # what Ctrl-C sends
    out, _ = supervisor.communicate(timeout=30)
    elapsed = time.monotonic() - started
    assert elapsed < 20
    assert supervisor.returncode == 130
    assert "Stopping Airflow" in out
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in tree)


def test_a_job_with_addresses_mails_the_catcher_at_once_without_errors(
    focus_env, tmp_path, monkeypatch, caplog
):
    """The embedded default's smtp_default connection (airflow_settings.yaml) and the catcher."""
    import json
    import logging

    import yaml
    from airflow.utils.types import DagRunType

    from include.dag_builder import TASK_ID, build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows
    from tests.standins import context

    settings = yaml.safe_load((ROOT / "airflow_settings.yaml").read_text())
    conn = next(c for c in settings["airflow"]["connections"] if c["conn_id"] == "smtp_default")
    port = _free_port()
    connection = {
        "conn_type": conn["conn_type"],
        "host": conn["conn_host"],
        "port": port,  # the catcher's port here; make run uses conn_port itself
        "extra": conn["conn_extra"],
    }
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(connection))
    folder = tmp_path / "mail"
    catcher = start_mail_catcher(folder, conn["conn_host"], port)
    try:
        insert_rows(
            get_engine(os.environ["FOCUS_DB_URL"]),
            good_row("nightly", title="Address Corrections", emails="registrar@district.org"),
        )
        task = build_dags()["nightly"].get_task(TASK_ID)
        started = time.monotonic()
        with caplog.at_level(logging.INFO):
            task.execute(context(DagRunType.MANUAL, None))
        elapsed = time.monotonic() - started
    finally:
        catcher.stop()
    files = list(folder.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Scheduled job 'Address Corrections' succeeded" in files[0].read_bytes()
    assert elapsed < 5  # no retry back-off
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
