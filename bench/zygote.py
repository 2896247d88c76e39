"""A pre-imported Airflow that forks one fresh child per measurement.

Airflow's dag-processor forks a process per DAG file and a worker forks a process per task,
both from a parent that has Airflow imported; neither has our code loaded. This process
imports Airflow once, then for each request read from stdin (one JSON line: kind, args, env)
forks a child that measures once, and prints the child's JSON answer as one line
(gc.freeze() first, as Airflow does before it forks). Before a dag-processor measurement it
imports the Airflow modules the file names, as the dag-processor's manager does before it
forks (``[dag_processor] parsing_pre_import_modules``, on by default): a plain Airflow file's
operator and timetable modules are loaded in the parent, our own modules are not. The benches
keep one of these per variant and alternate between them.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import airflow.dag_processing.dagbag
import airflow.dag_processing.processor
import airflow.sdk
import airflow.sdk.execution_time.task_runner
import airflow.serialization.serialized_objects  # noqa: F401
import structlog


def dag_processor(path: str) -> dict[str, Any]:
    """What the dag-processor does with one file: DagBag, then serialise every DAG (which
    loads the plugins to find registered timetables). Airflow's own function."""
    from airflow.dag_processing.processor import DagFileParseRequest, _parse_file

    request = DagFileParseRequest(
        file=path, bundle_path=Path(path).parent, bundle_name="dags-folder"
    )
    start = time.perf_counter()
    result = _parse_file(request, structlog.get_logger())
    seconds = time.perf_counter() - start
    errors = dict(result.import_errors or {})
    return {
        "seconds": seconds,
        "dags": len(result.serialized_dags),
        "errors": len(errors),
        "error": next(iter(errors.values()), "")[-800:],
    }


def worker(path: str, dag_id: str, task_id: str) -> dict[str, Any]:
    """What a worker does before a task: load the plugins (the task runner's listener
    manager), then parse the file with Airflow's parsing context set to the task."""
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.sdk.definitions._internal.dag_parsing_context import (
        _airflow_parsing_context_manager,
    )
    from airflow.sdk.listener import get_listener_manager

    start = time.perf_counter()
    get_listener_manager()
    with _airflow_parsing_context_manager(dag_id=dag_id, task_id=task_id):
        bag = BundleDagBag(
            dag_folder=path,
            safe_mode=False,
            load_op_links=False,
            bundle_path=Path(path).parent,
            bundle_name="dags-folder",
        )
    task = bag.dags[dag_id].task_dict[task_id]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "dags": len(bag.dags), "task": type(task).__name__}


def rss() -> dict[str, Any]:
    """The child's own memory (a check that forking works)."""
    return {"seconds": 0.0, "pid": os.getpid()}


MEASURES = {"dag_processor": dag_processor, "worker": worker, "rss": rss}


def _child(request: dict[str, Any], write_fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        os.environ.update(request.get("env", {}))
        answer = MEASURES[request["kind"]](**request.get("args", {}))
    except BaseException as exc:  # reported to the bench, which stops with it
        answer = {"error": f"{type(exc).__name__}: {exc}"[-2000:], "seconds": None}
    os.write(write_fd, json.dumps(answer).encode())
    os._exit(0)


def main() -> None:
    # As Airflow's dag-processor manager and LocalExecutor do before they fork: the children
    # do not copy (nor scan) the parent's objects on their first garbage collection.
    gc.freeze()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["kind"] == "dag_processor":
            # As the dag-processor's manager does before it forks the file's process: the
            # Airflow modules the file names are imported in the parent (kept from then on).
            from airflow.dag_processing.processor import _pre_import_airflow_modules

            _pre_import_airflow_modules(request["args"]["path"], structlog.get_logger())
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(request, write_fd)
        os.close(write_fd)
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
        os.close(read_fd)
        os.waitpid(pid, 0)
        print(b"".join(chunks).decode() or json.dumps({"error": "no answer"}), flush=True)


if __name__ == "__main__":
    main()
