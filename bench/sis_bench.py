"""SIS job benchmark on Postgres: each job against an independently written SQL baseline.

    python bench/sis_bench.py [--rounds 5] [--students 50000] [--jobs KEY ...]
                              [--url postgresql+psycopg2://postgres@127.0.0.1:5432/focus_bench]

Builds the demo district (50,000 students by default; an existing district of that size in
the database is reused), applies a day of teacher corrections and VACUUM ANALYZE. Then, per
job, rounds of job then baseline (A B A B ...): every run is a fresh child process whose
work is one transaction, checksummed (row count and the sum of a hash of every row of the
tables the job writes) and rolled back, so each run starts from the same data. The
baselines (bench/sis_baselines.py) are written from the jobs' rules, not their SQL.

Reported per job: median and minimum seconds of each side, the median and range of the
per-round ratios job / baseline, the Postgres backend's peak private memory growth (RssAnon of
the backend and its parallel workers, sampled every 10 ms from /proc), the temporary-file
bytes Postgres wrote (pg_stat_database), and the Python process's peak RSS growth.
Target: job <= 1.2x baseline (median of the per-round ratios).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.sis_baselines import CASES, CTE_USERS, checksum  # noqa: E402

TZ = ZoneInfo("America/New_York")
PAST_DAYS = 14
MAX_RATIO = 1.2
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/focus_bench"


def _now() -> dt.datetime:
    from include.demo_district import demo_today

    return dt.datetime.combine(demo_today(), dt.time(18, 0), TZ)


def _rss_kb(pid: int, field: str = "RssAnon") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class BackendMemory:
    """Samples the private memory (RssAnon) of a Postgres backend and of its parallel
    workers from /proc while the work runs; ``peak_kb`` is the largest sum above the start."""

    def __init__(self, url: str, pid: int) -> None:
        self.pid = pid
        self.start_kb = _rss_kb(pid)
        self.peak_kb = 0
        self._stop = threading.Event()
        self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        workers: list[int] = []
        tick = 0
        with self._engine.connect() as conn:
            while not self._stop.is_set():
                if tick % 10 == 0:  # new parallel workers, every 100 ms
                    workers = list(
                        conn.execute(
                            sa.text("SELECT pid FROM pg_stat_activity WHERE leader_pid = :p"),
                            {"p": self.pid},
                        ).scalars()
                    )
                    conn.rollback()
                # a parallel worker starts for the query: all its private memory counts
                total = _rss_kb(self.pid) - self.start_kb + sum(map(_rss_kb, workers))
                self.peak_kb = max(self.peak_kb, total)
                tick += 1
                time.sleep(0.01)

    def __enter__(self) -> BackendMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()


def _run_job(conn: sa.Connection, key: str, params: dict) -> int:
    from job_library.base import JobContext
    from job_library.registry import REGISTRY

    now = _now()
    context = JobContext(
        connection=conn,
        now=lambda: now,
        log=logging.getLogger("bench"),
        file_store=Path("."),
        job_id="bench",
        job_title="bench",
    )
    job = REGISTRY[key]()
    result = job.run(context, job.params_model(**params))
    if not result.success:
        raise SystemExit(f"{key}: {result.summary}")
    return sum(
        v for k, v in result.counts.items() if k in ("updated", "added", "removed", "alerts")
    )


def _default_year(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT syear FROM school_years WHERE is_default")).scalar_one()


def child(url: str, kind: str, key: str) -> None:
    """One timed run, rolled back; prints seconds, memory and the tables' checksums."""
    case = next(c for c in CASES if c.key == key)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        syear = _default_year(conn)
        if kind == "job":  # the job's class, its tables and the SQL helpers load before the
            # clock starts (`key in REGISTRY` alone imports nothing: the catalog is lazy)
            import job_library.schemas
            import job_library.sis_sql  # noqa: F401
            from job_library.registry import REGISTRY

            assert REGISTRY[key].key == key
        conn.rollback()
        python_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with BackendMemory(url, backend) as memory, conn.begin() as transaction:
            started = time.perf_counter()
            if kind == "job":
                changed = _run_job(conn, key, case.params)
            else:
                changed = case.run_baseline(conn, syear, _now())
            seconds = time.perf_counter() - started
            sums = checksum(conn, case.tables)
            transaction.rollback()
    python_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - python_start) / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "changed": changed,
                "checksum": sums,
                "backend_mb": memory.peak_kb / 1024,
                "python_mb": python_mb,
            }
        )
    )


