"""The production profile with real processes: Postgres, two Celery workers on Redis, FAB roles."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import signal
import socket
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

from include.cluster import Cluster, cluster_env, join_instructions, prepare_cluster
from include.config import PROJECT_ROOT
from job_library.schema import worker_checks
from tests.conftest import IN_CI, PG_ADMIN_URL
from tests.e2e.conftest import _free_port
from tests.rows import good_row, insert_rows

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REDIS = "redis://127.0.0.1:6379/11"
# Short, so the failure cases below fit the CI budget: a dead try is noticed after 30 s
# (checked every 5 s) and retried 5 s later. The profile's own figures are in include/cluster.py
# (FOCUS_TEST_PROFILE_FAILOVER=1 runs this module with them, to measure the README's figure).
PROFILE_FAILOVER = os.environ.get("FOCUS_TEST_PROFILE_FAILOVER") == "1"
HEARTBEAT_TIMEOUT = 30
RETRY_DELAY = 5


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
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
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
    if not PROFILE_FAILOVER:
        base |= {
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "FOCUS_RETRY_DELAY_SECONDS": str(RETRY_DELAY),
        }
    base |= {
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        # A queue of this run's own: a worker left over from an interrupted run cannot take
        # (and lose) its tasks.
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"focus_{tag}",
        # The browser logs in several users; FAB would soon refuse more logins per minute.
        "AIRFLOW__FAB__AUTH_RATE_LIMITED": "False",
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
    cluster = Cluster(env, logs, report=print)
    cluster.start_all(workers=2, concurrency=2)
    profile = Profile(cluster, f"http://127.0.0.1:{port}", passwords, env["FOCUS_DB_URL"])
    try:

        def token():
            try:
                return profile.token("admin")
            except (requests.RequestException, AssertionError):
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


def _still_running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _tries(profile: Profile, dag_id: str, run_id: str) -> list[dict]:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run_job/tries"
    return profile.call("GET", path).json()["task_instances"]


def _output(profile: Profile, dag_id: str, run_id: str) -> dict:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run_job/xcomEntries/return_value"
    value = profile.call("GET", path).json()["value"]
    return json.loads(value) if isinstance(value, str) else value


def _task_processes(worker_pid: int) -> list[psutil.Process]:
    """The task runner under a Celery worker (one job runs at a time in these cases) and its
    supervisor, the Celery pool process that sends the task's heartbeats."""
    for proc in psutil.Process(worker_pid).children(recursive=True):
        try:
            if " ".join(proc.cmdline()).startswith("airflow worker -- "):
                return [proc.parent(), proc]
        except psutil.Error:
            continue
    return []


@pytest.mark.parametrize("how", ["worker-main-killed", "worker-tree-killed", "task-frozen"])
def test_a_job_is_applied_once_whatever_happens_to_its_worker(profile: Profile, how: str):
    """Exactly one worker_checks row for the DAG run, and one successful try in Airflow.

    worker-main-killed: the task process is orphaned and commits on its own; the retry finds
    the run applied. worker-tree-killed: the task dies with its transaction; the retry
    applies the run on the other worker. task-frozen: the task's processes are stopped past
    the heartbeat timeout while holding the run; the retry waits for them, they continue,
    and whichever commits first is the only one applied.
    """
    job_id = f"once-{how}"
    _add_jobs(profile, [job_id], hold_seconds=40)
    run_id = profile.trigger(job_id)
    first = profile.wait_for(
        "the job to start on a worker",
        lambda: (
            (ti := profile.task(job_id, run_id)).get("state") == "running"
            and ti.get("hostname")
            and ti
        ),
    )
    victim = first["hostname"]
    survivor = {"w1": "w2", "w2": "w1"}[victim]
    worker = psutil.Process(profile.cluster.pid(victim))
    tasks = profile.wait_for("the task processes", lambda: _task_processes(worker.pid))
    time.sleep(3)  # inside the job's open transaction (it holds it for 40 s)
    now = profile.task(job_id, run_id)
    assert (now["state"], now["try_number"]) == ("running", 1), now
    began = time.monotonic()
    began_at = dt.datetime.now(dt.UTC)
    if how == "worker-main-killed":
        worker.kill()
    elif how == "worker-tree-killed":
        doomed = [worker, *worker.children(recursive=True)]
        for proc in doomed:
            proc.kill()
        psutil.wait_procs(doomed, timeout=10)
    else:
        for proc in tasks:
            proc.suspend()
        # Past the heartbeat timeout: the scheduler gives the run to another try, which
        # waits for the frozen one's hold on the run.
        profile.wait_for(
            "a second try to start",
            lambda: (
                profile.task(job_id, run_id).get("try_number") == 2
                and profile.task(job_id, run_id).get("state") == "running"
            ),
        )
        time.sleep(5)
        for proc in tasks:
            proc.resume()
    run = profile.finished(job_id, run_id)
    failover = time.monotonic() - began
    restarted = dt.datetime.fromisoformat(profile.task(job_id, run_id)["start_date"])
    print(
        f"{how}: the last try started {(restarted - began_at).total_seconds():.0f} s and the "
        f"run finished {failover:.0f} s after the failure"
    )
    try:
        assert run["state"] == "success"
        rows = _worker_checks(profile.focus_db, job_id)
        assert len(rows) == 1, rows
        tries = _tries(profile, job_id, run_id)
        assert [t["state"] for t in tries].count("success") == 1, tries
        last = profile.task(job_id, run_id)
        output = _output(profile, job_id, run_id)
        if how == "worker-tree-killed":
            # Rolled back with the dead task: the survivor applied the run.
            assert rows == [survivor] and last["try_number"] == 2
            assert output["summary"] == f"Ran on worker {survivor}."
            if not PROFILE_FAILOVER:
                assert failover < HEARTBEAT_TIMEOUT + RETRY_DELAY + 60
        elif rows == [victim] and last["try_number"] == 2:
            # The first try committed; the second found the run applied and said so.
            assert output["summary"] == f"Already applied by try 1: Ran on worker {victim}."
        else:
            assert (rows, last["try_number"]) in (([survivor], 2), ([victim], 1)), (rows, last)
    finally:
        profile.cluster.supervisor.restart(victim)


