"""The district's configuration as the glue uses it: default jobs, retention, class availability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from include.definitions import parse_definition, row_to_document
from include.repository import is_active, read_table, upsert
from job_library.base import Job
from job_library.defaults import default_document
from job_library.platform_schema import seeded_defaults
from job_library.registry import REGISTRY, get_job_class
from job_library.site import (
    SiteProfile,
    manual_run_refusal,
    read_site_profile,
    unavailable_reason,
)

MAINTENANCE_CLASS = "daily_maintenance"
RETENTION_NOT_ENFORCED = (
    "Retention is not enforced: no active Daily Maintenance job exists, so every job's Store "
    "Execution History is kept until one runs (create one, or run focus-jobs seed-defaults)."
)


def retention_warning(rows: Iterable[dict[str, Any]]) -> str | None:
    """The warning the Jobs screen and ``focus-jobs list`` show, or None when an active,
    valid Daily Maintenance job exists among the raw ``rows``."""
    for raw in rows:
        if raw.get("job_class") != MAINTENANCE_CLASS or not is_active(raw.get("active")):
            continue
        try:
            parse_definition(row_to_document(raw))
        except Exception:  # an invalid row runs nothing, whatever is wrong with it
            continue
        return None
    return RETENTION_NOT_ENFORCED


def class_status(job_class: type[Job] | None, site: SiteProfile | None) -> dict[str, Any]:
    """What the list and the catalog say about a class on this site."""
    if job_class is None:
        return {"unavailable": None, "run_refused": None}
    return {
        "unavailable": unavailable_reason(job_class, site),
        "run_refused": manual_run_refusal(job_class, site),
    }


def seed_defaults(conn: sa.Connection, *, user: str = "seed-defaults") -> list[str]:
    """Create the jobs installed by default that this site may run, each class only once.

    A class already seeded is never seeded again (so a default job an administrator deleted
    stays deleted); a class the site does not allow is skipped and not remembered, so it is
    installed once the site buys its add-on; a class that already has a job counts as seeded.
    Returns one line per class installed by default.
    """
    site = read_site_profile(conn)
    done = dict(
        conn.execute(sa.select(seeded_defaults.c.job_class, seeded_defaults.c.job_id)).all()
    )
    rows = read_table(conn, active_only=False).rows
    ids = {str(r["id"]) for r in rows}
    lines = []
    now = dt.datetime.now(dt.UTC)
    for key in sorted(REGISTRY):
        job_class = REGISTRY[key]
        if not job_class.installed_by_default:
            continue
        if key in done:
            lines.append(f"{key}: seeded before (job {done[key]!r}); left as it is")
            continue
        reason = unavailable_reason(job_class, site)
        if reason:
            lines.append(f"{key}: not installed: {reason}")
            continue
        existing = sorted(str(r["id"]) for r in rows if r.get("job_class") == key)
        if existing:
            job_id = existing[0]
            lines.append(f"{key}: job {job_id!r} already runs this class; none added")
        else:
            job_id = key.replace("_", "-")
            while job_id in ids:
                job_id += "-default"
            upsert(conn, [parse_definition(default_document(job_class, job_id))], user=user)
            ids.add(job_id)
            lines.append(f"{key}: created job {job_id!r}")
        conn.execute(sa.insert(seeded_defaults).values(job_class=key, job_id=job_id, seeded_at=now))
    return lines


def run_refusal(conn: sa.Connection, job_class_key: str) -> str | None:
    """Why Run Job is refused for a job of this class on this site, or None."""
    job_class = get_job_class(job_class_key)
    if job_class is None:
        return None  # the Missing Class job runs and reports it
    site = read_site_profile(conn)
    return unavailable_reason(job_class, site) or manual_run_refusal(job_class, site)
