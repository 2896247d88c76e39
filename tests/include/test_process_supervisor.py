"""The supervisor of run-cluster: a dead process is cleaned up and restarted, the rest untouched."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from include.process_supervisor import GaveUp, ProcessSpec, Supervisor

# A stand-in for a Celery worker: a "log server" child in its group and a "task" child that
# moves to a process group of its own (as Airflow's task processes do), then it waits.
_WORKER = """
import os, sys, time
print("worker up", os.getpid(), flush=True)
if os.fork() == 0:
    time.sleep(600)
    os._exit(0)
if os.fork() == 0:
    os.setpgid(0, 0)
    time.sleep(600)
    os._exit(0)
time.sleep(600)
"""


def _spec(tmp_path: Path, name: str, code: str, **kw) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        argv=(sys.executable, "-c", code),
        env=dict(os.environ),
        log=tmp_path / "logs" / f"{name}.log",
        **kw,
    )


def _wait(what: str, check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_dead_worker_is_cleaned_up_and_restarted_and_the_others_keep_running(tmp_path):
    said: list[str] = []
    sup = Supervisor(said.append, backoff_seconds=1, stable_seconds=30)
    try:
        sup.add(_spec(tmp_path, "w1", _WORKER))
        sup.add(_spec(tmp_path, "w2", _WORKER))
        first = sup.pid("w1")
        other = sup.pid("w2")
        children = _wait(
            "w1's two children",
            lambda: len(c := psutil.Process(first).children()) == 2 and c,
        )
        sup.poll()  # notes the children while w1 lives
        os.kill(first, signal.SIGKILL)  # only the main process: its children are orphaned
        _wait("w1 to be gone", lambda: psutil.Process(first).status() == psutil.STATUS_ZOMBIE)
        sup.poll()
        log = tmp_path / "logs" / "w1.log"
        assert said == [
            f"w1 exited with -9; killed 2 process(es) it left behind; restarting it in 1 s; "
            f"see {log}"
        ]
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
        assert sup.pid("w1") is None and sup.pid("w2") == other
        time.sleep(1.1)
        sup.poll()
        second = sup.pid("w1")
        assert second is not None and second != first
        _wait("the new w1 to write", lambda: log.read_text().count("\nworker up ") == 2)
        text = log.read_text()
        # The earlier run's lines are kept; each start is marked.
        assert text.count("===== w1 started at ") == 2
        assert text.index(f"worker up {first}") < text.index(f"worker up {second}")
        assert psutil.Process(other).is_running()
    finally:
        sup.stop(timeout=5)
    assert sup.pid("w1") is None and sup.pid("w2") is None


def test_back_off_doubles_and_a_process_that_keeps_dying_at_start_gives_up(tmp_path):
    said: list[str] = []
    sup = Supervisor(
        said.append,
        backoff_seconds=0.2,
        max_backoff_seconds=0.4,
        stable_seconds=30,
        give_up_after=3,
    )
    try:
        sup.add(_spec(tmp_path, "broken", "import sys; print('bad config'); sys.exit(3)"))
        with pytest.raises(GaveUp, match=r"broken exited with 3 3 times in a row within 30 s"):
            for _ in range(100):
                sup.poll()
                time.sleep(0.05)
    finally:
        sup.stop(timeout=5)
    assert [line.split("; ")[1] for line in said] == [
        "restarting it in 0.2 s",
        "restarting it in 0.4 s",  # doubled, and no more (max_backoff_seconds)
    ]
    assert (tmp_path / "logs" / "broken.log").read_text().count("\nbad config\n") == 3


def test_a_process_that_must_not_be_restarted_stops_the_supervisor(tmp_path):
    sup = Supervisor(lambda line: None)
    sup.add(_spec(tmp_path, "once", "import sys; sys.exit(0)", restart=False))
    _wait("it to exit", lambda: sup.running["once"].proc.poll() is not None)
    with pytest.raises(GaveUp, match=r"once exited with 0; see .*once\.log"):
        sup.poll()


def test_a_big_log_is_rotated_once_before_a_start(tmp_path):
    sup = Supervisor(lambda line: None, rotate_bytes=100)
    log = tmp_path / "logs" / "p.log"
    log.parent.mkdir()
    log.write_text("x" * 200)
    sup.add(_spec(tmp_path, "p", "print('new')"))
    _wait("it to exit", lambda: sup.running["p"].proc.poll() is not None)
    assert (tmp_path / "logs" / "p.log.1").read_text() == "x" * 200
    assert "\nnew\n" in log.read_text() and "xxxx" not in log.read_text()
    sup.stop(timeout=5)