def test_viewer_and_user_may_read_the_plugins_list(profile: Profile):
    for user in ("viewer", "user", "op", "admin"):
        answer = profile.call("GET", "/api/v2/plugins", user)
        assert answer.status_code == 200, (user, answer.text)
        names = {v["name"] for p in answer.json()["plugins"] for v in p["react_apps"]}
        assert {"Scheduled Jobs", "Job output"} <= names


@pytest.mark.parametrize("user", ["viewer", "user"])
def test_the_nav_entry_and_job_output_show_in_airflow_for(profile: Profile, user: str):
    from tests.e2e.test_browser import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        reason = "Debian chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{profile.url}/auth/login/")
            page.get_by_label("Username").fill(user)
            page.get_by_label("Password").fill(profile.passwords[user])
            page.get_by_role("button", name="Sign In").click()
            page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
            page.goto(f"{profile.url}/")
            # The page asks Airflow's plugin list for its entries: 403 there shows none.
            nav = page.locator('a[href$="/plugin/scheduled-jobs"]')
            nav.first.wait_for(timeout=60_000)
            assert nav.first.text_content() == "Scheduled Jobs"
            run_id = profile.trigger("address-corrections")  # as admin: Viewer may not
            page.goto(f"{profile.url}/dags/address-corrections/runs/{run_id}")
            tab = page.locator('a[href*="job-output"]')
            tab.first.wait_for(timeout=60_000)
            assert "Job output" in (tab.first.text_content() or "")
        finally:
            browser.close()


