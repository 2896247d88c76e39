"""Memory of the embedded default: `make run`'s processes, idle, with the demo district loaded.

Starts what `make run` starts (python -m include.local_airflow: migrations, the demo district
and jobs, the mail catcher, then `airflow standalone`) on a temporary FOCUS_HOME and a free
port, waits until the api-server answers and every demo job's DAG is parsed, then until the
processes are idle (their CPU time grows by under a tenth of a core over 10 s), and sums RSS
and PSS (/proc/<pid>/smaps_rollup) over that process and all its descendants. PSS divides
each shared page among the processes sharing it, so the sum is what the whole takes.

    .venv/bin/python bench/memory_bench.py [--samples 3] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import machine  # noqa: E402

LIMIT_MB = 900
_OFF = ("0", "false", "f")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _family(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rollup(pid: int) -> dict[str, int]:
    """RSS and PSS of one process in kB (zero when it is gone)."""
    found = {"Rss": 0, "Pss": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in found:
                found[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return found


def _name(proc) -> str:
    """A short name: the Airflow component, or the program."""
    try:
        cmd = proc.cmdline()
    except Exception:
        return "?"
    text = " ".join(cmd)
    for marker in ("include.local_airflow", "standalone", "scheduler", "dag-processor",
                   "dag_processor", "triggerer", "api-server", "api_server", "serve-logs",
                   "serve_logs", "LocalExecutor", "gunicorn", "uvicorn"):  # fmt: skip
        if marker in text:
            return marker
    return Path(cmd[0]).name if cmd else proc.name()


def measure(pid: int) -> tuple[int, int, dict[str, list[int]]]:
    total_rss = total_pss = 0
    by_name: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for proc in _family(pid):
        r = _rollup(proc.pid)
        total_rss += r["Rss"]
        total_pss += r["Pss"]
        entry = by_name[f"{_name(proc)}"]
        entry[0] += 1
        entry[1] += r["Rss"]
        entry[2] += r["Pss"]
    return total_rss, total_pss, dict(by_name)


def _cpu_seconds(pid: int) -> float:
    total = 0.0
    for proc in _family(pid):
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except Exception:
            continue
    return total


def _get(url: str, user: str | None = None, password: str | None = None) -> dict:
    request = urllib.request.Request(url)
    if user:
        token_request = urllib.request.Request(
            url.split("/api/")[0] + "/auth/token",
            data=json.dumps({"username": user, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(token_request, timeout=10) as answer:
            token = json.loads(answer.read())["access_token"]
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="readings, 5 s apart")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    # PYTHONPATH: this checkout's code in every process, whichever checkout is installed.
    env |= {"FOCUS_HOME": str(home), "AIRFLOW__API__PORT": str(port), "PYTHONPATH": str(ROOT)}
    log = (home / "make-run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "include.local_airflow"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + args.timeout
    base = f"http://127.0.0.1:{port}"
    try:
        jobs = None
        while time.monotonic() < deadline:  # the api-server answers, every DAG is parsed
            if proc.poll() is not None:
                raise SystemExit(f"make run ended with {proc.returncode}; see {home}/make-run.log")
            try:
                passwords = json.loads((home / "airflow" / "passwords.json").read_text())
                if jobs is None:  # every active row (valid or not) becomes a DAG
                    with sqlite3.connect(home / "focus.db") as db:
                        rows = db.execute("SELECT active FROM scheduled_jobs").fetchall()
                    jobs = sum(1 for (active,) in rows if str(active).lower() not in _OFF)
                dags = _get(f"{base}/api/v2/dags?limit=1", "admin", passwords["admin"])
                if dags["total_entries"] >= max(1, jobs or 1):
                    break
            except Exception:
                pass
            time.sleep(3)
        else:
            raise SystemExit("timed out waiting for the api-server and the DAGs")
        # Idle: the processes' CPU time grows by under a tenth of a core over 10 s (Airflow's
        # loops never stop: heartbeats, the dag-processor's re-parse every 30 s); at most 2 min.
        previous, settle = _cpu_seconds(proc.pid), time.monotonic() + 120
        while time.monotonic() < settle:
            time.sleep(10)
            now = _cpu_seconds(proc.pid)
            if now - previous < 1.0:
                break
            previous = now
        readings = []
        for i in range(args.samples):
            if i:
                time.sleep(5)
            readings.append(measure(proc.pid))
        rss, pss, by_name = min(readings, key=lambda r: r[1])
        print(f"Memory of `make run`, idle, demo district loaded ({machine()}); "
              f"{len(readings)} readings, the lowest PSS shown")  # fmt: skip
        print()
        print("| processes | count | RSS | PSS |")
        print("|---|---:|---:|---:|")
        for name, (count, r, p) in sorted(by_name.items(), key=lambda kv: -kv[1][2]):
            print(f"| {name} | {count} | {r / 1024:,.0f} MB | {p / 1024:,.0f} MB |")
        verdict = "within" if pss / 1024 <= LIMIT_MB else "ABOVE"
        print(f"| **all** | {sum(v[0] for v in by_name.values())} | {rss / 1024:,.0f} MB "
              f"| **{pss / 1024:,.0f} MB** ({verdict} {LIMIT_MB} MB) |")  # fmt: skip
        return 0
    finally:
        from include.local_airflow import stop_process_tree

        stop_process_tree(proc)
        with_children = _family(proc.pid)
        for p in with_children:
            with contextlib.suppress(Exception):
                p.send_signal(signal.SIGKILL)
        log.close()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
