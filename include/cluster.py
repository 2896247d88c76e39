"""The production profile on one machine: Postgres, Celery workers on Redis, FAB roles."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from include.config import PROJECT_ROOT
from include.local_airflow import airflow_env, prepare

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# Focus's roles are Airflow's FAB roles; focus_maintenance prunes run history (User may).
ROLES = {
    "admin": "Admin",
    "op": "Op",
    "user": "User",
    "viewer": "Viewer",
    "focus_maintenance": "User",
}
# What a worker on another machine needs to join (with the project installed there).
WORKER_VARIABLES = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__HOSTNAME_CALLABLE",
    "FOCUS_DB_URL",
)


def _secrets(path: Path) -> dict[str, str]:
    """Secrets every process must share (JWT, session key), generated once and kept."""
    found = json.loads(path.read_text()) if path.exists() else {}
    if not {"jwt_secret", "secret_key"} <= set(found):
        found = {"jwt_secret": secrets.token_urlsafe(32), "secret_key": secrets.token_urlsafe(32)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found) + "\n")
        path.chmod(0o600)
    return found


def cluster_env(
    *,
    focus_home: Path,
    postgres: str = "postgresql+psycopg2://postgres@127.0.0.1:5432",
    redis: str = "redis://127.0.0.1:6379/0",
    airflow_db: str = "focus_airflow",
    focus_db: str = "focus",
    port: int = 8080,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment of every process of the production profile.

    Variables already in ``base`` win, as in the embedded default; the profile is nothing
    but these variables (README: "Production profile").

    :param postgres: SQLAlchemy URL of the Postgres server, without a database.
    :param redis: the Celery broker.
    :param airflow_db: database of Airflow's metadata (and Celery's results).
    :param focus_db: the Focus database.
    """
    env = dict(os.environ if base is None else base)
    keys = _secrets(focus_home / "cluster-secrets.json")
    server = postgres.rstrip("/")
    result_backend = "db+" + server.replace("+psycopg2", "", 1) + f"/{airflow_db}"
    profile = {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{server}/{airflow_db}",
        "AIRFLOW__CELERY__BROKER_URL": redis,
        "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.worker_identity.hostname",
        "FOCUS_DB_URL": f"{server}/{focus_db}",
    }
    for key, value in profile.items():
        env.setdefault(key, value)
    return airflow_env(focus_home=focus_home, port=port, base=env)


def create_databases(env: dict[str, str]) -> None:
    """Create the Postgres databases the profile names, when they do not exist yet."""
    import sqlalchemy as sa

    urls = [env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env["FOCUS_DB_URL"]]
    for url in urls:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() != "postgresql":
            continue
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()


def prepare_cluster(env: dict[str, str]) -> dict[str, str]:
    """Databases, migrations, settings and demo jobs, then the FAB users; returns the logins."""
    create_databases(env)
    passwords = prepare(env)
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    # `airflow users create` costs an Airflow start-up each: only users not made before.
    made_file = Path(env["AIRFLOW_HOME"]) / "fab-users-created.json"
    made = set(json.loads(made_file.read_text())) if made_file.exists() else set()
    for user, role in ROLES.items():
        if user in made:
            continue
        create = [airflow, "users", "create", "--username", user, "--role", role]
        # --password=…: a generated password may start with "-".
        create += [f"--password={passwords[user]}", "--firstname", user, "--lastname", "Focus"]
        create += ["--email", f"{user}@focus.invalid"]
        subprocess.run(create, env=env, check=True, stdout=subprocess.DEVNULL)
        made.add(user)
        made_file.write_text(json.dumps(sorted(made)))
    return passwords


@dataclass
class Cluster:
    """The processes of the profile on this machine."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> None:
        airflow = shutil.which("airflow", path=self.env["PATH"]) or "airflow"
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            [airflow, *args],
            env={**self.env, **(extra or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, name: str, concurrency: int, serve_logs: bool) -> None:
        args = ["celery", "worker", "--celery-hostname", f"{name}@%h"]
        args += ["--concurrency", str(concurrency)]
        if not serve_logs:  # one log server per machine: the others would fight for its port
            args.append("--skip-serve-logs")
        self.start(name, args, {"FOCUS_WORKER_NAME": name})

    def start_all(self, workers: int = 2, concurrency: int = 4) -> None:
        for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
            self.start(name, [name])
        for i in range(1, workers + 1):
            self.start_worker(f"w{i}", concurrency, serve_logs=i == 1)

    def stop(self, timeout: float = 30) -> None:
        for proc in self.processes.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(proc.pid), sig)


def join_instructions(env: dict[str, str]) -> str:
    """How to add a Celery worker on another machine."""
    exports = "\n".join(f"  export {k}={shlex.quote(env[k])}" for k in WORKER_VARIABLES)
    return (
        "Add a worker on another machine (this project installed there with `make install`, "
        "the same dags/, plugins/ and include/): replace 127.0.0.1 below with this machine's "
        "address, then\n"
        f"{exports}\n"
        "  .venv/bin/airflow celery worker --celery-hostname w3@%h --concurrency 4\n"
        "(FOCUS_WORKER_NAME is only needed for several workers on one machine.)"
    )


def main() -> int:
    focus_home = Path(os.environ.get("FOCUS_HOME") or PROJECT_ROOT / ".local-cluster")
    env = cluster_env(
        focus_home=focus_home,
        postgres=os.environ.get(
            "FOCUS_CLUSTER_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432"
        ),
        redis=os.environ.get("FOCUS_CLUSTER_REDIS", "redis://127.0.0.1:6379/0"),
        airflow_db=os.environ.get("FOCUS_CLUSTER_AIRFLOW_DB", "focus_airflow"),
        focus_db=os.environ.get("FOCUS_CLUSTER_FOCUS_DB", "focus"),
        port=int(os.environ.get("AIRFLOW__API__PORT") or 8080),
    )
    passwords = prepare_cluster(env)
    logs = focus_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(env, logs)
    cluster.start_all(workers=int(os.environ.get("FOCUS_CLUSTER_WORKERS") or 2))
    url = env["AIRFLOW__API__BASE_URL"]
    print(f"\nFocus Scheduled Jobs, production profile: {url}", flush=True)
    print(
        "  api-server, scheduler, dag-processor, triggerer, Celery workers "
        f"{', '.join(n for n in cluster.processes if n.startswith('w'))}; logs in {logs}"
    )
    print(f"  log in as admin / {passwords['admin']}  (viewer / {passwords['viewer']}: Viewer)")
    print(f"\n{join_instructions(env)}\n", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            for name, proc in cluster.processes.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {logs / name}.log")
                    stopping.append(True)
            time.sleep(2)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