def test_a_worker_joining_from_the_printed_recipe_takes_tasks_and_serves_its_logs(
    profile: Profile, tmp_path: Path
):
    recipe = join_instructions(profile.cluster.env)
    exports = {}
    for line in recipe.splitlines():
        if line.strip().startswith("export "):
            for pair in shlex.split(line.strip()[len("export ") :]):
                key, _, value = pair.partition("=")
                exports[key] = value.replace("$PWD", str(PROJECT_ROOT))
    assert {"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__BASE_URL", "FOCUS_DB_URL"} <= set(exports)
    assert "AIRFLOW_CONN_FOCUS_AIRFLOW_API" in exports
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env = (
        base
        | exports
        | {
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "FOCUS_HOME": str(tmp_path / "focus"),
            "PATH": profile.cluster.env["PATH"],
        }
    )
    # A CLI shell there sees the same jobs and the same Airflow.
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "focus-jobs"), "list"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0 and "address-corrections" in listed.stdout, listed.stderr
    dags = subprocess.run(
        ["airflow", "dags", "list", "-o", "plain"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dags.returncode == 0 and "address-corrections" in dags.stdout, dags.stderr[-2000:]
    # Only the joined worker may take the job: the profile's own two stop meanwhile (and
    # free the log server port it is given).
    for name in ("w1", "w2"):
        profile.cluster.supervisor.stop_one(name)
    log = (tmp_path / "w3.log").open("w")
    joined = subprocess.Popen(
        ["airflow", "celery", "worker", "--celery-hostname", "w3@%h", "--concurrency", "1"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _add_jobs(profile, ["joined"], hold_seconds=0)
        run_id = profile.trigger("joined")
        run = profile.finished("joined", run_id)
        assert run["state"] == "success", (tmp_path / "w3.log").read_text()[-3000:]
        ti = profile.task("joined", run_id)
        here = socket.getfqdn()
        assert ti["hostname"] == here
        assert _worker_checks(profile.focus_db, "joined") == [here]
        # Its log lives in its own AIRFLOW_HOME; the api-server fetches it from its log server.
        assert list((tmp_path / "airflow" / "logs").rglob("*.log"))
        own = Path(profile.cluster.env["AIRFLOW_HOME"]) / "logs" / "dag_id=joined"
        assert not own.exists()
        logs = profile.call(
            "GET",
            f"/api/v2/dags/joined/dagRuns/{run_id}/taskInstances/run_job/logs/1",
            headers={"Accept": "application/json"},
        )
        assert logs.status_code == 200 and f"Ran on worker {here}." in logs.text, logs.text[-2000:]
    finally:
        os.killpg(joined.pid, signal.SIGTERM)
        try:
            joined.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(joined.pid, signal.SIGKILL)
        for name in ("w1", "w2"):
            profile.cluster.supervisor.restart(name)


def test_the_login_page_is_fab(profile: Profile):
    page = requests.get(f"{profile.url}/auth/login/", timeout=30)
    assert page.status_code == 200 and "Sign In" in page.text
    assert "Username" in page.text and 'name="password"' in page.text


def test_make_run_cluster_runs_this_module():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "run-cluster: $(STAMP)\n\t$(BIN)/python -m include.cluster" in makefile


def test_run_cluster_keeps_going_when_a_worker_dies_and_its_logins_work_on_a_new_database(
    tmp_path,
):
    tag = uuid.uuid4().hex[:8]
    port = _free_port()
    log_port = _free_port()
    home = tmp_path / "home"
    # A passwords file from an earlier database, and the record of users the profile used to
    # keep beside it: against this new database the users must still be created.
    known = {u: f"pw-{u}-{tag}" for u in ("admin", "op", "user", "viewer", "focus_maintenance")}
    (home / "airflow").mkdir(parents=True)
    (home / "airflow" / "passwords.json").write_text(json.dumps(known))
    (home / "airflow" / "fab-users-created.json").write_text(json.dumps(sorted(known)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env |= {
        "FOCUS_HOME": str(home),
        "FOCUS_CLUSTER_POSTGRES": PG_ADMIN_URL.rsplit("/", 1)[0],
        "FOCUS_CLUSTER_REDIS": "redis://127.0.0.1:6379/10",
        "FOCUS_CLUSTER_AIRFLOW_DB": f"rc_airflow_{tag}",
        "FOCUS_CLUSTER_FOCUS_DB": f"rc_focus_{tag}",
        "FOCUS_DEMO_STUDENTS": "0",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
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
    logs = home / "logs"
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
        assert (
            "export AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT=90000" in printed
        )
        assert (
            f"log in as admin / {known['admin']}  (viewer / {known['viewer']}: Viewer)" in printed
        )
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=10)
            except requests.RequestException:
                time.sleep(2)
        assert health is not None and health.status_code == 200
        # The printed logins work against the new database.
        for user in ("admin", "viewer"):
            token = requests.post(
                f"http://127.0.0.1:{port}/auth/token",
                json={"username": user, "password": known[user]},
                timeout=30,
            )
            assert token.status_code in (200, 201), (user, token.text)
        children = {p.pid: p for p in psutil.Process(proc.pid).children()}
        assert len(children) == 6  # api-server, scheduler, dag-processor, triggerer, w1, w2
        by_name = {" ".join(p.cmdline()): p for p in children.values()}
        w1 = next(p for cmd, p in by_name.items() if "--celery-hostname w1@" in cmd)
        others = {p.pid for p in children.values() if p.pid != w1.pid}
        log_server = _wait_until(lambda: _listener(log_port), 120, "w1's log server")
        left_behind = w1.children(recursive=True)
        assert left_behind
        w1.kill()  # only its main process: its log server and pool are left running
        message = re.compile(
            r"w1 exited with -9; killed (\d+) process\(es\) it left behind; restarting it in 2 s; "
            + re.escape(f"see {logs / 'w1.log'}")
        )
        _wait_until(lambda: message.search(_read(out)), 60, f"the message in {_read(out)}")
        # Every process the dead worker left behind is gone: the supervisor killed those still
        # running (Celery's pool children may also notice their parent's death and exit first,
        # so the count in the message varies; what matters is that none is left).
        _, alive = psutil.wait_procs(left_behind, timeout=30)
        assert [p for p in alive if _still_running(p)] == []
        assert not psutil.pid_exists(log_server) or psutil.Process(log_server).status() == "zombie"
        new_w1 = _wait_until(
            lambda: next(
                (
                    p
                    for p in psutil.Process(proc.pid).children()
                    if p.pid not in others and p.pid != w1.pid
                ),
                None,
            ),
            60,
            "w1 to start again",
        )
        assert "--celery-hostname w1@" in " ".join(new_w1.cmdline())
        # The others never stopped; the new w1 serves logs on the port the old one held.
        assert {p.pid for p in psutil.Process(proc.pid).children()} == others | {new_w1.pid}
        _wait_until(lambda: _listener(log_port), 120, "the new w1's log server")
        assert (logs / "w1.log").read_text().count("===== w1 started at ") == 2
    finally:
        os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
        proc.wait(timeout=90)
        redis.Redis.from_url("redis://127.0.0.1:6379/10").flushdb()
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (f"rc_airflow_{tag}", f"rc_focus_{tag}"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert proc.returncode == 0, _read(out)[-3000:]


def _listener(port: int) -> int | None:
    """The process listening on ``port`` on this machine, if any."""
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


def _wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _read(handle) -> str:
    handle.flush()
    handle.seek(0)
    return handle.read()
