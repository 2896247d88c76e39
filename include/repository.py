"""Reading and writing scheduled jobs (and the district settings they use) in the Focus database."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from include.config import DEFAULT_TIMEZONE
from include.definitions import (
    FieldError,
    InvalidDefinition,
    JobDefinition,
    document_to_row,
    parse_definition,
    row_to_document,
)
from include.focus_db.schema import scheduled_jobs
from include.job_rows import COLUMNS, JSON_COLUMNS, is_active, iso_dates
from job_library.preferences import Preferences

log = logging.getLogger(__name__)

TIMEZONE_SETTING = "timezone"

# Every definition column (include/job_rows.py: the audit columns left out) is read as the
# driver gives it (text on SQLite), so one malformed value fails validation of its own row
# instead of the read of the whole table; JSON is read as text.
_RAW_COLUMNS = [
    (sa.cast(c, sa.Text) if c.name in JSON_COLUMNS else sa.type_coerce(c, sa.String)).label(c.name)
    for c in (scheduled_jobs.c[name] for name in COLUMNS)
]


@dataclass(frozen=True)
class JobTable:
    """What the DAG factory needs from the database: the time zone and the raw rows."""

    timezone: str
    rows: list[dict[str, Any]]
    # Read from the last good snapshot because the database could not be read: the rest of
    # the parse should not wait on the database again.
    from_snapshot: bool = False


def read_table(
    conn: sa.Connection, *, job_id: str | None = None, active_only: bool = True
) -> JobTable:
    """Read the time zone and the rows (all, or the one with ``job_id``)."""
    query = sa.select(*_RAW_COLUMNS).order_by(scheduled_jobs.c.id)
    if job_id is not None:
        query = query.where(scheduled_jobs.c.id == job_id)
    rows = [iso_dates(dict(zip(COLUMNS, r, strict=True))) for r in conn.execute(query).all()]
    if active_only:
        rows = [r for r in rows if is_active(r["active"])]
    return JobTable(timezone=get_timezone(conn), rows=rows)


# The district settings are System Preferences (job_library/preferences.py); these keep the
# names the glue has always used.
def get_setting(conn: sa.Connection, name: str, default: str | None = None) -> str | None:
    """The district's stored text of preference ``name`` (no fallback), else ``default``."""
    value = Preferences(conn).raw(name)
    return default if value is None else value


def get_flag(conn: sa.Connection, name: str) -> bool:
    return bool(Preferences(conn).get(name))


def set_setting(conn: sa.Connection, name: str, value: str, *, user: str = "focus-jobs") -> None:
    """Check ``value`` through the preference's type and store it for the district."""
    Preferences(conn).set(name, value, user=user)


def get_timezone(conn: sa.Connection) -> str:
    return get_setting(conn, TIMEZONE_SETTING, DEFAULT_TIMEZONE) or DEFAULT_TIMEZONE


def load_definitions(conn: sa.Connection) -> list[JobDefinition]:
    """Every definition in the table, active or not; a bad row raises InvalidDefinition."""
    rows = read_table(conn, active_only=False).rows
    return [parse_definition(row_to_document(r)) for r in rows]


def get_definition(conn: sa.Connection, job_id: str) -> JobDefinition | None:
    rows = read_table(conn, job_id=job_id, active_only=False).rows
    return parse_definition(row_to_document(rows[0])) if rows else None


def validate_documents(documents: Iterable[Any]) -> tuple[list[JobDefinition], list[FieldError]]:
    """Validate import documents; every error of every row, 1-based row numbers."""
    definitions: list[JobDefinition] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for row, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            errors.append(FieldError("?", "definition", doc, "must be a mapping of fields", row))
            continue
        try:
            definition = parse_definition(doc, row=row)
        except InvalidDefinition as exc:
            errors.extend(exc.errors)
            continue
        except Exception as exc:  # whatever an entry holds, it is reported, never raised
            job_id = str(doc.get("id", "?"))[:100]
            errors.append(
                FieldError(
                    job_id, "definition", None, f"cannot be read ({type(exc).__name__})", row
                )
            )
            continue
        if definition.id in seen:
            errors.append(
                FieldError(
                    definition.id,
                    "id",
                    definition.id,
                    f"repeats the id of row {seen[definition.id]}",
                    row,
                )
            )
            continue
        seen[definition.id] = row
        definitions.append(definition)
    return definitions, errors


def upsert(
    conn: sa.Connection, definitions: Iterable[JobDefinition], *, user: str
) -> tuple[int, int]:
    """Insert or update each definition by id; returns (created, updated)."""
    now = dt.datetime.now(dt.UTC)
    definitions = list(definitions)
    existing = set(
        conn.execute(
            sa.select(scheduled_jobs.c.id).where(
                scheduled_jobs.c.id.in_([d.id for d in definitions])
            )
        ).scalars()
    )
    created = [d for d in definitions if d.id not in existing]
    updated = [d for d in definitions if d.id in existing]
    if created:
        conn.execute(
            sa.insert(scheduled_jobs),
            [
                document_to_row(d)
                | {"created_at": now, "created_by": user, "updated_at": now, "updated_by": user}
                for d in created
            ],
        )
    for d in updated:
        conn.execute(
            sa.update(scheduled_jobs)
            .where(scheduled_jobs.c.id == d.id)
            .values(document_to_row(d) | {"updated_at": now, "updated_by": user})
        )
    return len(created), len(updated)


def delete(conn: sa.Connection, job_id: str) -> bool:
    return bool(
        conn.execute(sa.delete(scheduled_jobs).where(scheduled_jobs.c.id == job_id)).rowcount
    )


def write_snapshot(path: Path, table: JobTable) -> None:
    """Keep the last good read; rewritten only when it changed, atomically."""
    data = json.dumps({"timezone": table.timezone, "rows": table.rows}, sort_keys=True, default=str)
    try:
        if path.read_text() == data:
            return
    except OSError:
        pass
    import tempfile  # only when the snapshot changed

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(data)
    os.replace(tmp, path)


def read_snapshot(path: Path) -> JobTable:
    data = json.loads(path.read_text())
    return JobTable(timezone=data["timezone"], rows=data["rows"], from_snapshot=True)