def _temp_bytes(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(
            sa.text("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()


def _spawn(url: str, kind: str, key: str, engine: sa.Engine) -> dict:
    case = next(c for c in CASES if c.key == key)
    # The rolled-back run before left dead row versions: clear them so every run reads the
    # same table (outside the timing).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"VACUUM {', '.join(case.tables)}"))
    before = _temp_bytes(engine)
    out = subprocess.run(
        [sys.executable, __file__, "--url", url, "--child", kind, key],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode:
        raise SystemExit(f"{kind} {key} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    time.sleep(0.5)  # the backend reports its statistics as it exits
    result["temp_mb"] = (_temp_bytes(engine) - before) / 2**20
    return result


def _corrections(engine: sa.Engine) -> None:
    """A day of teacher corrections: the last three days' daily attendance not yet
    calculated, and some period absences entered late (so recorded days are now wrong)."""
    today = _now().date()
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM attendance_day WHERE school_date > :since"),
            {"since": today - dt.timedelta(days=3)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO attendance_period (student_id, school_date, period_id, "
                "attendance_code) SELECT ad.student_id, ad.school_date, sp.period_id, 2 "
                "FROM attendance_day ad JOIN school_periods sp ON sp.school_id = ad.school_id "
                "AND sp.sort_order <= 3 WHERE ad.school_date >= :since "
                "AND ad.student_id % 53 = 0 ON CONFLICT DO NOTHING"
            ),
            {"since": today - dt.timedelta(days=PAST_DAYS)},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def _create_database(url: sa.URL) -> None:
    """Create the benchmark's database on a machine that has never run it."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).scalar()
        if not found:
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def _district(engine: sa.Engine, students: int) -> None:
    from include.demo_district import REFERENCE_DAY, generate
    from include.focus_db.engine import migrate

    _create_database(engine.url)
    migrate(engine)
    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT COUNT(*) FROM students")).scalar_one()
    if have != students:
        started = time.perf_counter()
        district = generate(engine, students, today=REFERENCE_DAY)
        print(f"{district.describe()} Generated in {time.perf_counter() - started:.1f} s.")
    else:
        print(f"Reusing the demo district of {students:,} students in {engine.url.database}.")
    with engine.begin() as conn:  # the users CTE Consecutive Absences alerts
        for user_id in CTE_USERS:
            conn.execute(
                sa.text(
                    "INSERT INTO users (user_id, username, email) VALUES (:i, :n, :e) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"i": user_id, "n": f"bench{user_id}", "e": f"bench{user_id}@example.org"},
            )
    _corrections(engine)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=os.environ.get("FOCUS_BENCH_URL", DEFAULT_URL))
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--jobs", nargs="*", help="job keys (default: every benchmarked job)")
    p.add_argument("--child", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.url, *args.child)
        return 0
    if args.rounds < 5:
        p.error("--rounds: at least 5, so the median and minimum mean something")

    engine = sa.create_engine(args.url, poolclass=sa.pool.NullPool)
    if engine.dialect.name != "postgresql":
        print("error: the benchmark runs on Postgres (give --url postgresql+psycopg2://...)")
        return 2
    _district(engine, args.students)
    cases = [c for c in CASES if not args.jobs or c.key in args.jobs]
    load_before = _load()
    rows = []
    ok = True
    for case in cases:
        jobs, bases = [], []
        for _ in range(args.rounds):  # A B A B: drift in the machine hits both sides
            jobs.append(_spawn(args.url, "job", case.key, engine))
            bases.append(_spawn(args.url, "baseline", case.key, engine))
        sums = {json.dumps(r["checksum"], sort_keys=True) for r in jobs + bases}
        same = len(sums) == 1
        if not same:
            print(f"error: {case.title}: job and baseline checksums differ: {sorted(sums)}")
        ratios = [j["seconds"] / b["seconds"] for j, b in zip(jobs, bases, strict=True)]
        ratio = statistics.median(ratios)
        ok = ok and same and ratio <= MAX_RATIO
        rows.append((case, jobs, bases, ratios, same))
        print(f"{case.title}: ratios {', '.join(f'{r:.2f}' for r in ratios)}", flush=True)
    load_after = _load()

    def stats(runs: list[dict]) -> str:
        seconds = [r["seconds"] for r in runs]
        return f"{statistics.median(seconds):.2f} s ({min(seconds):.2f})"

    print()
    print(
        f"SIS jobs on Postgres, {args.students:,} students, {args.rounds} rounds of job then "
        f"baseline ({dt.date.today()}, {os.cpu_count()} cores, load average 1/5/15 min "
        f"{load_before} before, {load_after} after)"
    )
    print()
    print(
        "| job | rows changed | job median (min) | baseline median (min) | ratio median "
        "(range) | checksums | backend memory peak, job / baseline | temp files, job / "
        "baseline | Python peak, job |"
    )
    print("|---|---:|---:|---:|---:|:---:|---:|---:|---:|")
    for case, jobs, bases, ratios, same in rows:
        backend_job = max(r["backend_mb"] for r in jobs)
        backend_base = max(r["backend_mb"] for r in bases)
        temp_job = max(r["temp_mb"] for r in jobs)
        temp_base = max(r["temp_mb"] for r in bases)
        print(
            f"| {case.title} | {jobs[0]['changed']:,} | {stats(jobs)} | {stats(bases)} | "
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{'equal' if same else 'DIFFER'} | {backend_job:.0f} / {backend_base:.0f} MB | "
            f"{temp_job:.0f} / {temp_base:.0f} MB | {max(r['python_mb'] for r in jobs):.0f} MB |"
        )
    verdict = "PASS" if ok else "FAIL"
    print(f"\ntarget: median ratio <= {MAX_RATIO}x and equal checksums -> {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
