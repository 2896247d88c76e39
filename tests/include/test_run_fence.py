"""A DAG run's job is applied once, however many tries of the run start, race or die."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from include import runner
from include.focus_db.engine import create_focus_engine
from include.focus_db.schema import job_run_claims
from include.repository import get_definition
from include.run_fence import lock_key
from include.runner import run_job
from job_library.base import Job, JobContext, JobResult
from job_library.schema import job_output, worker_checks
from tests.rows import good_row, insert_rows

LOG = logging.getLogger("test_run_fence")


def _definition(engine: sa.Engine, job_id: str, hold_seconds: float = 0):
    insert_rows(
        engine, good_row(job_id, job_class="worker_check", params={"hold_seconds": hold_seconds})
    )
    with engine.connect() as conn:
        return get_definition(conn, job_id)


def _run(engine, definition, run_id: str, tmp_path: Path, try_number: int | None = 1):
    return run_job(
        definition,
        engine=engine,
        timezone="America/New_York",
        file_store=tmp_path / "files",
        log=LOG,
        run_id=run_id,
        try_number=try_number,
    )


def _checks(engine: sa.Engine, job_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(worker_checks.c.worker)
                .where(worker_checks.c.job_id == job_id)
                .order_by(worker_checks.c.id)
            ).scalars()
        )


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def _fresh_engine(engine: sa.Engine) -> sa.Engine:
    """A second engine on the same database: its own connections, as another worker has."""
    url = engine.url.render_as_string(hide_password=False)
    return create_focus_engine(url)


def test_a_second_try_of_a_committed_run_returns_the_stored_result(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("FOCUS_WORKER_NAME", "w1")
    definition = _definition(engine, "check")
    first = _run(engine, definition, "manual__1", tmp_path, try_number=1)
    assert first.summary == "Ran on worker w1." and first.counts == {"checks": 1}
    monkeypatch.setenv("FOCUS_WORKER_NAME", "w2")
    second = _run(engine, definition, "manual__1", tmp_path, try_number=2)
    assert _checks(engine, "check") == ["w1"]
    assert second.success is True
    assert second.summary == "Already applied by try 1: Ran on worker w1."
    assert second.text.startswith("Already applied: try 1 of this run (token ")
    assert " committed its changes on w1 at " in second.text
    assert second.text.endswith(
        "the job was not run again. Its output follows.\n\nRan on worker w1."
    )
    assert second.counts == {"checks": 1, "already_applied": 1}
    # One claim and one output row for the run; the claim names the try that applied it.
    with engine.connect() as conn:
        claim = conn.execute(sa.select(job_run_claims)).mappings().one()
    assert (claim["job_id"], claim["run_id"], claim["try_number"], claim["worker"]) == (
        "check",
        "manual__1",
        1,
        "w1",
    )
    assert second.text.split("(token ")[1][:8] == claim["token"][:8]
    assert _count(engine, job_output) == 1


def test_each_dag_run_is_applied_once_and_runs_of_other_jobs_are_apart(engine, tmp_path):
    a = _definition(engine, "a")
    b = _definition(engine, "b")
    for run_id in ("r1", "r2", "r1", "r2"):
        _run(engine, a, run_id, tmp_path)
    _run(engine, b, "r1", tmp_path)
    assert len(_checks(engine, "a")) == 2 and len(_checks(engine, "b")) == 1
    assert _count(engine, job_run_claims) == 3 and _count(engine, job_output) == 3


def test_a_try_that_raised_claims_nothing_and_the_next_try_applies(engine, tmp_path, monkeypatch):
    definition = _definition(engine, "flaky")
    monkeypatch.setattr(
        "job_library.jobs.system.worker_check.time.sleep",
        lambda s: (_ for _ in ()).throw(ConnectionError("network gone")),
    )
    with pytest.raises(ConnectionError, match="network gone"):
        _run(engine, _definition(engine, "flaky-hold", hold_seconds=5), "r1", tmp_path)
    assert _checks(engine, "flaky-hold") == [] and _count(engine, job_run_claims) == 0
    monkeypatch.undo()
    again = _run(engine, definition, "r1", tmp_path, try_number=2)
    assert not again.summary.startswith("Already applied")
    assert len(_checks(engine, "flaky")) == 1


class _NoParams(BaseModel):
    hold_seconds: float = 0


# Which jobs' deferred actions ran (cleared by the test that reads it).
MOVED: list[str] = []


class _MovesAFile(Job):
    key = "moves_a_file"
    title = "Moves a file"
    description = "test job: one row, then a deferred action after the commit"
    module = "System"
    params_model = _NoParams

    def run(self, context: JobContext, params: _NoParams) -> JobResult:
        context.connection.execute(
            sa.insert(worker_checks).values(
                job_id=context.job_id, worker="x", checked_at=sa.func.current_timestamp()
            )
        )
        context.after_commit(lambda: MOVED.append(context.job_id))
        return JobResult.message(True, "moved")


def test_after_commit_actions_run_once_and_not_again_on_a_later_try(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "get_job_class", lambda key: _MovesAFile)
    MOVED.clear()
    definition = _definition(engine, "mover")
    _run(engine, definition, "r1", tmp_path)
    again = _run(engine, definition, "r1", tmp_path, try_number=2)
    assert again.summary == "Already applied by try 1: moved"
    assert MOVED == ["mover"]


def test_two_tries_racing_one_run_apply_it_once(engine, tmp_path, monkeypatch):
    """Two threads, each with its own engine (connections), start the same run at once."""
    monkeypatch.setenv("FOCUS_WORKER_NAME", "racer")
    definition = _definition(engine, "race", hold_seconds=2)
    results: dict[int, JobResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one_try(n: int) -> None:
        mine = _fresh_engine(engine)
        try:
            start.wait()
            results[n] = _run(mine, definition, "scheduled__1", tmp_path, try_number=n)
        except BaseException as exc:  # reported below, with the other try's outcome
            errors.append(exc)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=one_try, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert errors == []
    assert _checks(engine, "race") == ["racer"]
    summaries = sorted(r.summary for r in results.values())
    assert len(summaries) == 2
    assert summaries[1] == "Ran on worker racer."
    assert summaries[0] in (
        "Already applied by try 1: Ran on worker racer.",
        "Already applied by try 2: Ran on worker racer.",
    )
    assert _count(engine, job_run_claims) == 1


_HOLDER = """
import logging, sys
from pathlib import Path
from include.focus_db.engine import create_focus_engine
from include.repository import get_definition
from include.runner import run_job
engine = create_focus_engine(sys.argv[1])
with engine.connect() as conn:
    definition = get_definition(conn, sys.argv[2])
