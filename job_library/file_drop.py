"""What the file integrations share: the processed-files ledger, safe server names, results."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.schema import processed_files


def checksum(data: bytes) -> str:
    """The SHA-256 of a file's bytes: the ledger's key."""
    return hashlib.sha256(data).hexdigest()


def is_safe_name(name: str) -> bool:
    """Whether a file name listed by the server may be joined to a folder path.

    Names are the server's, so one holding a separator, a dot-dot or a control character is
    never used to build a path (remote or local).
    """
    return (
        name not in ("", ".", "..") and "/" not in name and "\\" not in name and name.isprintable()
    )


def earlier_import(conn: sa.Connection, job_id: str, sha256: str) -> sa.Row | None:
    """The ledger row of an earlier import of the same bytes by this job, if any."""
    return conn.execute(
        sa.select(processed_files.c.file_name, processed_files.c.processed_at).where(
            processed_files.c.job_id == job_id, processed_files.c.sha256 == sha256
        )
    ).first()


def ledgered_names(conn: sa.Connection, job_id: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` this job's ledger holds."""
    names = list(names)
    if not names:
        return set()
    return set(
        conn.execute(
            sa.select(processed_files.c.file_name).where(
                processed_files.c.job_id == job_id, processed_files.c.file_name.in_(names)
            )
        ).scalars()
    )


def record_import(conn: sa.Connection, job_id: str, file_name: str, sha256: str, rows: int) -> None:
    """Add a file to the ledger, in the same transaction as its rows."""
    conn.execute(
        sa.insert(processed_files).values(
            job_id=job_id,
            file_name=file_name,
            sha256=sha256,
            rows=rows,
            processed_at=dt.datetime.now(dt.UTC),
        )
    )


def combined(results: list[JobResult]) -> JobResult:
    """One result for a run that handled several files: every part kept, counts added up."""
    if len(results) == 1:
        return results[0]
    counts: Counter[str] = Counter()
    for r in results:
        counts.update(r.counts)
    return JobResult(
        success=all(r.success for r in results),
        summary=" ".join(r.summary for r in results),
        text="\n\n".join(r.text or r.summary for r in results),
        html="".join(r.html or f"<p>{html.escape(r.summary)}</p>" for r in results),
        counts=dict(counts),
    )
