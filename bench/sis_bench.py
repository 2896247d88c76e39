"""SIS job benchmark on Postgres: each job against one hand-written SQL statement, same run.

    python bench/sis_bench.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/focus_bench

Builds the demo district (50,000 students by default), applies a day of teacher corrections,
then times Attendance Summary Calculation and Recalculate Daily Attendance against a single
statement that produces the same rows. Every timed run is a child process in a transaction
that is rolled back, so each starts from the same data; the child reports its peak memory
above its own baseline (after imports and connecting). Targets: ratio <= 1.5, memory < 300 MB.
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
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

TZ = ZoneInfo("America/New_York")
PAST_DAYS = 14
MAX_RATIO = 1.5
MAX_MEMORY_MB = 300


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _now() -> dt.datetime:
    from include.demo_district import demo_today

    return dt.datetime.combine(demo_today(), dt.time(18, 0), TZ)


def _summary_checksum(conn: sa.Connection) -> list:
    return [
        str(v)
        for v in conn.execute(
            sa.text(
                "SELECT COUNT(days_enrolled), SUM(days_enrolled), SUM(days_present), "
                "SUM(days_excused), SUM(days_unexcused) FROM student_enrollment"
            )
        ).one()
    ]


def _daily_checksum(conn: sa.Connection) -> list:
    return [
        str(v)
        for v in conn.execute(
            sa.text(
                "SELECT COUNT(*), SUM(minutes_present), SUM(state_value), COUNT(absence_type), "
                "SUM(CASE WHEN disciplinary THEN 1 ELSE 0 END), SUM(school_id) "
                "FROM attendance_day"
            )
        ).one()
    ]


def _run_job(conn: sa.Connection, which: str) -> dict:
    from job_library.base import JobContext
    from job_library.jobs.attendance.attendance_summary import (
        AttendanceSummaryCalculation,
        AttendanceSummaryParams,
    )
    from job_library.jobs.attendance.recalculate_daily_attendance import (
        RecalculateDailyAttendance,
        RecalculateDailyAttendanceParams,
    )

    now = _now()
    context = JobContext(
        connection=conn,
        now=lambda: now,
        log=logging.getLogger("bench"),
        file_store=Path("."),
        job_id="bench",
        job_title="bench",
    )
    if which == "summary":
        result = AttendanceSummaryCalculation().run(context, AttendanceSummaryParams())
        return {"changed": result.counts["updated"], "checksum": _summary_checksum(conn)}
    result = RecalculateDailyAttendance().run(
        context, RecalculateDailyAttendanceParams(past_days=PAST_DAYS)
    )
    changed = sum(result.counts[k] for k in ("added", "updated", "removed"))
    return {"changed": changed, "checksum": _daily_checksum(conn)}


def _run_baseline(conn: sa.Connection, which: str) -> dict:
    from include.demo_district import REFERENCE_DAY, DemoYear
    from job_library.jobs.attendance.attendance_summary import (
        SUMMARY_AGGREGATES,
        enrollment_days_sql,
    )
    from job_library.jobs.attendance.recalculate_daily_attendance import (
        DAILY_COLUMNS,
        daily_attendance_sql,
    )

    now = _now()
    if which == "summary":
        fields = list(SUMMARY_AGGREGATES)
        select = enrollment_days_sql(SUMMARY_AGGREGATES, None).text
        sql = (
            "UPDATE student_enrollment e SET "
            + ", ".join(f"{f} = a.{f}" for f in fields)
            + f" FROM ({select}) a WHERE e.id = a.enrollment_id AND ("
            + ", ".join(f"e.{f}" for f in fields)
            + ") IS DISTINCT FROM ("
            + ", ".join(f"a.{f}" for f in fields)
            + ")"
        )
        through = now.date() - dt.timedelta(days=1)
        changed = conn.execute(
            sa.text(sql), {"syear": DemoYear(REFERENCE_DAY).syear, "through": through}
        ).rowcount
        return {"changed": changed, "checksum": _summary_checksum(conn)}
    cols = ", ".join(DAILY_COLUMNS)
    values = [c for c in DAILY_COLUMNS if c not in ("student_id", "school_date")]
    sql = (
        f"WITH computed AS ({daily_attendance_sql(None).text}), "
        "removed AS (DELETE FROM attendance_day ad "
        "WHERE ad.school_date BETWEEN :first_day AND :last_day AND NOT EXISTS ("
        "SELECT 1 FROM computed c WHERE c.student_id = ad.student_id "
        "AND c.school_date = ad.school_date) RETURNING 1) "
        f"INSERT INTO attendance_day ({cols}) SELECT {cols} FROM computed "
        "ON CONFLICT (student_id, school_date) DO UPDATE SET "
        + ", ".join(f"{v} = EXCLUDED.{v}" for v in values)
        + " WHERE ("
        + ", ".join(f"attendance_day.{v}" for v in values)
        + ") IS DISTINCT FROM ("
        + ", ".join(f"EXCLUDED.{v}" for v in values)
        + ")"
    )
    params = {"first_day": now.date() - dt.timedelta(days=PAST_DAYS), "last_day": now.date()}
    changed = conn.execute(sa.text(sql), params).rowcount
    removed = conn.execute(
        sa.text(
            "SELECT COUNT(*) FROM attendance_day WHERE school_date BETWEEN :first_day AND :last_day"
        ),
        params,
    ).scalar_one()
    return {"changed": changed, "rows_in_window": removed, "checksum": _daily_checksum(conn)}


def child(url: str, kind: str, which: str) -> None:
    """One timed run, rolled back; prints seconds, peak memory growth and the result."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        conn.rollback()
        baseline = _peak_mb()
        started = time.perf_counter()
        with conn.begin() as transaction:
            outcome = (_run_job if kind == "job" else _run_baseline)(conn, which)
            seconds = time.perf_counter() - started
            transaction.rollback()
    outcome.update(seconds=seconds, memory_mb=_peak_mb() - baseline)
    print(json.dumps(outcome))


