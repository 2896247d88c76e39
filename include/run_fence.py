"""Fencing of a DAG run: its job's changes are committed by one try at most, whatever dies."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from include.focus_db.schema import job_run_claims
from include.worker_identity import hostname
from job_library.base import JobResult
from job_library.schema import job_output

# How long a try waits for another try of the same run that still holds it (a task process
# frozen or orphaned in the middle of its transaction) before giving up with an error.
WAIT_VARIABLE = "FOCUS_FENCE_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 1800.0
_POLL_SECONDS = 1.0


class LostRace(Exception):
    """Another try of the run committed first; this try's transaction must roll back."""


class RunHeld(Exception):
    """Another try of the run held it for longer than this try may wait."""


@dataclass(frozen=True)
class TryIdentity:
    """Who is trying: a fencing token of its own, Airflow's try number and the worker.

    :param token: random per try; the claim of the run records the token of the try whose
        changes were committed.
    :param try_number: Airflow's try number (None outside Airflow, e.g. the CLI).
    :param worker: the worker's name (``FOCUS_WORKER_NAME`` or the host name).
    """

    token: str
    try_number: int | None
    worker: str

    @classmethod
    def new(cls, try_number: int | None = None) -> TryIdentity:
        return cls(uuid.uuid4().hex, try_number, hostname())


@dataclass(frozen=True)
class Applied:
    """The committed outcome of an earlier try of the same run."""

    token: str
    try_number: int | None
    worker: str
    committed_at: dt.datetime
    result: JobResult

    def replayed(self) -> JobResult:
        """The earlier try's result, saying that this try did not run the job again."""
        which = f"try {self.try_number}" if self.try_number is not None else "an earlier try"
        note = (
            f"Already applied: {which} of this run (token {self.token[:8]}) committed its "
            f"changes on {self.worker} at {self.committed_at:%Y-%m-%d %H:%M:%S} UTC; the job "
            "was not run again. Its output follows."
        )
        stored = self.result
        return JobResult(
            success=stored.success,
            summary=f"Already applied by {which}: {stored.summary}",
            text=f"{note}\n\n{stored.text}",
            html=f"<p>{note}</p>\n{stored.html}",
            counts={**stored.counts, "already_applied": 1},
        )


def lock_key(job_id: str, run_id: str) -> int:
    """A signed 64-bit key for Postgres's advisory locks, the same in every process."""
    digest = hashlib.blake2b(f"focus-run\0{job_id}\0{run_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def enter(
    conn: sa.Connection,
    job_id: str,
    run_id: str,
    log: logging.Logger,
    wait_seconds: float | None = None,
) -> Applied | None:
    """First step of a try, inside the job's transaction: hold the run, then look for a claim.

    On Postgres the try takes a transaction-scoped advisory lock on the run, so two tries of
    one run never work at the same time (the lock goes with the transaction: a killed try's
    connection drops, Postgres rolls it back and the next try gets the lock). On SQLite the
    database has one writer at a time: the try takes the write lock first, so a second try
    waits (up to the engine's busy timeout, 30 s) and then finds the claim; the claim's
    primary key decides should two tries still meet (see ``record``).

    :returns: the earlier try's outcome when the run was already applied, else None.
    :raises RunHeld: when another try held the run for longer than ``wait_seconds``.
    """
    if conn.dialect.name == "postgresql":
        _hold(conn, job_id, run_id, log, wait_seconds)
    elif conn.dialect.name == "sqlite":
        # Take SQLite's write lock before reading anything: a transaction that has read
        # cannot wait for the writer (SQLite fails it at once), one that has not waits for
        # the busy timeout. Tries of a run, like all writers of the file, then go one by one.
        conn.execute(sa.delete(job_run_claims).where(sa.false()))
    return _claimed(conn, job_id, run_id)