result = run_job(definition, engine=engine, timezone="UTC", file_store=Path(sys.argv[3]),
                 log=logging.getLogger("holder"), run_id="scheduled__1", try_number=1)
print(result.summary, flush=True)
"""


def _advisory_locks(engine: sa.Engine, key: int) -> int:
    # pg_locks splits a bigint key into classid (high 32 bits) and objid (low 32 bits).
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": high, "low": low},
        ).scalar()


@pytest.mark.parametrize("first_try", ["killed", "finishes"])
def test_a_try_waits_for_another_process_holding_the_run(engine, tmp_path, monkeypatch, first_try):
    """Postgres: a real process holds the run's advisory lock; the next try waits for it.

    Killed, its transaction rolls back and the waiting try applies the run; finishing, it
    commits and the waiting try returns its result.
    """
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are Postgres's; SQLite's one writer is raced above")
    postgres_url = engine.url.render_as_string(hide_password=False)
    job_id = f"held-{first_try}"
    hold = 4 if first_try == "finishes" else 60
    definition = _definition(engine, job_id, hold_seconds=hold)
    env = {**os.environ, "FOCUS_WORKER_NAME": "first"}
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, postgres_url, job_id, str(tmp_path / "held")],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _advisory_locks(engine, lock_key(job_id, "scheduled__1")):
            assert time.monotonic() < deadline and holder.poll() is None, "holder never held"
            time.sleep(0.2)
        monkeypatch.setenv("FOCUS_WORKER_NAME", "second")
        if first_try == "killed":
            threading.Timer(2, holder.send_signal, (signal.SIGKILL,)).start()
        began = time.monotonic()
        # The second try does not hold its transaction: only the first one's hold is waited for.
        quick = definition.model_copy(update={"params": {"hold_seconds": 0}})
        result = _run(engine, quick, "scheduled__1", tmp_path, try_number=2)
        waited = time.monotonic() - began
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # It waited for the holder instead of working beside it (the holder had it for 2-4 s).
    assert waited >= 1.5
    if first_try == "killed":
        assert _checks(engine, job_id) == ["second"]
        assert result.summary == "Ran on worker second."
    else:
        assert _checks(engine, job_id) == ["first"]
        assert result.summary == "Already applied by try 1: Ran on worker first."
