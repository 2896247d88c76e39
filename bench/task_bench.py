"""Task time: what a worker pays before each task, for every catalog class, against a plain
Airflow file that builds that one DAG.

A worker's task process loads the plugins (the task runner's listener manager) and parses
the DAG file with Airflow's parsing context set to the task's DAG and task
(``_AIRFLOW_PARSING_CONTEXT_DAG_ID``), then looks the task up. Each measurement does exactly
that in a fresh child forked from a process that has Airflow imported (bench/zygote.py):

- ours at N rows: dags/focus_jobs.py over a SQLite Focus database of N jobs (a district's
  mix, plus one job of each catalog class, which is the one measured), plugins/ loaded;
- plain: a hand-written Airflow file building that one DAG (CronTriggerTimetable, one
  BashOperator), no plugins.

For each class the three alternate (ours at 1,000, plain, ours at 5,000), round after round.

    .venv/bin/python bench/task_bench.py [--rows 1000 5000] [--rounds 5] [--classes KEY ...]
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
    base_env,
    compile_sources,
    documents,
    focus_home,
    machine,
    med_min,
    ratio,
    write_plain_file,
)

from job_library.registry import REGISTRY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--classes", nargs="*", default=None, help="default: every class")
    args = parser.parse_args()
    keys = args.classes or list(REGISTRY)

    work = Path(tempfile.mkdtemp(prefix="task-bench-"))
    compile_sources(ROOT / "include", ROOT / "job_library", ROOT / "dags", ROOT / "plugins")
    measured = {key: documents(1, [key])[0] | {"id": f"task-{i:02d}"} for i, key in
                enumerate(REGISTRY)}  # fmt: skip
    zygotes: dict[str, Zygote] = {}
    for n in args.rows:
        home = work / f"rows-{n}"
        focus_home(home, documents(n - len(measured)) + list(measured.values()))
        env = base_env(work, ROOT / "plugins") | {"FOCUS_HOME": str(home)}
        zygotes[f"ours {n}"] = Zygote(f"ours {n}", env)
    plain_files = {}
    for key in keys:
        plain_files[key] = work / "plain" / key / "plain_one_dag.py"
        write_plain_file(plain_files[key], [measured[key]])
    compile_sources(work / "plain")
    zygotes["plain"] = Zygote("plain", base_env(work, None))
    order = [f"ours {args.rows[0]}", "plain", *(f"ours {n}" for n in args.rows[1:])]

    def once(variant: str, key: str) -> float:
        dag_id = measured[key]["id"]
        path = plain_files[key] if variant == "plain" else ROOT / "dags" / "focus_jobs.py"
        answer = zygotes[variant].measure("worker", path=str(path), dag_id=dag_id,
                                          task_id="run_job")  # fmt: skip
        if answer["dags"] != 1:
            raise SystemExit(f"{variant} {key}: {answer['dags']} DAGs built, not 1")
        return answer["seconds"]

    before = machine()
    times = {key: {v: [] for v in order} for key in keys}
    for r in range(1 + args.rounds):  # round 0 warms the byte-code caches up, not kept
        for key in keys:
            for variant in order:
                seconds = once(variant, key)
                if r:
                    times[key][variant].append(seconds)
        print(f"round {r} done", file=sys.stderr)
    for z in zygotes.values():
        z.close()

    print(f"Task time (plugins loaded + the one DAG parsed, as a worker does), {args.rounds} "
          f"alternating rounds after one warm-up. Start: {before}. End: {machine()}.")  # fmt: skip
    print()
    head = " | ".join(f"ours, {n:,} rows | ratio" for n in args.rows)
    print(f"| class | plain one-DAG file | {head} |")
    print("|---|---:|" + "---:|---:|" * len(args.rows))
    worst = {n: 0.0 for n in args.rows}
    for key in keys:
        t = times[key]
        cells = []
        for n in args.rows:
            cells.append(f"{med_min(t[f'ours {n}'])} | {ratio(t[f'ours {n}'], t['plain'])}")
            pairs = [a / b for a, b in zip(t[f"ours {n}"], t["plain"], strict=True)]
            worst[n] = max(worst[n], statistics.median(pairs))
        print(f"| {REGISTRY[key].title} | {med_min(t['plain'])} | " + " | ".join(cells) + " |")
    print()
    print("Ratios: median of the per-round ratios (range). Worst class median: "
          + ", ".join(f"{worst[n]:.2f}x at {n:,} rows" for n in args.rows) + ".")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
