"""The production profile on one machine: Postgres, Celery workers on Redis, FAB roles."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from include.config import PROJECT_ROOT
from include.local_airflow import airflow_env, prepare
from include.process_supervisor import GaveUp, ProcessSpec, Supervisor

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# Focus's roles are Airflow's FAB roles; focus_maintenance prunes run history (User may).
ROLES = {
    "admin": "Admin",
    "op": "Op",
    "user": "User",
    "viewer": "Viewer",
    "focus_maintenance": "User",
}
# Failover: a worker that dies is noticed after the heartbeat timeout (checked every
# detection interval) and its job retried after the retry delay; README "Production profile".
HEARTBEAT_TIMEOUT_SECONDS = 90
HEARTBEAT_DETECTION_SECONDS = 10
RETRY_DELAY_SECONDS = 30
# Celery on Redis hands a task that is not acknowledged within this time to another worker;
# Airflow acknowledges late (when the task ends), so it must outlast the longest job. A job's
# timeframe lies within one day, so one day and an hour.
VISIBILITY_TIMEOUT_SECONDS = 25 * 3600
# What a worker on another machine, or a shell running `airflow` and `focus-jobs` there,
# needs: the same metadata database, broker, secrets, api-server and Focus database.
JOIN_VARIABLES = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__AUTH_MANAGER",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__HOSTNAME_CALLABLE",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT",
    "FOCUS_DB_URL",
    "FOCUS_RETRY_DELAY_SECONDS",
    "AIRFLOW_CONN_FOCUS_AIRFLOW_API",
)
# Passed on only when the profile sets them (a queue or log port other than Airflow's own).
OPTIONAL_JOIN_VARIABLES = (
    "AIRFLOW__OPERATORS__DEFAULT_QUEUE",
    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
)
_LOOPBACK = ("127.0.0.1", "localhost")


def _existing_fernet_key(airflow_home: Path) -> str | None:
    """The key an earlier start let Airflow write into airflow.cfg (its connections use it)."""
    import configparser

    cfg = airflow_home / "airflow.cfg"
    if not cfg.exists():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(cfg)
    return parser.get("core", "fernet_key", fallback=None) or None


def _secrets(path: Path, airflow_home: Path) -> dict[str, str]:
    """Secrets every process must share (JWT, session and Fernet keys), generated once."""
    found = json.loads(path.read_text()) if path.exists() else {}
    wanted = {
        "jwt_secret": lambda: secrets.token_urlsafe(32),
        "secret_key": lambda: secrets.token_urlsafe(32),
        "fernet_key": lambda: _existing_fernet_key(airflow_home) or _new_fernet_key(),
    }
    missing = {k: make() for k, make in wanted.items() if k not in found}
    if missing:
        found |= missing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found) + "\n")
        path.chmod(0o600)
    return found


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def advertised_address(listen: str) -> str:
    """The address other machines reach this one by: the listen address, or for a wildcard
    (0.0.0.0, ::) this machine's name."""
    return socket.getfqdn() if listen in ("0.0.0.0", "::", "") else listen


