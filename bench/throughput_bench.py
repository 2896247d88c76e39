"""Throughput: 200 jobs due at the same minute, from due to all finished, per executor profile.

    .venv/bin/python bench/throughput_bench.py [--jobs 200] [--pool 16] [--only local-sqlite,...]

Each profile starts from fresh databases with real Airflow processes (api-server, scheduler,
dag-processor, and Celery workers where used). The jobs are Worker Check jobs (one row each,
no wait) materialised from the table, all with the same run time a couple of minutes ahead;
the pool focus_jobs gets --pool slots for the run. Measured: seconds from the due minute to
the end of the last job task, read from Airflow's metadata database. The ratio is against
the embedded default (LocalExecutor on SQLite) measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from include.cluster import Cluster, cluster_env, prepare_cluster  # noqa: E402
from include.config import DEFAULT_TIMEZONE  # noqa: E402
from include.definitions import parse_definition  # noqa: E402
from include.local_airflow import airflow_env, prepare  # noqa: E402
from include.repository import upsert  # noqa: E402

POSTGRES = os.environ.get("FOCUS_BENCH_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")
REDIS = os.environ.get("FOCUS_BENCH_REDIS", "redis://127.0.0.1:6379/12")
LEAD = dt.timedelta(seconds=150)  # processes up and every DAG parsed before the due minute
PROFILES = {
    "local-sqlite": ("LocalExecutor on SQLite (embedded default)", 0),
    "local-postgres": ("LocalExecutor on Postgres", 0),
    "celery-1": ("CeleryExecutor, 1 worker", 1),
    "celery-2": ("CeleryExecutor, 2 workers", 2),
}
SLOTS = 8  # LocalExecutor parallelism; each Celery worker's concurrency is SLOTS / 2


def _env(profile: str, home: Path, tag: str, port: int) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    if profile == "local-sqlite":
        return airflow_env(focus_home=home, port=port, parallelism=SLOTS, base=base)
    if profile == "local-postgres":
        base["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
    base["AIRFLOW__CORE__PARALLELISM"] = str(SLOTS * 2)
    return cluster_env(
        focus_home=home,
        postgres=POSTGRES,
        redis=REDIS,
        airflow_db=f"bench_airflow_{tag}",
        focus_db=f"bench_focus_{tag}",
        port=port,
        base=base,
    )


def _add_jobs(env: dict[str, str], count: int, due: dt.datetime) -> None:
    from include.focus_db.engine import create_focus_engine

    documents = [
        {
            "id": f"tp-{n:03d}",
            "title": f"Throughput {n}",
            "class": "worker_check",
            "run_time": f"{due:%H:%M}",
            "params": {"hold_seconds": 0},
        }
        for n in range(count)
    ]
    url = env.get("FOCUS_DB_URL") or f"sqlite:///{Path(env['FOCUS_HOME']) / 'focus.db'}"
    engine = create_focus_engine(url)
    with engine.begin() as conn:
        upsert(conn, [parse_definition(d) for d in documents], user="bench")
    engine.dispose()


def _finished(meta: sa.Engine, count: int) -> tuple[int, dt.datetime | None]:
    with meta.connect() as conn:
        done, last = conn.execute(
            sa.text(
                "SELECT count(*), max(end_date) FROM task_instance "
                "WHERE task_id = 'run_job' AND dag_id LIKE 'tp-%' AND state = 'success'"
            )
        ).one()
    if isinstance(last, str):  # SQLite hands back text
        last = dt.datetime.fromisoformat(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return int(done), last


def _dags_loaded(meta: sa.Engine) -> int:
    with meta.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM dag WHERE dag_id LIKE 'tp-%' AND is_stale = false")
            ).scalar()
        )


def run_profile(profile: str, jobs: int, pool: int) -> float:
    tag = uuid.uuid4().hex[:8]
    home = Path(tempfile.mkdtemp(prefix=f"throughput-{profile}-"))
    port = _free_port()
    env = _env(profile, home, tag, port)
    env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(_free_port())
    env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] = f"focus_{tag}"  # no stray worker takes its tasks
    if profile.startswith("celery"):
        redis.Redis.from_url(REDIS).flushdb()
    (prepare if profile == "local-sqlite" else prepare_cluster)(env)
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    subprocess.run(
        [airflow, "pools", "set", "focus_jobs", str(pool), "throughput bench"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tz = ZoneInfo(DEFAULT_TIMEZONE)
    now = dt.datetime.now(tz)
    due = (now + LEAD + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    _add_jobs(env, jobs, due)
    logs = home / "logs"
    logs.mkdir()
    cluster = Cluster(env, logs)
    for name in ("api-server", "scheduler", "dag-processor"):
        cluster.start(name, [name])
    workers = PROFILES[profile][1]
    for i in range(1, workers + 1):
        cluster.start_worker(f"w{i}", SLOTS // 2, serve_logs=i == 1)
    meta = sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        while dt.datetime.now(tz) < due:
            time.sleep(2)
        loaded = _dags_loaded(meta)
        if loaded < jobs:
            raise RuntimeError(f"{profile}: only {loaded} of {jobs} DAGs were parsed by {due}")
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            done, last = _finished(meta, jobs)
            if done >= jobs:
                return (last - due).total_seconds()
            time.sleep(2)
        raise RuntimeError(f"{profile}: {done} of {jobs} jobs finished in 30 minutes ({logs})")
    finally:
        meta.dispose()
        cluster.stop()
        if profile != "local-sqlite":
            _drop(tag)
        shutil.rmtree(home, ignore_errors=True)


def _drop(tag: str) -> None:
    admin = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in (f"bench_airflow_{tag}", f"bench_focus_{tag}"):
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--pool", type=int, default=16, help="slots of the focus_jobs pool")
    parser.add_argument("--only", default=",".join(PROFILES), help="comma-separated profiles")
    args = parser.parse_args()
    # Stopped from outside: still stop the Airflow processes and drop the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = [p for p in args.only.split(",") if p]
    results = {}
    for profile in chosen:
        print(f"running {profile} ...", file=sys.stderr, flush=True)
        results[profile] = run_profile(profile, args.jobs, args.pool)
    baseline = results.get("local-sqlite")
    print(
        f"\n{args.jobs} Worker Check jobs due at the same minute; pool focus_jobs {args.pool} "
        f"slots; LocalExecutor parallelism {SLOTS}, {SLOTS // 2} per Celery worker; "
        f"{os.cpu_count()} CPU cores\n"
    )
    print("| profile | due to all finished | jobs per minute | vs. LocalExecutor on SQLite |")
    print("|---|---|---|---|")
    for profile, seconds in results.items():
        ratio = f"{seconds / baseline:.2f}x" if baseline else "n/a"
        print(
            f"| {PROFILES[profile][0]} | {seconds:.0f} s | {args.jobs / seconds * 60:.0f} | "
            f"{ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
