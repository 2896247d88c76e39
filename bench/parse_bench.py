"""Whole-file parse: what the dag-processor does with our DAG file, against a plain Airflow
file of the same one-task DAGs and against astronomer's dag-factory.

The same N jobs (a district's mix: SIS jobs, scheduled imports, vendor file integrations,
system jobs) become, in turn:

- ours: rows of a SQLite Focus database, built by dags/focus_jobs.py with plugins/ loaded, as
  on every parse after the first (the job-class memo of the parse before is there,
  include/class_memo.py);
- ours, first parse: the same with the memo removed before each run (the first parse after the
  job library changed: every class used is imported and its parameters validated);
- plain: a hand-written Airflow file with one CronTriggerTimetable DAG and one BashOperator per
  job, no plugins;
- dag-factory: the same DAGs as a dag-factory YAML file (its own virtual environment under
  .bench-venvs/, installed on first use), no plugins.

Each measurement is Airflow's own dag-processor function (_parse_file: the stability check,
DagBag over the file, every DAG serialised) in a fresh child forked from a process that has
Airflow imported (bench/zygote.py), as the dag-processor forks one per file. The variants
alternate A B C A B C ..., one warm-up round first (byte-code caches, the snapshot).

    .venv/bin/python bench/parse_bench.py [--rows 1000 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    ROOT,
    Zygote,
    alternate,
    base_env,
    compile_sources,
    dag_factory_python,
    documents,
    focus_home,
    machine,
    med_min,
    ratio,
    write_dag_factory_files,
    write_plain_file,
)

from include.dag_builder import class_memo_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parse-bench-"))
    factory_python = dag_factory_python()
    compile_sources(ROOT / "include", ROOT / "job_library", ROOT / "dags", ROOT / "plugins")
    before = machine()
    rows = []
    for n in args.rows:
        docs = documents(n)
        home = work / f"rows-{n}"
        focus_home(home / "focus", docs)
        plain = home / "plain" / "plain_dags.py"
        write_plain_file(plain, docs)
        factory = write_dag_factory_files(home / "factory", docs)
        compile_sources(plain.parent, factory.parent)
        ours_env = base_env(home, ROOT / "plugins") | {"FOCUS_HOME": str(home / "focus")}
        memo = class_memo_path(home / "focus" / "scheduled_jobs.snapshot.json")
        zygotes = {
            "ours, first parse": Zygote("ours, first parse", ours_env),
            "ours": Zygote("ours", ours_env),
            "plain": Zygote("plain", base_env(home, None)),
            "dag-factory": Zygote("dag-factory", base_env(home, None), factory_python),
        }
        files = {
            "ours, first parse": ROOT / "dags" / "focus_jobs.py",
            "ours": ROOT / "dags" / "focus_jobs.py",
            "plain": plain,
            "dag-factory": factory,
        }

        def run(name: str) -> float:
            if name == "ours, first parse":
                memo.unlink(missing_ok=True)  # noqa: B023
            answer = zygotes[name].measure("dag_processor", path=str(files[name]))  # noqa: B023
            if answer["dags"] != n or answer["errors"]:  # noqa: B023
                raise SystemExit(f"{name}: {answer['dags']} DAGs, errors: {answer['error']}")
            return answer["seconds"]

        times = alternate({name: (lambda name=name: run(name)) for name in zygotes}, args.rounds)
        for z in zygotes.values():
            z.close()
        rows.append((n, times))
        medians = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in times.items())
        print(f"{n} rows: {medians}", file=sys.stderr)

    print(f"Whole-file parse as the dag-processor does it, {args.rounds} alternating rounds")
    print(f"(after one warm-up round). Start: {before}. End: {machine()}.")
    print()
    print("| rows | ours (median / min) | plain Airflow file | dag-factory 1.1.0 | ours / plain "
          "| dag-factory / ours | ours, first parse | dag-factory / first |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, t in rows:
        first = t["ours, first parse"]
        print(
            f"| {n:,} | {med_min(t['ours'])} | {med_min(t['plain'])} "
            f"| {med_min(t['dag-factory'])} | {ratio(t['ours'], t['plain'])} "
            f"| {ratio(t['dag-factory'], t['ours'])} | {med_min(first)} "
            f"| {ratio(t['dag-factory'], first)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