def cluster_env(
    *,
    focus_home: Path,
    postgres: str = "postgresql+psycopg2://postgres@127.0.0.1:5432",
    redis: str = "redis://127.0.0.1:6379/0",
    airflow_db: str = "focus_airflow",
    focus_db: str = "focus",
    port: int = 8080,
    listen: str = "127.0.0.1",
    address: str | None = None,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment of every process of the production profile.

    Variables already in ``base`` win, as in the embedded default; the profile is nothing
    but these variables (README: "Production profile").

    :param postgres: SQLAlchemy URL of the Postgres server, without a database.
    :param redis: the Celery broker.
    :param airflow_db: database of Airflow's metadata (and Celery's results).
    :param focus_db: the Focus database.
    :param listen: the api-server's listen address (``0.0.0.0`` for other machines).
    :param address: how other machines reach this one (default: ``advertised_address``).
    """
    env = dict(os.environ if base is None else base)
    airflow_home = Path(env.get("AIRFLOW_HOME") or focus_home / "airflow")
    keys = _secrets(focus_home / "cluster-secrets.json", airflow_home)
    host = address or advertised_address(listen)
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
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.worker_identity.hostname",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": str(
            VISIBILITY_TIMEOUT_SECONDS
        ),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_SECONDS),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": str(
            HEARTBEAT_DETECTION_SECONDS
        ),
        "FOCUS_RETRY_DELAY_SECONDS": str(RETRY_DELAY_SECONDS),
        "AIRFLOW__API__HOST": listen,
        "AIRFLOW__API__BASE_URL": f"http://{host}:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{host}:{port}/execution/",
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
    """Databases, migrations, settings and demo jobs, then the FAB users; returns the logins.

    Which users exist is read from the metadata database (include/fab_users.py): a new
    database gets every user, and a user whose password differs from the passwords file is
    given the file's password, so the printed logins work.
    """
    create_databases(env)
    passwords = prepare(env)
    users = {user: (passwords[user], role) for user, role in ROLES.items()}
    subprocess.run(
        [sys.executable, "-m", "include.fab_users"],
        input=json.dumps(users),
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
    )
    return passwords


class Cluster:
    """The processes of the profile on this machine, each kept up by a ``Supervisor``."""

    def __init__(
        self, env: dict[str, str], logs: Path, report: Callable[[str], None] = print
    ) -> None:
        self.env = env
        self.logs = logs
        self.supervisor = Supervisor(report)

    @property
    def names(self) -> list[str]:
        return list(self.supervisor.running)

    def pid(self, name: str) -> int | None:
        """The process id of ``name``'s main process while it runs."""
        return self.supervisor.pid(name)

    def start(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> None:
        airflow = shutil.which("airflow", path=self.env["PATH"]) or "airflow"
        self.supervisor.add(
            ProcessSpec(
                name=name,
                argv=(airflow, *args),
                env={**self.env, **(extra or {})},
                log=self.logs / f"{name}.log",
            )
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

    def watch(self, stopping: Callable[[], bool], interval: float = 2.0) -> None:
        """Keep every process up until ``stopping()``; raises ``GaveUp`` when it cannot."""
        while not stopping():
            self.supervisor.poll()
            time.sleep(interval)

    def stop(self, timeout: float = 30) -> None:
        self.supervisor.stop(timeout)


def join_instructions(env: dict[str, str]) -> str:
    """How to add a Celery worker, or open a shell for `airflow` and `focus-jobs`, elsewhere."""
    address = sa_url_host(env["AIRFLOW__API__BASE_URL"])
    names = [*JOIN_VARIABLES, *(k for k in OPTIONAL_JOIN_VARIABLES if env.get(k))]
    lines = [f"  export {k}={shlex.quote(_reachable(env[k], address))}" for k in names]
    # Paths of the checkout there: run the exports in its folder.
    lines += [
        '  export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"',
        '  export AIRFLOW__CORE__PLUGINS_FOLDER="$PWD/plugins"',
        '  export AIRFLOW_HOME="$PWD/.local-worker/airflow" FOCUS_HOME="$PWD/.local-worker"',
    ]
    exports = "\n".join(lines)
    return (
        "Join from another machine (this project checked out there, `make install` run, "
        f"Postgres and Redis reachable from it at {address}, and the api-server listening on "
        "an address it reaches: FOCUS_CLUSTER_HOST=0.0.0.0). In the checkout:\n"
        f"{exports}\n"
        "then a worker (its log server, port 8793 unless set above, serves the api-server):\n"
        "  .venv/bin/airflow celery worker --celery-hostname w3@%h --concurrency 4\n"
        "or a CLI shell: .venv/bin/focus-jobs list; .venv/bin/airflow dags list\n"
        "(FOCUS_WORKER_NAME is only for several workers on one machine: the api-server "
        "fetches a task's log from the host name the task recorded.)"
    )


def sa_url_host(url: str) -> str:
    """The host of a URL (``http://host:port/...``)."""
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "127.0.0.1"


def _reachable(value: str, address: str) -> str:
    """``value`` with this machine's loopback names replaced by the address others use."""
    for loopback in _LOOPBACK:
        value = (
            value.replace(f"@{loopback}:", f"@{address}:")
            .replace(f"//{loopback}:", f"//{address}:")
            .replace(f'"host": "{loopback}"', f'"host": "{address}"')
        )
    return value


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
        listen=os.environ.get("FOCUS_CLUSTER_HOST") or "127.0.0.1",
        address=os.environ.get("FOCUS_CLUSTER_ADDRESS") or None,
    )
    passwords = prepare_cluster(env)
    logs = focus_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(env, logs, report=lambda line: print(line, flush=True))
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        cluster.start_all(workers=int(os.environ.get("FOCUS_CLUSTER_WORKERS") or 2))
        url = env["AIRFLOW__API__BASE_URL"]
        print(f"\nFocus Scheduled Jobs, production profile: {url}", flush=True)
        workers = ", ".join(n for n in cluster.names if n.startswith("w"))
        print(
            "  api-server, scheduler, dag-processor, triggerer, Celery workers "
            f"{workers}; logs in {logs} (appended to; a process that dies is restarted)"
        )
        print(f"  log in as admin / {passwords['admin']}  (viewer / {passwords['viewer']}: Viewer)")
        print(f"\n{join_instructions(env)}\n", flush=True)
        cluster.watch(lambda: bool(stopping))
    except KeyboardInterrupt:
        pass
    except GaveUp as exc:
        print(f"run-cluster cannot go on: {exc}; stopping everything", file=sys.stderr, flush=True)
        return 1
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
