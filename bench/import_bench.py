"""Frontline Leave import speed on Postgres against COPY of the same rows into the same table.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--repeat 3] [--url postgresql+psycopg2://...]

Both sides start from an empty leave_requests table in a fresh database. COPY loads the
finished rows (employee ids already resolved) straight into leave_requests; the job reads
the Frontline CSV (from memory: the SFTP transfer is not what is measured), validates every
row, resolves EINs, upserts leave and substitutes and writes its ledger entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from include.focus_db.engine import migrate  # noqa: E402
from job_library.base import JobContext, RemoteEntry  # noqa: E402
from job_library.jobs.erp.frontline_leave import SOURCE, FrontlineLeave, FrontlineLeaveParams  # noqa: E402
from job_library.schema import (  # noqa: E402
    employees,
    leave_requests,
    processed_files,
    substitute_fulfillments,
)

EMPLOYEES = 5000


class MemoryFiles:
    """RemoteFiles holding one file in memory."""

    settle_seconds = 0.0  # the file is complete: no settle wait in a benchmark

    def __init__(self, data: bytes) -> None:
        self.files = {SOURCE: data}

    def stat(self, path: str) -> RemoteEntry | None:
        data = self.files.get(path)
        return None if data is None else RemoteEntry(path.rsplit("/", 1)[1], "file", len(data), 0)

    def scan(self, path: str) -> list[RemoteEntry]:
        return [e for e in map(self.stat, self.files) if e and f"{path}/{e.name}" in self.files]

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
        sub = f"S{i % 500:04d},Sub {i % 500}" if i % 3 == 0 else ","
        lines.append(
            f"C{i:07d},E{i % EMPLOYEES:05d},{start + dt.timedelta(days=i % 180)},"
            f"08:00,15:00,{1 + i % 8}.5,Sick,{sub}"
        )
    return ("\n".join(lines) + "\n").encode()


def copy_rows(rows: int, employee_ids: dict[str, int]) -> str:
    out = io.StringIO()
    start = dt.date(2026, 8, 10)
    for i in range(rows):
        employee = employee_ids[f"E{i % EMPLOYEES:05d}"]
        out.write(
            f"C{i:07d}\t{start + dt.timedelta(days=i % 180)}\t{employee}"
            f"\t08:00\t15:00\t{1 + i % 8}.5\tSick\tf\tLeave_bench.csv\n"
        )
    return out.getvalue()


def reset(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in (processed_files, substitute_fulfillments, leave_requests):
            conn.execute(table.delete())


def time_copy(engine: sa.Engine, payload: str) -> float:
    reset(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        cursor.copy_expert(
            "COPY leave_requests (confirmation_number, leave_date, employee_id, start_time, "
            "end_time, hours, reason, paid, source_file) FROM STDIN",
            io.StringIO(payload),
        )
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def time_job(engine: sa.Engine, data: bytes, rows: int) -> float:
    reset(engine)
    start = time.perf_counter()
    with engine.begin() as conn:
        context = JobContext(
            connection=conn,
            now=lambda: dt.datetime.now(dt.UTC),
            log=logging.getLogger("bench"),
            file_store=Path("."),
            job_id="frontline",
            job_title="Frontline",
            remote=MemoryFiles(data),
        )
        result = FrontlineLeave().run(context, FrontlineLeaveParams())
    elapsed = time.perf_counter() - start
    if result.counts.get("leave_created") != rows:
        raise SystemExit(f"the job imported {result.counts} instead of {rows} rows")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    name = f"import_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(args.url.rsplit("/", 1)[0] + f"/{name}")
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(
                sa.insert(employees),
                [{"ein": f"E{i:05d}"} for i in range(EMPLOYEES)]
                + [{"ein": f"S{i:04d}"} for i in range(500)],
            )
            employee_ids = dict(
                conn.execute(sa.select(employees.c.ein, employees.c.employee_id)).all()
            )
        data = frontline_file(args.rows)
        payload = copy_rows(args.rows, employee_ids)
        copies = [time_copy(engine, payload) for _ in range(args.repeat)]
        jobs = [time_job(engine, data, args.rows) for _ in range(args.repeat)]
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    copy_s, job_s = statistics.median(copies), statistics.median(jobs)
    print(
        f"Frontline Leave import, {args.rows:,} rows into Postgres, median of {args.repeat} "
        f"({dt.date.today()})"
    )
    print()
    print("| rows | COPY (baseline) | Frontline Leave job | ratio | target |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {args.rows:,} | {copy_s:.2f} s | {job_s:.2f} s | {job_s / copy_s:.2f}x | <= 3x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
