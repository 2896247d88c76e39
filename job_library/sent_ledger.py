"""The sent-records ledger: which version of each record a job last sent to an API."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from job_library.schemas.integrations import sent_records


def digest(payload: Any) -> str:
    """A stable fingerprint of a JSON payload (key order and spacing do not matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def sent(conn: sa.Connection, job_id: str, target: str) -> dict[str, str]:
    """The digest of every record of ``target`` the job sent, by record key."""
    t = sent_records
    rows = conn.execute(
        sa.select(t.c.record_key, t.c.digest).where(t.c.job_id == job_id, t.c.target == target)
    )
    return dict(rows.all())


def unsent(
    conn: sa.Connection, job_id: str, target: str, records: Mapping[str, Any]
) -> dict[str, Any]:
    """The records (by key) that were never sent, or changed since they were last sent."""
    known = sent(conn, job_id, target)
    return {k: r for k, r in records.items() if known.get(k) != digest(r)}


def record(
    conn: sa.Connection,
    job_id: str,
    target: str,
    items: Iterable[tuple[str, Any, str | None]],
    now: dt.datetime,
) -> int:
    """Note that ``(key, payload, remote id)`` were sent now (one statement per batch)."""
    rows = [
        {
            "job_id": job_id,
            "target": target,
            "record_key": key,
            "digest": digest(payload),
            "remote_id": remote_id,
            "sent_at": now,
        }
        for key, payload, remote_id in items
    ]
    if not rows:
        return 0
    t = sent_records
    keys = [r["record_key"] for r in rows]
    conn.execute(
        t.delete().where(t.c.job_id == job_id, t.c.target == target, t.c.record_key.in_(keys))
    )
    conn.execute(t.insert(), rows)
    return len(rows)
