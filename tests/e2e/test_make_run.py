"""What `make run` starts: the embedded default, twice, the second time reusing everything."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
import sqlalchemy as sa

from include.cli import demo_jobs
from include.demo_district import DemoYear
from tests.e2e.conftest import _free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[2]


def _start(env: dict[str, str], log: Path) -> subprocess.Popen:
    # `make run` runs exactly this after installing; the Makefile line is checked below.
    return subprocess.Popen(
        [sys.executable, "-m", "include.local_airflow"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    group = proc.pid  # start_new_session: the process leads its own group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
    time.sleep(2)
    with contextlib.suppress(ProcessLookupError):  # children that outlived the parent
        os.killpg(group, signal.SIGKILL)


def _wait_healthy(url: str, log: Path) -> dict:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            health = requests.get(f"{url}/api/v2/monitor/health", timeout=5).json()
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            if all(health.get(p, {}).get("status") == "healthy" for p in parts):
                return health
        except (requests.RequestException, ValueError):  # busy or still starting
            pass
        time.sleep(3)
    raise AssertionError(f"Airflow did not become healthy:\n{log.read_text()[-4000:]}")


def test_make_run_starts_the_embedded_default_and_reuses_it(tmp_path):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*\n\t\$\(BIN\)/python -m include.local_airflow$", makefile, re.M)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env |= {
        "FOCUS_HOME": str(tmp_path / "local"),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
    }
    outputs = []
    for attempt in (1, 2):
        log = tmp_path / f"run-{attempt}.log"
        proc = _start(env, log)
        try:
            _wait_healthy(url, log)
            text = log.read_text()
            outputs.append(text)
            assert f"Focus Scheduled Jobs on Airflow: {url}" in text
            password = re.search(r"log in as admin / (\S+)", text).group(1)
            token = requests.post(
                f"{url}/auth/token", timeout=10, json={"username": "admin", "password": password}
            )
            assert token.status_code in (200, 201)
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            config = requests.get(
                f"{url}/api/v2/config/section/core/option/parallelism", headers=headers, timeout=10
            )
            if config.status_code == 200:  # only when [api] expose_config allows it
                assert "4" in config.text
            pool = requests.get(f"{url}/api/v2/pools/focus_jobs", headers=headers, timeout=10)
            assert pool.json()["slots"] == 4
            # Texts, calls and push go to the embedded text catcher (include/text_catcher.py).
            twilio = requests.get(
                f"{url}/api/v2/connections/twilio_default", headers=headers, timeout=10
            ).json()
            assert twilio["host"] == "http://127.0.0.1:8026"
            # The file jobs' connections reach the local drops on the ports make run printed
            # (moved with the api-server's port, include/file_drops.py).
            for conn_id, kind in (("peer_sftp", "SFTP"), ("dmv_ftp", "FTP")):
                conn = requests.get(
                    f"{url}/api/v2/connections/{conn_id}", headers=headers, timeout=10
                ).json()
                assert conn["host"] == "127.0.0.1"
                served = re.search(rf"the {kind} jobs .*\(127\.0\.0\.1:(\d+)\)", text)
                taken = re.search(rf"no local {kind.lower()} drop: 127\.0\.0\.1:(\d+)", text)
                assert int((served or taken).group(1)) == conn["port"]
            edfi = requests.get(
                f"{url}/api/v2/connections/edfi_api", headers=headers, timeout=10
            ).json()
            assert (edfi["host"], edfi["port"]) == ("127.0.0.1", 8090)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                dags = requests.get(f"{url}/api/v2/dags", headers=headers, timeout=10).json()
                if len(dags["dags"]) == 5:
                    break
                time.sleep(3)
            # The demo's Rollover, which runs after Set Next School, is inactive.
            expected = [j["id"] for j in demo_jobs(dt.date.today()) if j.get("active", True)]
            # seed-defaults installs the Communication Queue (the demo site has the add-on).
            assert sorted(d["dag_id"] for d in dags["dags"]) == sorted(
                [*expected, "communication-queue"]
            )
            assert len(expected) == 4 and any(e.startswith("set-next-school-") for e in expected)
            if attempt == 2:  # Ctrl-C stops every process of the embedded default
                family = psutil.Process(proc.pid).children(recursive=True)
                assert len(family) > 3  # airflow standalone and its components
                started = time.monotonic()
                os.kill(proc.pid, signal.SIGINT)
                proc.wait(timeout=30)
                assert time.monotonic() - started < 20
                gone = psutil.wait_procs(family, timeout=5)[1]
                assert [p for p in gone if p.status() != psutil.STATUS_ZOMBIE] == []
        finally:
            _stop(proc)
    assert "Demo jobs: 5 created" in outputs[0]
    # The second start finds the five demo jobs and the Communication Queue seed-defaults added.
    assert "Demo jobs: none added (6 job(s) already defined)" in outputs[1]
    mail = tmp_path / "local" / "mail"
    assert f"is kept in {mail}" in outputs[0] or "no local mail catcher" in outputs[0]
    texts = tmp_path / "local" / "texts"
    assert f"are kept in {texts}" in outputs[0] or "no local text catcher" in outputs[0]
    # The web-API jobs' connections reach make run's stand-ins (include/web_standins).
    assert (
        "are local stand-ins on 127.0.0.1:8090" in outputs[0]
        or "no web-API stand-ins: 127.0.0.1:8090 is taken" in outputs[0]
    )
    # The import jobs' demo files are put in the SFTP drop once, from the demo district.
    drops = tmp_path / "local" / "drops"
    assert "the demo's files for the import jobs: 12 put in" in outputs[0]
    assert "the demo's files for the import jobs" not in outputs[1]
    assert (drops / ".seeded").exists()
    assert len(list((drops / "sftp" / "peer").glob("FL_PEER_*.csv"))) == 9
    # A small demo district is seeded into the new database, and kept by the second start.
    as_of = DemoYear(dt.date.today()).as_of  # the demo year holds the day it was seeded
    assert f"Demo district as of {as_of:%Y-%m-%d}: 8 schools, 300 students," in outputs[0]
    assert "Demo district: 300 students already present, left as they are." in outputs[1]
    # The default jobs: the demo's Daily Maintenance counts as the default one, and a second
    # start remembers it (an administrator who deletes it does not get it back).
    assert "daily_maintenance: job 'daily-maintenance' already runs this class" in outputs[0]
    assert "daily_maintenance: seeded before (job 'daily-maintenance')" in outputs[1]
    assert "communication_queue: created job 'communication-queue'" in outputs[0]
    focus = sa.create_engine(f"sqlite:///{tmp_path / 'local' / 'focus.db'}")
    with focus.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM students")).scalar_one() == 300
        assert conn.execute(sa.text("SELECT COUNT(*) FROM schools")).scalar_one() == 8
        site = conn.execute(sa.text("SELECT state, site_kind FROM site_profile")).one()
        assert tuple(site) == ("FL", "production")
    focus.dispose()
    first, second = (re.search(r"log in as admin / (\S+)", o).group(1) for o in outputs)
    assert first == second
    passwords = json.loads((tmp_path / "local" / "airflow" / "passwords.json").read_text())
    assert passwords["admin"] == first
    assert (tmp_path / "local" / "focus.db").exists()
    assert (tmp_path / "local" / "airflow" / "airflow.db").exists()
