"""Daily Maintenance prunes Airflow's run history per job, on SQLite and Postgres metadata."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from include.airflow_history import AirflowRunHistory
from include.focus_db.engine import get_engine
from include.local_airflow import airflow_env, prepare
from include.repository import get_definition, upsert, validate_documents
from include.runner import run_job
from tests.conftest import PG_ADMIN_URL
from tests.e2e.conftest import _free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

NOW = dt.datetime.now(dt.UTC)
EXTRA_JOBS = [
    {
        "id": "weekly",
        "title": "Weekly kept",
        "class": "address_corrections",
        "run_time": "03:00",
        "store_history": "1 week",
    },
    {
        "id": "keeper",
        "title": "Kept forever",
        "class": "address_corrections",
        "run_time": "04:00",
        "store_history": "forever",
    },
]
# (dag, run, state, days since it ended (or started, when running)) and whether it must stay.
RUNS = [
    ("weekly", "old-success", "success", 10, False),
    ("weekly", "old-failed", "failed", 8, False),
    ("weekly", "recent", "success", 2, True),
    ("weekly", "old-running", "running", 10, True),
    ("keeper", "ancient", "success", 400, True),
    ("address-corrections", "old", "success", 100, False),  # keeps 3 months (92 days)
    ("address-corrections", "recent", "failed", 60, True),
    ("legacy-php-export", "old", "failed", 40, False),  # no retention: the job's 30 days
    ("legacy-php-export", "recent", "success", 20, True),
]


def _metadata_url(
    backend: str, home: Path, request: pytest.FixtureRequest
) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{home / 'airflow.db'}", None
    request.getfixturevalue("postgres_url")  # skips, or fails under CI, without Postgres
    name = f"airflow_meta_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str | None) -> None:
    if name is None:
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_old_runs_are_gone_recent_and_running_ones_kept(backend, tmp_path, request):
    home = tmp_path / "airflow"
    home.mkdir()
    meta_url, pg_name = _metadata_url(backend, home, request)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    base["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = meta_url
    port = _free_port()
    env = airflow_env(focus_home=tmp_path / "focus", airflow_home=home, port=port, base=base)
    server = None
    try:
        passwords = prepare(env)
        focus = get_engine(f"sqlite:///{tmp_path / 'focus' / 'focus.db'}")
        definitions, errors = validate_documents(EXTRA_JOBS)
        assert errors == []
        with focus.begin() as conn:
            upsert(conn, definitions, user="test")
        subprocess.run(["airflow", "dags", "reserialize"], env=env, check=True, capture_output=True)
        log = (tmp_path / "api-server.log").open("w")
        server = subprocess.Popen(
            ["airflow", "api-server"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        token = _wait_for_token(url, passwords["admin"], tmp_path / "api-server.log")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        _make_runs(api, url, meta_url, home / "logs")

        with focus.connect() as conn:
            maintenance = get_definition(conn, "daily-maintenance")
        history = AirflowRunHistory(
            url, "focus_maintenance", passwords["focus_maintenance"], home / "logs"
        )
        result = run_job(
            maintenance,
            engine=focus,
            timezone="America/New_York",
            file_store=tmp_path / "files",
            log=logging.getLogger("test"),
            run_id="maintenance-1",
            history=history,
        )

        for dag_id, run_id, _state, _days, stays in RUNS:
            response = api.get(f"{url}/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            assert response.status_code == (200 if stays else 404), (dag_id, run_id)
            tis = api.get(f"{url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
            assert (tis.status_code == 200) == stays
            assert _log_dir(home / "logs", dag_id, run_id).exists() == stays
        meta = sa.create_engine(meta_url)
        with meta.connect() as conn:
            xcoms = conn.execute(sa.text("SELECT dag_id, run_id FROM xcom ORDER BY 1, 2")).all()
        meta.dispose()
        assert sorted(xcoms) == sorted((d, r) for d, r, _s, _n, stays in RUNS if stays)
        assert result.success
        assert result.counts["runs_deleted"] == 4
        assert "weekly: keep 1 week; runs removed 2" in result.text
        assert "keeper: keep forever; runs removed 0" in result.text
        assert "address-corrections: keep 3 months; runs removed 1" in result.text
        assert "legacy-php-export: keep 30 days (default); runs removed 1" in result.text
    finally:
        if server is not None:
            os.killpg(os.getpgid(server.pid), signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(server.pid), signal.SIGKILL)
        _drop(pg_name)


def _wait_for_token(url: str, password: str, log: Path) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            r = requests.post(
                f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=5
            )
            if r.status_code in (200, 201):
                return r.json()["access_token"]
        except requests.RequestException:
            pass
        time.sleep(2)
    raise AssertionError(f"api-server did not start:\n{log.read_text()[-3000:]}")


def _log_dir(logs: Path, dag_id: str, run_id: str) -> Path:
    return logs / f"dag_id={dag_id}" / f"run_id={run_id}"


def _make_runs(api: requests.Session, url: str, meta_url: str, logs: Path) -> None:
    """Runs created through the API, then aged in the metadata database (test set-up only)."""
    for i, (dag_id, run_id, _state, _days, _stays) in enumerate(RUNS):
        logical = (NOW - dt.timedelta(days=500 - i)).isoformat()
        r = api.post(
            f"{url}/api/v2/dags/{dag_id}/dagRuns",
            json={"dag_run_id": run_id, "logical_date": logical},
        )
        assert r.status_code == 200, r.text
        folder = _log_dir(logs, dag_id, run_id) / "task_id=run_job"
        folder.mkdir(parents=True)
        (folder / "attempt=1.log").write_text("Corrected 0 of 0 address(es).\n")
    meta = sa.create_engine(meta_url)
    with meta.begin() as conn:
        for dag_id, run_id, state, days, _stays in RUNS:
            at = NOW - dt.timedelta(days=days)
            ended = None if state == "running" else at
            conn.execute(
                sa.text(
                    "UPDATE dag_run SET state = :state, start_date = :start, end_date = :end "
                    "WHERE dag_id = :dag AND run_id = :run"
                ),
                {
                    "state": state,
                    "start": at - dt.timedelta(minutes=5),
                    "end": ended,
                    "dag": dag_id,
                    "run": run_id,
                },
            )
            pk = conn.execute(
                sa.text("SELECT id FROM dag_run WHERE dag_id = :d AND run_id = :r"),
                {"d": dag_id, "r": run_id},
            ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, "
                    "value, timestamp) VALUES (:pk, 'run_job', -1, 'return_value', :d, :r, "
                    ":v, :t)"
                ),
                {"pk": pk, "d": dag_id, "r": run_id, "v": '{"success": true}', "t": at},
            )
    meta.dispose()
