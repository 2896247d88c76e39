"""make run's local drops: its SFTP, FTP and Acelo stand-ins, reached through the connections
airflow_settings.yaml defines, give each file job of issue #19 real work on the demo district."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml

from include.demo_district import generate
from include.file_drops import (
    SETTINGS_FILE,
    drop_ports,
    moved_settings,
    seed_demo_drops,
    settings_for,
    start_file_drops,
)
from include.repository import get_definition
from include.runner import run_job
from include.sftp_files import open_remote
from tests.job_library.communications.conftest import free_port
from tests.rows import good_row, insert_rows

N = 260
# The connections of the #19 file jobs, and the folder or stand-in each one reaches.
JOB_CONNECTIONS = {
    "peer_sftp": ("sftp", 2222),
    "regions_sftp": ("sftp", 2222),
    "pcard_sftp": ("sftp", 2222),
    "fleid_sftp": ("sftp", 2222),
    "dmv_ftp": ("ftp", 2223),
    "learnfare_ftp": ("ftp", 2223),
    "district_fte_ftp": ("ftp", 2223),
}


def _settings() -> dict:
    return yaml.safe_load(SETTINGS_FILE.read_text())


def _connection(settings: dict, conn_id: str) -> dict:
    (conn,) = [c for c in settings["airflow"]["connections"] if c["conn_id"] == conn_id]
    return conn


def test_make_run_defines_a_connection_for_every_file_job_pointing_at_the_drops():
    settings = _settings()
    for conn_id, (kind, port) in JOB_CONNECTIONS.items():
        conn = _connection(settings, conn_id)
        assert (conn["conn_type"], conn["conn_host"], conn["conn_port"]) == (
            kind,
            "127.0.0.1",
            port,
        )
        assert conn["conn_login"] and conn["conn_password"]
    assert _connection(settings, "dmv_ftp")["conn_extra"] == {"folder": "/dmv"}
    assert _connection(settings, "learnfare_ftp")["conn_extra"] == {"folder": "/learnfare"}
    assert _connection(settings, "district_fte_ftp")["conn_extra"] == {"folder": "/fte"}
    assert _connection(settings, "acelo_api")["conn_host"] == "http://127.0.0.1:2224"
    # The older SFTP jobs' connections reach the same server now.
    for conn_id in ("frontline_sftp", "metlife_sftp", "neogov_sftp", "assessments_sftp"):
        assert _connection(settings, conn_id)["conn_password"] == "local-drops"


@pytest.mark.parametrize(
    ("api_port", "expected"),
    [(8080, (2222, 2223, 2224)), (8081, (2225, 2226, 2227)), (8090, (2252, 2253, 2254))],
)
def test_the_drop_ports_move_with_the_api_port(api_port, expected):
    assert tuple(drop_ports(api_port).values()) == expected
    assert tuple(drop_ports(api_port)) == (2222, 2223, 2224)


def test_a_port_far_away_gets_free_ports():
    ports = list(drop_ports(60000).values())
    assert len(set(ports)) == 3 and all(1024 <= p <= 65535 for p in ports)


def test_the_settings_file_follows_a_moved_api_port(tmp_path):
    assert settings_for(8080, tmp_path) == SETTINGS_FILE
    moved = yaml.safe_load(settings_for(8081, tmp_path).read_text())
    assert _connection(moved, "peer_sftp")["conn_port"] == 2225
    assert _connection(moved, "metlife_sftp")["conn_port"] == 2225
    assert _connection(moved, "dmv_ftp")["conn_port"] == 2226
    assert _connection(moved, "acelo_api")["conn_host"] == "http://127.0.0.1:2227"
    # What is not a local drop stays where it was.
    assert _connection(moved, "smtp_default")["conn_port"] == 8025
    assert _connection(moved, "twilio_default")["conn_host"] == "http://127.0.0.1:8026"
    assert _connection(moved, "edfi_api")["conn_port"] == 8090


@pytest.fixture
def drops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The stand-ins on free ports, and the settings file's connections (moved to them) as
    AIRFLOW_CONN_* variables, which Airflow's hooks read first."""
    ports = {2222: free_port(), 2223: free_port(), 2224: free_port()}
    settings = moved_settings(_settings(), ports)
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    for conn in settings["airflow"]["connections"]:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn['conn_id'].upper()}",
            json.dumps(
                {
                    "conn_type": conn["conn_type"],
                    "host": conn.get("conn_host"),
                    "port": conn.get("conn_port"),
                    "login": conn.get("conn_login"),
                    "password": conn.get("conn_password"),
                    "extra": conn.get("conn_extra") or {},
                }
            ),
        )
    root = tmp_path / "drops"
    servers = start_file_drops(root, path)
    yield servers, root, ports
    servers.stop()