def _spawn(url: str, kind: str, which: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--url", url, "--child", kind, which],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _corrections(url: str) -> None:
    """A day of teacher corrections: the last three days' daily attendance not yet
    calculated, and some period absences entered late (so recorded days are now wrong)."""
    engine = sa.create_engine(url)
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--url",
        default=os.environ.get(
            "FOCUS_BENCH_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/focus_bench"
        ),
    )
    p.add_argument("--students", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--child", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.url, *args.child)
        return 0

    from include.demo_district import REFERENCE_DAY, generate
    from include.focus_db.engine import migrate

    engine = sa.create_engine(args.url)
    if engine.dialect.name != "postgresql":
        print("error: the benchmark runs on Postgres (give --url postgresql+psycopg2://...)")
        return 2
    _create_database(engine.url)
    migrate(engine)
    started = time.perf_counter()
    district = generate(engine, args.students, today=REFERENCE_DAY)
    print(f"{district.describe()} Generated in {time.perf_counter() - started:.1f} s.")
    _corrections(args.url)

    rows = []
    ok = True
    for which, title in (
        ("summary", "Attendance Summary Calculation"),
        ("recalc", f"Recalculate Daily Attendance ({PAST_DAYS} past days)"),
    ):
        jobs, bases = [], []
        for _ in range(args.repeat):  # alternate, so drift in the machine hits both
            jobs.append(_spawn(args.url, "job", which))
            bases.append(_spawn(args.url, "baseline", which))
        if jobs[0]["checksum"] != bases[0]["checksum"]:
            print(f"error: {title}: job and baseline differ: {jobs[0]} vs {bases[0]}")
            ok = False
        job_s = statistics.median(r["seconds"] for r in jobs)
        base_s = statistics.median(r["seconds"] for r in bases)
        memory = max(r["memory_mb"] for r in jobs)
        ratio = job_s / base_s
        ok = ok and ratio <= MAX_RATIO and memory < MAX_MEMORY_MB
        rows.append((title, jobs[0]["changed"], job_s, base_s, ratio, memory))

    print()
    print(f"{'job':<46} {'changed':>8} {'job s':>8} {'1 stmt s':>9} {'ratio':>6} {'peak MB':>8}")
    for title, changed, job_s, base_s, ratio, memory in rows:
        print(f"{title:<46} {changed:>8} {job_s:>8.2f} {base_s:>9.2f} {ratio:>6.2f} {memory:>8.1f}")
    print(
        f"\ntargets: ratio <= {MAX_RATIO}, peak memory < {MAX_MEMORY_MB} MB above baseline; "
        f"median of {args.repeat} runs each -> {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