def _hold(
    conn: sa.Connection, job_id: str, run_id: str, log: logging.Logger, wait_seconds: float | None
) -> None:
    if wait_seconds is None:
        wait_seconds = float(os.environ.get(WAIT_VARIABLE) or DEFAULT_WAIT_SECONDS)
    key = lock_key(job_id, run_id)
    take = sa.text("SELECT pg_try_advisory_xact_lock(:key)")
    deadline = time.monotonic() + wait_seconds
    waited = False
    while not conn.execute(take, {"key": key}).scalar():
        if not waited:
            log.warning(
                "another try of job %r run %r is still working on it; waiting for it to "
                "commit or roll back (up to %.0f s)",
                job_id,
                run_id,
                wait_seconds,
            )
            waited = True
        if time.monotonic() >= deadline:
            raise RunHeld(
                f"job {job_id!r} run {run_id!r}: another try still holds this run after "
                f"{wait_seconds:.0f} s ({WAIT_VARIABLE}); nothing was changed by this try"
            )
        time.sleep(_POLL_SECONDS)
    if waited:
        log.warning("job %r run %r: the other try has finished; going on", job_id, run_id)


def record(
    conn: sa.Connection,
    job_id: str,
    run_id: str,
    me: TryIdentity,
    started: dt.datetime,
    result: JobResult,
) -> None:
    """Last step of a try, inside the job's transaction: claim the run and store its output.

    Both commit with the job's changes or not at all, so a claim means "applied".

    :raises LostRace: another try committed the run first (possible on SQLite only, where
        two tries are not kept apart before they write).
    """
    now = dt.datetime.now(dt.UTC)
    try:
        with conn.begin_nested():
            conn.execute(
                sa.insert(job_run_claims).values(
                    job_id=job_id,
                    run_id=run_id,
                    token=me.token,
                    try_number=me.try_number,
                    worker=me.worker,
                    started_at=started,
                    committed_at=now,
                    counts=dict(result.counts),
                )
            )
    except sa.exc.IntegrityError as exc:
        raise LostRace(f"job {job_id!r} run {run_id!r} was committed by another try") from exc
    conn.execute(
        sa.delete(job_output).where(job_output.c.job_id == job_id, job_output.c.run_id == run_id)
    )
    conn.execute(
        sa.insert(job_output).values(
            job_id=job_id,
            run_id=run_id,
            started_at=started,
            finished_at=now,
            success=result.success,
            summary=result.summary,
            text_output=result.text,
            html_output=result.html,
        )
    )


def applied(engine: sa.Engine, job_id: str, run_id: str) -> Applied | None:
    """The committed outcome of the run, read in a transaction of its own."""
    with engine.connect() as conn:
        return _claimed(conn, job_id, run_id)


def _claimed(conn: sa.Connection, job_id: str, run_id: str) -> Applied | None:
    claim = (
        conn.execute(
            sa.select(job_run_claims).where(
                job_run_claims.c.job_id == job_id, job_run_claims.c.run_id == run_id
            )
        )
        .mappings()
        .first()
    )
    if claim is None:
        return None
    output = (
        conn.execute(
            sa.select(job_output).where(
                job_output.c.job_id == job_id, job_output.c.run_id == run_id
            )
        )
        .mappings()
        .first()
    )
    if output is None:  # pruned by Daily Maintenance since: the claim alone still counts
        result = JobResult(True, "the stored output of that try has been pruned")
    else:
        result = JobResult(
            success=output["success"],
            summary=output["summary"],
            text=output["text_output"],
            html=output["html_output"],
        )
    committed = claim["committed_at"]
    if committed.tzinfo is None:  # SQLite keeps no zone; the runner writes UTC
        committed = committed.replace(tzinfo=dt.UTC)
    result = JobResult(
        result.success, result.summary, result.text, result.html, dict(claim["counts"] or {})
    )
    return Applied(
        token=claim["token"],
        try_number=claim["try_number"],
        worker=claim["worker"],
        committed_at=committed,
        result=result,
    )
