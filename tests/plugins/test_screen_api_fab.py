"""The screen's roles under the FAB auth manager: Viewer reads, User and above change and run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from include.cluster import FAB_AUTH_MANAGER
from include.config import PROJECT_ROOT
from include.local_airflow import airflow_env, prepare
from tests.e2e.conftest import _free_port
from tests.e2e.test_history_retention import _wait_for_token
from tests.plugins.test_jobs_api import Api

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROLES = {"admin": "Admin", "op": "Op", "user": "User", "viewer": "Viewer"}


@pytest.fixture(scope="module")
def fab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("jobs-api-fab")
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env = airflow_env(focus_home=home / "focus", port=port, base=base)
    env["AIRFLOW__CORE__AUTH_MANAGER"] = FAB_AUTH_MANAGER
    prepare(env)
    passwords = {name: f"{name}-Fab-pw-9" for name in ROLES}
    subprocess.run(
        [sys.executable, "-m", "include.fab_users"],
        input=json.dumps({name: (passwords[name], role) for name, role in ROLES.items()}),
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(["airflow", "dags", "reserialize"], env=env, check=True, capture_output=True)
    log_path = home / "api-server.log"
    proc = subprocess.Popen(
        ["airflow", "api-server"],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        tokens = {"admin": _wait_for_token(url, passwords["admin"], log_path)}
        for name in ("op", "user", "viewer"):
            answer = requests.post(
                f"{url}/auth/token",
                json={"username": name, "password": passwords[name]},
                timeout=30,
            )
            assert answer.status_code in (200, 201), answer.text
            tokens[name] = answer.json()["access_token"]
        yield {"url": url, "tokens": tokens}
    finally:
        os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(proc.pid), signal.SIGKILL)


def _api(fab: dict, role: str | None) -> Api:
    return Api(f"{fab['url']}/focus-jobs", fab["tokens"][role] if role else None)


@pytest.mark.parametrize(
    ("role", "can_edit"), [("admin", True), ("op", True), ("user", True), ("viewer", False)]
)
def test_each_fab_role_reads_and_only_user_and_above_change_and_run(fab, role, can_edit):
    api = _api(fab, role)
    assert api.get("/api/me").json() == {"username": role, "can_edit": can_edit}
    for path in (
        "/api/jobs",
        "/api/history",
        "/api/lookups",
        "/api/lookups/schools",
        "/api/catalog",
        "/api/history?job=address-corrections",
    ):
        assert api.get(path).status_code == 200, (role, path)
    jobs = api.get("/api/jobs", params=[("filter", "id:equals:address-corrections")]).json()
    assert jobs["jobs"][0]["can_run"] is can_edit
    ran = api.post("/api/jobs/address-corrections/run")
    assert ran.status_code == (200 if can_edit else 403), ran.text
    assert isinstance(ran.json()["detail" if not can_edit else "dag_run_id"], str)
    saved = api.put(
        "/api/jobs/address-corrections",
        json=api.get("/api/jobs/address-corrections").json()["job"],
    )
    assert saved.status_code == (200 if can_edit else 403)
    plugins = requests.get(
        f"{fab['url']}/api/v2/plugins",
        headers={"Authorization": f"Bearer {fab['tokens'][role]}"},
        timeout=30,
    )
    assert plugins.status_code == 200
    apps = {a["url_route"] for p in plugins.json()["plugins"] for a in p["react_apps"]}
    assert {"scheduled-jobs", "job-output", "task-job-output"} <= apps


def test_without_a_fab_login_the_api_answers_401(fab):
    anonymous = _api(fab, None)
    for path in ("/api/jobs", "/api/history", "/api/lookups/users", "/api/me"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("/api/jobs/address-corrections/run").status_code == 401
    # The icons are no data: Airflow's page shows them before anything else.
    icon = requests.get(f"{fab['url']}/focus-jobs/icons/jobs-dark.svg", timeout=30)
    assert icon.status_code == 200
