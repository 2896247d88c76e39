"""One real Airflow (api-server, scheduler, dag-processor, triggerer) and an SFTP drop for the
end-to-end tests."""

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

from include.local_airflow import airflow_env, prepare
from tests.openssh_server import OpenSshServer, unavailable_reason


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Airflow:
    """Handles on a running Airflow and its REST API v2."""

    def __init__(
        self,
        url: str,
        token: str,
        focus_db: str,
        logs: Path,
        passwords: dict[str, str],
        sftp: OpenSshServer | None = None,
    ) -> None:
        self.url = url
        self.sftp = sftp
        self.passwords = passwords
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.focus_db = focus_db
        self.logs = logs

    def _send(self, method: str, path: str, **kwargs: object) -> requests.Response:
        # The embedded default keeps Airflow's metadata in SQLite, which has one writer: on a
        # loaded machine a lock wait can run out and the API answers 500 "Database error" (its
        # transaction rolled back); the same call succeeds a moment later.
        for _ in range(3):
            response = self.session.request(
                method, f"{self.url}/api/v2{path}", timeout=30, **kwargs
            )
            if response.status_code != 500 or "Database error" not in response.text:
                return response
            time.sleep(2)
        return response

    def get(self, path: str) -> requests.Response:
        return self._send("GET", path)

    def post(self, path: str, body: dict) -> requests.Response:
        return self._send("POST", path, json=body)

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


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    home = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env = airflow_env(focus_home=home / "focus", port=port, parallelism=2, base=base)
    logs = home / "logs"
    logs.mkdir()
    # A district's SFTP drop for the file jobs, which the triggerer watches: OpenSSH's sshd
    # where it can run (the file sensing test skips without it; the others do not need it).
    sftp = OpenSshServer().start() if unavailable_reason() is None else None
    if sftp is not None:
        env["AIRFLOW_CONN_DISTRICT_SFTP"] = json.dumps(sftp.airflow_connection())
    env["FOCUS_FILE_POKE_SECONDS"] = "2"
    env["FOCUS_FILE_SETTLE_SECONDS"] = "1"
    # The jobs here expect only the demo jobs' addresses (include/cli.py), no district.
    env["FOCUS_DEMO_STUDENTS"] = "0"
    passwords = prepare(env)
    procs = []
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
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
        probe = Airflow(url, "", focus_db, logs, passwords)

        def token():
            try:
                r = requests.post(
                    f"{url}/auth/token",
                    timeout=5,
                    json={"username": "admin", "password": passwords["admin"]},
                )
            except requests.RequestException:  # not listening yet, or still starting up
                return None
            return r.json()["access_token"] if r.status_code in (200, 201) else None

        token_value = probe.wait_for("the api-server to issue a token", token)
        yield Airflow(url, token_value, focus_db, logs, passwords, sftp)
    finally:
        for proc in procs:
            with_group = os.getpgid(proc.pid)
            os.killpg(with_group, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        if sftp is not None:
            sftp.stop()
