"""The production profile with real processes: Postgres, two Celery workers on Redis, FAB roles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis
import requests
import sqlalchemy as sa

from include.cluster import Cluster, cluster_env, prepare_cluster
from job_library.schema import worker_checks
from tests.conftest import IN_CI, PG_ADMIN_URL
from tests.e2e.conftest import _free_port
from tests.rows import good_row, insert_rows

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REDIS = "redis://127.0.0.1:6379/11"


@pytest.fixture(scope="module", autouse=True)
def _redis_answers() -> None:
    """The Celery broker must be up: skipped with the reason without it, failed under CI."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        reason = f"no Redis answers at {REDIS}: {exc}"
        if IN_CI:
            pytest.fail(f"CI=true requires Redis: {reason}")
        pytest.skip(reason)


class Profile:
    def __init__(self, cluster: Cluster, url: str, passwords: dict[str, str], focus_db: str):
        self.cluster = cluster
        self.url = url
        self.passwords = passwords
        self.focus_db = focus_db
        self.tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self.tokens:
            r = requests.post(
                f"{self.url}/auth/token",
                json={"username": user, "password": self.passwords[user]},
                timeout=30,
            )
            assert r.status_code in (200, 201), r.text
            self.tokens[user] = r.json()["access_token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str = "admin", **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def wait_for(self, what: str, check, timeout: float = 300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(2)
        logs = self.cluster.logs
        tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in logs.glob("*.log"))
        raise AssertionError(f"timed out waiting for {what}\n{tails}")

    def task(self, dag_id: str, run_id: str) -> dict:
        return self.call(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run_job"
        ).json()

    def trigger(self, dag_id: str) -> str:
        r = self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
        assert r.status_code == 200, r.text
        return r.json()["dag_run_id"]

    def finished(self, dag_id: str, run_id: str) -> dict:
        def done():
            run = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()
            return run if run["state"] in ("success", "failed") else None

        return self.wait_for(f"{dag_id} {run_id} to finish", done)


def _worker_checks(focus_db: str, job_id: str) -> list[str]:
    engine = sa.create_engine(focus_db)
    with engine.connect() as conn:
        workers = conn.execute(
            sa.select(worker_checks.c.worker).where(worker_checks.c.job_id == job_id)
        ).scalars()
        found = sorted(workers)
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    home = tmp_path_factory.mktemp("cluster")
    tag = uuid.uuid4().hex[:8]
    server = PG_ADMIN_URL.rsplit("/", 1)[0]
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    base |= {
        # A worker that dies is noticed in 30 s and its job retried 5 s later.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "FOCUS_RETRY_DELAY_SECONDS": "5",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        # A queue of this run's own: a worker left over from an interrupted run cannot take
        # (and lose) its tasks.
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"focus_{tag}",
    }
    redis.Redis.from_url(REDIS).flushdb()
    env = cluster_env(
        focus_home=home,
        postgres=server,
        redis=REDIS,
        airflow_db=f"focus_airflow_{tag}",
        focus_db=f"focus_{tag}",
        port=port,
        base=base,
    )
    passwords = prepare_cluster(env)
    logs = home / "logs"
    logs.mkdir()
    cluster = Cluster(env, logs)
    cluster.start_all(workers=2, concurrency=2)
    profile = Profile(cluster, f"http://127.0.0.1:{port}", passwords, env["FOCUS_DB_URL"])
    try:

        def token():
            try:
                return profile.token("admin")
            except (requests.ConnectionError, AssertionError):
                return None

        profile.wait_for("the api-server to issue a token", token)
        yield profile
    finally:
        cluster.stop()
        redis.Redis.from_url(REDIS).flushdb()
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (f"focus_airflow_{tag}", f"focus_{tag}"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _add_jobs(profile: Profile, ids: list[str], hold_seconds: float) -> None:
    engine = sa.create_engine(profile.focus_db)
    insert_rows(
        engine,
        *[
            good_row(i, job_class="worker_check", params={"hold_seconds": hold_seconds})
            for i in ids
        ],
    )
    engine.dispose()
    for i in ids:
        profile.wait_for(
            f"the dag-processor to publish {i}",
            lambda i=i: profile.call("GET", f"/api/v2/dags/{i}").status_code == 200,
        )


def test_jobs_from_the_table_run_on_both_celery_workers(profile: Profile):
    # Six due jobs, four pool slots, two slots per worker: one worker cannot take them all.
    ids = [f"spread-{n}" for n in range(6)]
    _add_jobs(profile, ids, hold_seconds=8)
    runs = {i: profile.trigger(i) for i in ids}
    hosts = {}
    for dag_id, run_id in runs.items():
        run = profile.finished(dag_id, run_id)
        assert run["state"] == "success"
        hosts[dag_id] = profile.task(dag_id, run_id)["hostname"]
        assert _worker_checks(profile.focus_db, dag_id) == [hosts[dag_id]]
    assert set(hosts.values()) == {"w1", "w2"}


def test_a_job_whose_worker_dies_is_retried_on_the_other_and_applied_once(profile: Profile):
    _add_jobs(profile, ["failover"], hold_seconds=45)
    run_id = profile.trigger("failover")
    first = profile.wait_for(
        "the job to start on a worker",
        lambda: (
            (ti := profile.task("failover", run_id)).get("state") == "running"
            and ti.get("hostname")
            and ti
        ),
    )
    victim = first["hostname"]
    survivor = {"w1": "w2", "w2": "w1"}[victim]
    time.sleep(3)  # inside the job's open transaction (it holds it for 45 s)
    # The worker and everything under it (the task runs in its own process group) die at once.
    worker = psutil.Process(profile.cluster.processes[victim].pid)
    doomed = [worker, *worker.children(recursive=True)]
    for proc in doomed:
        proc.kill()
    psutil.wait_procs(doomed, timeout=10)
    run = profile.finished("failover", run_id)
    assert run["state"] == "success"
    last = profile.task("failover", run_id)
    assert last["try_number"] == 2 and last["hostname"] == survivor
    # The first try's row was rolled back with its transaction: one row, from the survivor.
    assert _worker_checks(profile.focus_db, "failover") == [survivor]


@pytest.mark.parametrize(
    ("user", "can_edit"), [("admin", True), ("op", True), ("user", True), ("viewer", False)]
)
def test_jobs_screen_permissions_hold_under_fab_roles(profile: Profile, user, can_edit):
    me = profile.call("GET", "/focus-jobs/api/me", user)
    assert me.json() == {"username": user, "can_edit": can_edit}
    assert profile.call("GET", "/focus-jobs/api/jobs", user).status_code == 200
    new = {
        "id": f"made-by-{user}",
        "title": f"Made by {user}",
        "class": "address_corrections",
        "run_time": "03:00",
    }
    created = profile.call("POST", "/focus-jobs/api/jobs", user, json=new)
    assert created.status_code == (201 if can_edit else 403), created.text
    ran = profile.call("POST", "/focus-jobs/api/jobs/address-corrections/run", user)
    assert (ran.status_code == 403) is (not can_edit)
    assert profile.call("GET", "/focus-jobs/api/jobs").status_code == 200
    anonymous = requests.get(f"{profile.url}/focus-jobs/api/jobs", timeout=30)
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("user", "is_admin"), [("admin", True), ("op", False), ("user", False), ("viewer", False)]
)
def test_only_the_fab_admin_changes_system_preferences(profile: Profile, user, is_admin):
    prefs = profile.call("GET", "/focus-jobs/api/prefs", user)
    assert prefs.status_code == 200 and prefs.json()["can_edit"] is is_admin
    changed = profile.call(
        "PUT", "/focus-jobs/api/prefs/email_unsuccessful_only", user, json={"value": "off"}
    )
    assert changed.status_code == (200 if is_admin else 403), changed.text


