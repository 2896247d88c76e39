"""DAG-file parse time: the factory over N table rows against a static file of the same DAGs.

Each measurement runs in a fresh process that first imports Airflow (the dag-processor and
the worker have it imported before they parse a file), then times executing the DAG file,
as the dag-processor does. The static file builds the same DAGs with the same builder from a
hard-coded list: no database read, no validation, no snapshot. That is the floor.

    .venv/bin/python bench/parse_bench.py [--rows 100 1000 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Loads the file the way Airflow's DagBag does (SourceFileLoader, so byte-code caches count).
HARNESS = """
import sys, time, importlib.machinery, importlib.util
import airflow.sdk, airflow.timetables.base, airflow.sdk.exceptions, pendulum, sqlalchemy, pydantic
start = time.perf_counter()
loader = importlib.machinery.SourceFileLoader("bench_dag_file", sys.argv[1])
spec = importlib.util.spec_from_loader("bench_dag_file", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
elapsed = time.perf_counter() - start
dags = [v for v in vars(module).values() if type(v).__name__ == "DAG"]
print(elapsed, len({d.dag_id for d in dags}))
"""

CLASSES = ["address_corrections", "daily_maintenance", "rollover", "gone_php_class"]
WEEKDAY_SETS = [["mon", "tue", "wed", "thu", "fri"], ["sat"], ["mon", "wed", "fri"], None]


def documents(n: int) -> list[dict]:
    """N realistic definitions: daily and repeating jobs, windows, e-mails, parameters."""
    docs = []
    for i in range(n):
        cls = CLASSES[i % len(CLASSES)]
        doc = {
            "id": f"job-{i:05d}",
            "title": f"Job {i}",
            "class": cls,
            "priority": 100 + i % 900,
            "emails": [f"owner{i % 7}@district.org"] if i % 3 == 0 else [],
            "store_history": "1 month",
        }
        if i % 10 == 0:
            doc |= {"repeat_minutes": 15, "timeframe_start": "06:00", "timeframe_end": "18:00"}
        else:
            doc |= {"run_time": f"{i % 24:02d}:{i % 60:02d}"}
        if days := WEEKDAY_SETS[i % len(WEEKDAY_SETS)]:
            doc["weekdays"] = days
        if cls == "daily_maintenance":
            doc["params"] = {"days": 30}
        elif cls == "rollover":
            doc["params"] = {"enrollment_date": "2027-08-10", "enrollment_code": "E01"}
            doc["start_date"] = "2027-06-01"
        docs.append(doc)
    return docs


def write_static_file(path: Path, definitions: list, timezone: str) -> None:
    """A DAG file that builds the same DAGs from a hard-coded list (the floor)."""
    lines = [
        "import datetime",
        "from include.dag_builder import build_job_dag",
        "from include.definitions import JobDefinition",
        f"TZ = {timezone!r}",
        "ROWS = [",
    ]
    for d in definitions:
        fields = d.model_dump()
        fields["kind"] = str(d.kind)
        lines.append(f"    {fields!r},")
    lines += [
        "]",
        "for row in ROWS:",
        "    dag = build_job_dag(JobDefinition.model_construct(**row), TZ)",
        "    globals()[dag.dag_id] = dag",
    ]
    path.write_text("\n".join(lines) + "\n")


def measure(file: Path, env: dict[str, str], repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", HARNESS, str(file)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        times.append(float(out[-2]))
        count = int(out[-1])
    return statistics.median(times), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import sqlalchemy as sa

    from include.focus_db.engine import migrate
    from include.repository import upsert, validate_documents

    work = Path(tempfile.mkdtemp(prefix="parse-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    # A deployed Airflow imports from byte-code caches; some shells switch them off.
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            *(str(ROOT / d) for d in ("include", "job_library")),
        ],
        env=base_env,
        check=True,
    )
    base_env |= {
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT),
    }
    results = []
    for n in args.rows:
        home = work / f"rows-{n}"
        home.mkdir()
        engine = sa.create_engine(f"sqlite:///{home / 'focus.db'}")
        migrate(engine)
        definitions, errors = validate_documents(documents(n))
        if errors:
            raise SystemExit(f"bench data invalid: {errors[0]}")
        with engine.begin() as conn:
            upsert(conn, definitions, user="bench")
        engine.dispose()
        static = home / "static_dags.py"
        write_static_file(static, definitions, "America/New_York")
        env = base_env | {"FOCUS_HOME": str(home)}
        # First parses write the snapshot and the byte-code caches, as a running Airflow has.
        measure(ROOT / "dags" / "focus_jobs.py", env, 1)
        measure(static, env, 1)
        floor, floor_count = measure(static, env, args.repeat)
        ours, ours_count = measure(ROOT / "dags" / "focus_jobs.py", env, args.repeat)
        one_id = f"job-{n // 2:05d}"
        one, one_count = measure(
            ROOT / "dags" / "focus_jobs.py",
            env | {"_AIRFLOW_PARSING_CONTEXT_DAG_ID": one_id},
            args.repeat,
        )
        if not (floor_count == ours_count == n and one_count == 1):
            raise SystemExit(
                f"DAG counts differ: floor {floor_count}, ours {ours_count}, one {one_count}"
            )
        results.append((n, floor, ours, ours / floor, one))

    print(
        f"DAG-file parse time, median of {args.repeat} fresh processes, SQLite Focus database "
        f"({dt.date.today()}, {os.cpu_count()} cores)"
    )
    print()
    print(
        "| rows | static file (floor) | factory, all DAGs | ratio | target "
        "| factory, one DAG (task run) | target |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, floor, ours, ratio, one in results:
        target = "≤ 1.3x" if n >= 1000 else "-"
        one_target = "≤ 50 ms" if n == 5000 else "-"
        print(
            f"| {n:,} | {floor * 1000:,.0f} ms | {ours * 1000:,.0f} ms | {ratio:.2f}x | {target} "
            f"| {one * 1000:,.1f} ms | {one_target} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