def test_a_taken_port_is_a_line_and_the_others_start(drops, tmp_path):
    servers, _, ports = drops
    assert sorted(servers.servers) == ["acelo", "ftp", "sftp"]
    path = tmp_path / "settings.yaml"
    again = start_file_drops(tmp_path / "other", path)
    try:
        assert again.servers == {}
        assert again.lines == [
            f"  no local {name} drop: 127.0.0.1:{ports[port]} is taken (Address already in use)"
            for name, port in (("sftp", 2222), ("ftp", 2223), ("acelo", 2224))
        ]
    finally:
        again.stop()


def test_a_wrong_password_is_refused(drops):
    import ftplib

    import paramiko

    _, _, ports = drops
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        ssh.connect(
            "127.0.0.1",
            port=ports[2222],
            username="focus",
            password="wrong",
            look_for_keys=False,
            allow_agent=False,
        )
    ssh.close()
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", ports[2223], timeout=10)
    with pytest.raises(ftplib.error_perm, match="530"):
        ftp.login("focus", "wrong")
    ftp.close()
    answer = requests.post(
        f"http://127.0.0.1:{ports[2224]}/transactions",
        json={"transactions": []},
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert answer.status_code == 401


def _run(engine: sa.Engine, tmp_path: Path, job_id: str, key: str, params: dict | None = None):
    """One run as `focus-jobs run` and the Airflow task make it: the job's row, its file
    server opened through its Airflow connection, the runner's one transaction."""
    insert_rows(engine, good_row(job_id, job_class=key, params=params or {}))
    with engine.connect() as conn:
        definition = get_definition(conn, job_id)
    remote = open_remote(definition)
    try:
        return run_job(
            definition,
            engine=engine,
            timezone="America/New_York",
            file_store=tmp_path / "files" / job_id,
            log=logging.getLogger(f"focus_jobs.{job_id}"),
            run_id=f"manual__{job_id}",
            remote=remote,
        )
    finally:
        if remote is not None:
            remote.close()


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_each_file_job_does_real_work_with_the_seeded_files(engine, drops, tmp_path):
    _, root, _ = drops
    today = dt.date.today()  # the runner's clock is the real one, as under make run
    generate(engine, N, today=today)
    seeded = seed_demo_drops(root, engine, today)
    assert seed_demo_drops(root, engine, today) is None  # the first make run only
    sftp = root / "sftp"
    assert len(seeded) == 12  # nine PEER tables, two card files, one FLEID answer
    # Every ESE student of the demo holding a FLEID gets an IEP (and four rows beside it).
    ese = _count(
        engine,
        "SELECT COUNT(DISTINCT s.student_id) FROM students s JOIN ese_records e "
        "ON e.student_id = s.student_id WHERE e.active = TRUE AND s.fleid LIKE 'FL%' "
        "AND s.fleid <> 'FL000000000000'",
    )
    assert ese > 0

    peer = _run(engine, tmp_path, "peer-nightly", "florida_peer_nightly_import")
    assert peer.success, peer.text
    assert peer.counts["files"] == 9 and peer.counts["bad_rows"] == 0
    assert _count(engine, "SELECT COUNT(*) FROM fl_peer_active_ieps") == ese
    assert _count(engine, "SELECT COUNT(*) FROM fl_peer_matrix_services") == ese
    with_plans = _count(engine, "SELECT COUNT(*) FROM fl_peer_active_504_plans")
    assert with_plans > 0
    assert _count(engine, "SELECT COUNT(*) FROM fl_peer_504_classroom_accommodations") == (
        with_plans
    )
    eps = _count(engine, "SELECT COUNT(*) FROM fl_peer_active_eps")
    assert peer.counts["added"] == 5 * ese + 3 * with_plans + eps
    assert sorted(p.name for p in (sftp / "peer").glob("*.csv")) == []
    assert len(list((sftp / "peer" / "imported").iterdir())) == 9
    # Import Peer Data finds nothing left: the nightly import took every file.
    manual = _run(engine, tmp_path, "peer-manual", "import_peer_data")
    assert manual.success and manual.counts["files"] == 0

    # Four Regions transactions, then four from the card issuer; every one becomes a draft.
    regions = _run(engine, tmp_path, "regions", "regions_bank_import")
    assert regions.success, regions.text
    assert regions.counts == {"loaded": 4, "already_imported": 0, "not_taken": 0}
    pcard = _run(engine, tmp_path, "pcard", "pcard_imports")
    assert pcard.success, pcard.text
    assert pcard.counts == {"loaded": 4, "already_imported": 0, "not_taken": 0, "drafts": 8}
    assert list((sftp / "regions").glob("*.csv")) == list((sftp / "pcard").glob("*.csv")) == []

    # The demo leaves its last two students without a usable FLEID; the answer gives both one.
    last = 100000 + N
    fleid = _run(engine, tmp_path, "fleid", "fleid_export_import")
    assert fleid.success, fleid.text
    with engine.connect() as conn:
        got = dict(
            conn.execute(
                sa.text("SELECT student_id, fleid FROM students WHERE student_id >= :a"),
                {"a": last - 1},
            ).all()
        )
    assert got == {last - 1: "FL900000100259", last: "FL900000100260"}

    # The DOE extracts keep the survey's PK-12 records: the DMV job sends them as the FTE.
    extracts = _run(engine, tmp_path, "doe", "florida_doe_extracts_and_verification_reports")
    assert extracts.success, extracts.text
    fte_records = _count(engine, "SELECT COUNT(*) FROM florida_pk12_initial")
    assert fte_records > 0

    # The two submissions land their files in the FTP folders.
    sent = {}
    for job_id, key, folder in (
        ("dmv", "submit_dmv_attendance_via_ftp", "dmv"),
        ("learnfare", "submit_learnfare_via_ftp", "learnfare"),
    ):
        result = _run(engine, tmp_path, job_id, key)
        assert result.success, result.text
        assert result.counts["files_sent"] == (2 if job_id == "dmv" else 1), result.text
        (landed,) = (root / "ftp" / folder).iterdir()
        assert not landed.name.startswith(".")  # renamed from .partial once complete
        sent[folder] = (result.counts["students"], landed.read_bytes().split(b"\r\n"))
    # LearnFare: one line per student aged 6 to 19, then the trailer with their count.
    students, lines = sent["learnfare"]
    assert students > 0 and lines[-1] == b""
    assert len(lines) == students + 2 and lines[-2].startswith(b"T%06d" % students)
    # The demo holds no student under 18 with 15 unexcused absences: the DMV file is the
    # trailer alone (a count of zero), sent all the same so the DMV sees the district reported.
    students, lines = sent["dmv"]
    assert students == 0 and len(lines) == 2 and lines[0].startswith(b"T000000")
    # Beside it, the FTE file: one 160-character line per stored PK-12 record, no trailer.
    (fte,) = (root / "ftp" / "fte").iterdir()
    assert fte.name.startswith("FTE_") and fte.name.endswith(".txt")
    fte_lines = fte.read_bytes().split(b"\r\n")
    assert fte_lines[-1] == b"" and len(fte_lines) == fte_records + 1
    assert {len(line) for line in fte_lines[:-1]} == {160}
    # Keyed on the FLEID (73-86); the old student number's place (7-16) is blank filler.
    assert all(line[6:16] == b" " * 10 and line[72:74] == b"FL" for line in fte_lines[:-1])

    # Acelo receives the postings of the demo's closed GL periods.
    closed = _count(
        engine,
        "SELECT COUNT(*) FROM gl_transactions t JOIN gl_periods p ON p.period_id = t.period_id "
        "WHERE p.closed_at IS NOT NULL",
    )
    acelo = _run(engine, tmp_path, "acelo", "acelo_integration")
    assert acelo.success, acelo.text
    assert acelo.counts == {"sent": closed, "rejected": 0, "unchanged": 0}
    kept = [json.loads(p.read_text()) for p in sorted((root / "acelo").glob("*.json"))]
    assert sum(len(k["accepted"]) for k in kept) == closed > 0


def test_make_run_works_the_settings_file_out_once_so_airflow_and_the_servers_agree(tmp_path):
    from include.local_airflow import airflow_env, local_settings_file

    env = airflow_env(focus_home=tmp_path, base={"AIRFLOW__API__PORT": "60000"})
    first = local_settings_file(env)
    assert local_settings_file(env) == first == tmp_path / "airflow" / "airflow_settings.yaml"
    ports = {
        c["conn_port"]
        for c in yaml.safe_load(first.read_text())["airflow"]["connections"]
        if c["conn_id"] in ("peer_sftp", "dmv_ftp")
    }
    assert len(ports) == 2 and ports.isdisjoint({2222, 2223})
    default = airflow_env(focus_home=tmp_path, base={})
    assert local_settings_file(default) == SETTINGS_FILE
