"""A real Airflow (api-server, scheduler, dag-processor) runs jobs materialised from the table."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from include.local_airflow import airflow_env, prepare
from job_library.schema import job_output, student_addresses

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Airflow:
    """Handles on a running Airflow and its REST API v2."""

    def __init__(self, url: str, token: str, focus_db: str, logs: Path) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.focus_db = focus_db
        self.logs = logs

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.url}/api/v2{path}", timeout=30)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(f"{self.url}/api/v2{path}", json=body, timeout=30)

    def wait_for(self, what: str, check, timeout: float = 240) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(2)
        tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs.glob("*.log"))
        raise AssertionError(f"timed out waiting for {what}\n{tails}")

    def run_to_completion(self, dag_id: str) -> dict:
        created = self.post(f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": {}})
        assert created.status_code == 200, created.text
        run_id = created.json()["dag_run_id"]

        def finished():
            run = self.get(f"/dags/{dag_id}/dagRuns/{run_id}").json()
            return run if run["state"] in ("success", "failed") else None

        return self.wait_for(f"{dag_id} run {run_id} to finish", finished)

    def xcom(self, dag_id: str, run_id: str) -> dict:
        response = self.get(
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run_job/xcomEntries/return_value"
        )
        assert response.status_code == 200, response.text
        value = response.json()["value"]
        return json.loads(value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    home = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env = airflow_env(focus_home=home / "focus", port=port, parallelism=2, base=base)
    logs = home / "logs"
    logs.mkdir()
    passwords = prepare(env)
    procs = []
    for name in ("api-server", "scheduler", "dag-processor"):
        log = (logs / f"{name}.log").open("w")
        procs.append(
            subprocess.Popen(
                ["airflow", name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    url = f"http://127.0.0.1:{port}"
    focus_db = f"sqlite:///{home / 'focus' / 'focus.db'}"
    try:
        probe = Airflow(url, "", focus_db, logs)

        def token():
            try:
                r = requests.post(
                    f"{url}/auth/token",
                    timeout=5,
                    json={"username": "admin", "password": passwords["admin"]},
                )
            except requests.ConnectionError:
                return None
            return r.json()["access_token"] if r.status_code in (200, 201) else None

        yield Airflow(url, probe.wait_for("the api-server to issue a token", token), focus_db, logs)
    finally:
        for proc in procs:
            with_group = os.getpgid(proc.pid)
            os.killpg(with_group, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(proc.pid), signal.SIGKILL)


def test_materialised_job_runs_on_a_real_scheduler(airflow: Airflow):
    dag = airflow.wait_for(
        "the dag-processor to publish address-corrections",
        lambda: (r := airflow.get("/dags/address-corrections")).status_code == 200 and r.json(),
    )
    assert dag["timetable_summary"] == "02:00 within 01:00-05:00 mon-fri (America/New_York)"
    assert {t["name"] for t in dag["tags"]} >= {"kind:built-in", "module:SIS"}
    assert dag["max_active_runs"] == 1 and dag["is_paused"] is False

    run = airflow.run_to_completion("address-corrections")
    assert run["state"] == "success"
    output = airflow.xcom("address-corrections", run["dag_run_id"])
    # The demo addresses (include/cli.py): 3 of 4 need a correction, worked out by hand.
    assert output["success"] is True
    assert output["counts"] == {"checked": 4, "corrected": 3}
    engine = sa.create_engine(airflow.focus_db)
    with engine.connect() as conn:
        streets = (
            conn.execute(
                sa.select(student_addresses.c.address).order_by(student_addresses.c.address_id)
            )
            .scalars()
            .all()
        )
        stored = conn.execute(
            sa.select(job_output.c.run_id, job_output.c.success).where(
                job_output.c.job_id == "address-corrections"
            )
        ).all()
    engine.dispose()
    assert streets == ["123 N Main St", "45 S Ocean Blvd", "9 Court St W", "700 NW 3rd Ave"]
    assert stored == [(run["dag_run_id"], True)]
    log = airflow.get(
        f"/dags/address-corrections/dagRuns/{run['dag_run_id']}/taskInstances/run_job/logs/1"
    )
    assert log.status_code == 200 and "Corrected 3 of 4 address(es)." in log.text


def test_missing_class_job_fails_with_its_output(airflow: Airflow):
    airflow.wait_for(
        "the dag-processor to publish legacy-php-export",
        lambda: airflow.get("/dags/legacy-php-export").status_code == 200,
    )
    run = airflow.run_to_completion("legacy-php-export")
    assert run["state"] == "failed"
    output = airflow.xcom("legacy-php-export", run["dag_run_id"])
    assert output["success"] is False
    assert "'Legacy PHP Export' (legacy-php-export) could not be completed" in output["summary"]


def test_daily_maintenance_reaches_airflow_history_from_its_task(airflow: Airflow):
    airflow.wait_for(
        "the dag-processor to publish daily-maintenance",
        lambda: airflow.get("/dags/daily-maintenance").status_code == 200,
    )
    run = airflow.run_to_completion("daily-maintenance")
    assert run["state"] == "success"
    output = airflow.xcom("daily-maintenance", run["dag_run_id"])
    # Through the focus_airflow_api connection the task pruned Airflow's history: nothing is
    # old enough yet, and its own run (still running) is never touched.
    assert output["summary"].startswith("Removed 0 Airflow run(s)")
    assert output["counts"] == {"runs_deleted": 0, "outputs_deleted": 0}
    assert airflow.get(f"/dags/daily-maintenance/dagRuns/{run['dag_run_id']}").status_code == 200