def test_the_login_page_is_fab(profile: Profile):
    page = requests.get(f"{profile.url}/auth/login/", timeout=30)
    assert page.status_code == 200 and "Sign In" in page.text
    assert "Username" in page.text and 'name="password"' in page.text


def test_make_run_cluster_runs_this_module():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "run-cluster: $(STAMP)\n\t$(BIN)/python -m include.cluster" in makefile


def test_run_cluster_starts_the_profile_prints_how_to_add_workers_and_stops(tmp_path):
    tag = uuid.uuid4().hex[:8]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env |= {
        "FOCUS_HOME": str(tmp_path / "home"),
        "FOCUS_CLUSTER_POSTGRES": PG_ADMIN_URL.rsplit("/", 1)[0],
        "FOCUS_CLUSTER_REDIS": "redis://127.0.0.1:6379/10",
        "FOCUS_CLUSTER_AIRFLOW_DB": f"rc_airflow_{tag}",
        "FOCUS_CLUSTER_FOCUS_DB": f"rc_focus_{tag}",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"focus_{tag}",
    }
    out = (tmp_path / "run-cluster.out").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "include.cluster"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and "--celery-hostname w3@%h" not in _read(out):
            assert proc.poll() is None, _read(out)[-3000:]
            time.sleep(2)
        printed = _read(out)
        assert f"Focus Scheduled Jobs, production profile: http://127.0.0.1:{port}" in printed
        assert "Celery workers w1, w2" in printed
        assert "export AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:6379/10" in printed
        assert "export AIRFLOW__API_AUTH__JWT_SECRET=" in printed
        names = {p.name() for p in psutil.Process(proc.pid).children(recursive=True)}
        assert names, "no Airflow processes started"
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=10)
            except requests.ConnectionError:
                time.sleep(2)
        assert health is not None and health.status_code == 200
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 6  # api-server, scheduler, dag-processor, triggerer, w1, w2
    finally:
        os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
        proc.wait(timeout=90)
        redis.Redis.from_url("redis://127.0.0.1:6379/10").flushdb()
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (f"rc_airflow_{tag}", f"rc_focus_{tag}"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert proc.returncode == 0


def _read(handle) -> str:
    handle.flush()
    handle.seek(0)
    return handle.read()
