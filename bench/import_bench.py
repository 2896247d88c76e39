"""Frontline Leave import on Postgres against the same writes done in SQL, run by run.

    python bench/import_bench.py [--rows 100000] [--rounds 5] [--url postgresql+psycopg2://...]

Each round runs the job, then the baseline (A B A B ...), each from the same starting state:
the leave table holds a tenth of the file's absences already (a third of them paid), the
substitute table some of those (a seventh paid), the ledger is empty. The file has 1% rows
with an EIN no employee has.

- job: Frontline Leave reads the file (from memory: the SFTP transfer is not measured),
  validates every row, stages the valid ones, upserts leave and substitutes and writes its
  ledger row, in one transaction.
- baseline: COPY of the file as it is into a staging table, then in SQL the same writes: leave
  upserted for rows whose EIN is an employee's (unpaid leave overwritten, paid left), the
  substitutes likewise, and the ledger row; one transaction.

Both must leave identical tables (row count and the sum of a hash of every row, leaving out
ids from sequences and the ledger's processed_at, a wall-clock time). Reported: median and
minimum of each side, the per-round ratios job / baseline (target: median <= 1.3x), the
machine's load average and cores, the Python process's peak memory growth in the job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import logging
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

EMPLOYEES = 5000
SUBSTITUTES = 500
MAX_RATIO = 1.3
JOB_ID = "frontline"
FOLDER = "/FromAesop"
SOURCE = f"{FOLDER}/Frontline_Leave.csv"
NOW = dt.datetime(2026, 9, 1, 6, 30, tzinfo=dt.UTC)
CLAIMED = f"{FOLDER}/Leave_{NOW:%Y%m%d%H%M%S}.csv"  # the name the job renames the file to
# Columns left out of the checksum: ids from sequences, and the ledger's wall-clock time.
TABLES = {
    "leave_requests": ("leave_id",),
    "substitute_fulfillments": ("fulfillment_id",),
    "processed_files": ("id", "processed_at"),
}

BASELINE = [
    """CREATE TEMPORARY TABLE bench_stage (
        confirmation_number text, ein text, leave_date text, start_time text, end_time text,
        hours text, reason text, substitute_ein text, substitute_name text) ON COMMIT DROP""",
    "COPY",
    """INSERT INTO leave_requests AS t (confirmation_number, leave_date, employee_id,
           start_time, end_time, hours, reason, source_file)
       SELECT s.confirmation_number, s.leave_date::date, e.employee_id, NULLIF(s.start_time, ''),
              NULLIF(s.end_time, ''), s.hours::numeric, NULLIF(s.reason, ''), :file
       FROM bench_stage s JOIN employees e ON e.ein = s.ein
       ON CONFLICT (confirmation_number, leave_date) DO UPDATE SET
           employee_id = EXCLUDED.employee_id, start_time = EXCLUDED.start_time,
           end_time = EXCLUDED.end_time, hours = EXCLUDED.hours, reason = EXCLUDED.reason,
           source_file = EXCLUDED.source_file
       WHERE NOT t.paid""",
    """INSERT INTO substitute_fulfillments AS t (confirmation_number, leave_date,
           substitute_ein, substitute_name, hours)
       SELECT s.confirmation_number, s.leave_date::date, s.substitute_ein,
              NULLIF(s.substitute_name, ''), s.hours::numeric
       FROM bench_stage s JOIN employees e ON e.ein = s.ein
       WHERE s.substitute_ein <> ''
       ON CONFLICT (confirmation_number, leave_date) DO UPDATE SET
           substitute_ein = EXCLUDED.substitute_ein, substitute_name = EXCLUDED.substitute_name,
           hours = EXCLUDED.hours
       WHERE NOT t.paid""",
    """INSERT INTO processed_files (job_id, file_name, sha256, rows, processed_at)
       VALUES (:job_id, :file, :sha, :rows, now())""",
]


class MemoryFiles:
    """RemoteFiles holding the drop folder in memory."""

    settle_seconds = 0.0  # the file is complete: no settle wait in a benchmark

    def __init__(self, data: bytes) -> None:
        self.files = {SOURCE: data}

    def _entry(self, path: str):
        from job_library.base import RemoteEntry

        data = self.files.get(path)
        return None if data is None else RemoteEntry(path.rsplit("/", 1)[1], "file", len(data), 0)

    def stat(self, path: str):
        return self._entry(path)

    def scan(self, path: str) -> list:
        prefix = path.rstrip("/") + "/"
        return [self._entry(p) for p in sorted(self.files) if p.startswith(prefix)]

    def exists(self, path: str) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes:
        return self.files[path]

    def rename(self, source: str, target: str) -> None:
        self.files[target] = self.files.pop(source)

    def makedirs(self, path: str) -> bool:
        return False

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted(p[len(prefix) :] for p in self.files if p.startswith(prefix))

    def write(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def remove(self, path: str) -> None:
        del self.files[path]


def frontline_file(rows: int) -> bytes:
    lines = [
        "confirmation_number,ein,leave_date,start_time,end_time,hours,reason,"
        "substitute_ein,substitute_name"
    ]
    start = dt.date(2026, 8, 10)
    for i in range(rows):
        sub = f"S{i % SUBSTITUTES:04d},Sub {i % SUBSTITUTES}" if i % 3 == 0 else ","
        ein = f"X{i:05d}" if i % 100 == 99 else f"E{i % EMPLOYEES:05d}"  # 1% unknown EINs
        lines.append(
            f"C{i:07d},{ein},{start + dt.timedelta(days=i % 180)},"
            f"08:00,15:00,{1 + i % 8}.5,Sick,{sub}"
        )
    return ("\n".join(lines) + "\n").encode()


def _setup(engine: sa.Engine, rows: int) -> None:
    """Employees, and the starting state saved in seed tables."""
    from include.focus_db.engine import migrate

    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO employees (ein) SELECT 'E' || lpad(i::text, 5, '0') "
                "FROM generate_series(0, :n - 1) i"
            ),
            {"n": EMPLOYEES},
        )
        conn.execute(
            sa.text(
                "INSERT INTO employees (ein) SELECT 'S' || lpad(i::text, 4, '0') "
                "FROM generate_series(0, :n - 1) i"
            ),
            {"n": SUBSTITUTES},
        )
        # A tenth of the absences were sent before, with other hours; a third of those paid.
        conn.execute(
            sa.text(
                "CREATE TABLE seed_leave AS SELECT 'C' || lpad(i::text, 7, '0') AS cn, "
                "DATE '2026-08-10' + (i % 180) AS day, i FROM generate_series(0, :n - 1, 10) i "
                "WHERE i % 100 <> 99"
            ),
            {"n": rows},
        )
    _reset(engine)


def _reset(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "TRUNCATE leave_requests, substitute_fulfillments, processed_files RESTART IDENTITY"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO leave_requests (confirmation_number, leave_date, employee_id, "
                "hours, reason, paid, source_file) SELECT s.cn, s.day, e.employee_id, 2, "
                "'Personal', s.i % 3 = 0, 'Leave_before.csv' FROM seed_leave s "
                "JOIN employees e ON e.ein = 'E' || lpad((s.i % :n)::text, 5, '0')"
            ),
            {"n": EMPLOYEES},
        )
        conn.execute(
            sa.text(
                "INSERT INTO substitute_fulfillments (confirmation_number, leave_date, "
                "substitute_ein, hours, paid) SELECT cn, day, 'S0001', 2, i % 7 = 0 "
                "FROM seed_leave WHERE i % 3 = 0 OR i % 2 = 0"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            sa.text("VACUUM ANALYZE leave_requests, substitute_fulfillments, processed_files")
        )


def _checksum(engine: sa.Engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for table, skip in TABLES.items():
            columns = conn.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "'public' AND table_name = :t ORDER BY ordinal_position"
                ),
                {"t": table},
            ).scalars()
            row = ", ".join(f"t.{c}" for c in columns if c not in skip)
            count, total = conn.execute(
                sa.text(
                    f"SELECT COUNT(*), COALESCE(SUM(hashtextextended(ROW({row})::text, 0)"
                    f"::numeric), 0) FROM {table} t"
                )
            ).one()
            out[table] = f"{count}:{total}"
    return out


def run_job(engine: sa.Engine, data: bytes) -> dict:
    from job_library.base import JobContext
    from job_library.jobs.erp.frontline_leave import FrontlineLeave, FrontlineLeaveParams

    job, params = FrontlineLeave(), FrontlineLeaveParams()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with engine.begin() as conn:
        context = JobContext(
            connection=conn,
            now=lambda: NOW,
            log=logging.getLogger("bench"),
            file_store=Path("."),
            job_id=JOB_ID,
            job_title="Frontline",
            remote=MemoryFiles(data),
        )
        result = job.run(context, params)
    seconds = time.perf_counter() - start
    if not result.success:
        raise SystemExit(f"the job failed: {result.summary}")
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return {"seconds": seconds, "counts": result.counts, "python_mb": grown}


def run_baseline(engine: sa.Engine, data: bytes) -> dict:
    start = time.perf_counter()
    binds = {
        "file": CLAIMED,
        "job_id": JOB_ID,
        "sha": hashlib.sha256(data).hexdigest(),
        "rows": data.count(b"\n") - 1,
    }
    with engine.begin() as conn:
        for sql in BASELINE:
            if sql == "COPY":
                cursor = conn.connection.dbapi_connection.cursor()
                cursor.copy_expert(
                    "COPY bench_stage FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(data)
                )
            else:
                conn.execute(sa.text(sql), binds)
    return {"seconds": time.perf_counter() - start}


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds: at least 5, so the median and minimum mean something")
    import pandas  # noqa: F401  (the job's imports load before the clock, as on a worker)

    import job_library.jobs.erp.frontline_leave  # noqa: F401

    name = f"import_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(args.url.rsplit("/", 1)[0] + f"/{name}")
    jobs, bases, sums = [], [], set()
    try:
        _setup(engine, args.rows)
        data = frontline_file(args.rows)
        load_before = _load()
        for _ in range(args.rounds):  # A B A B: drift in the machine hits both sides
            for side, runner, runs in (("job", run_job, jobs), ("baseline", run_baseline, bases)):
                _reset(engine)
                runs.append(runner(engine, data))
                checksum = _checksum(engine)
                sums.add(str(sorted(checksum.items())))
                print(f"{side}: {runs[-1]['seconds']:.2f} s {checksum}", flush=True)
        load_after = _load()
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ratios = [j["seconds"] / b["seconds"] for j, b in zip(jobs, bases, strict=True)]
    ratio = statistics.median(ratios)
    same = len(sums) == 1

    def stats(runs: list[dict]) -> str:
        seconds = [r["seconds"] for r in runs]
        return f"{statistics.median(seconds):.2f} s ({min(seconds):.2f})"

    counts = jobs[0]["counts"]
    print()
    print(
        f"Frontline Leave import, {args.rows:,} rows into Postgres, {args.rounds} rounds of job "
        f"then baseline ({dt.date.today()}, {os.cpu_count()} cores, load average 1/5/15 min "
        f"{load_before} before, {load_after} after); job counts {counts}"
    )
    print()
    print(
        "| rows | job median (min) | same writes in SQL, median (min) | ratio median (range) "
        "| checksums | Python peak, job | target |"
    )
    print("|---:|---:|---:|---:|:---:|---:|---:|")
    print(
        f"| {args.rows:,} | {stats(jobs)} | {stats(bases)} | {ratio:.2f}x "
        f"({min(ratios):.2f}-{max(ratios):.2f}) | {'equal' if same else 'DIFFER'} | "
        f"{max(j['python_mb'] for j in jobs):.0f} MB | <= {MAX_RATIO}x |"
    )
    ok = same and ratio <= MAX_RATIO
    print(f"\n-> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
