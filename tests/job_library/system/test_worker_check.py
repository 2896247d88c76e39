"""Worker Check: one row per completed run, naming the worker; an interrupted run leaves none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.system import worker_check
from job_library.jobs.system.worker_check import WorkerCheck, WorkerCheckParams
from job_library.schema import worker_checks
from tests.job_library.jobs_context import run_in_transaction


def _rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.select(worker_checks.c.job_id, worker_checks.c.worker))
        ]


def test_records_the_worker_named_in_the_environment(engine, monkeypatch):
    monkeypatch.setenv("FOCUS_WORKER_NAME", "w9")
    result = run_in_transaction(engine, WorkerCheck(), WorkerCheckParams())
    assert result.summary == "Ran on worker w9." and result.counts == {"checks": 1}
    assert _rows(engine) == [("test-job", "w9")]


def test_a_run_interrupted_while_holding_its_transaction_leaves_no_row(engine, monkeypatch):
    def killed(seconds):
        raise KeyboardInterrupt("worker stopped")

    monkeypatch.setattr(worker_check.time, "sleep", killed)
    with pytest.raises(KeyboardInterrupt, match="worker stopped"):
        run_in_transaction(engine, WorkerCheck(), WorkerCheckParams(hold_seconds=30))
    assert _rows(engine) == []
