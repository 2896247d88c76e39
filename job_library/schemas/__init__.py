"""The Focus-like SIS tables, one module per domain, all on job_library.schema's metadata."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata

_SHARED = frozenset(metadata.tables)  # the tables defined before the SIS domains

# Importing a domain module registers its tables on the shared metadata.
from job_library.schemas import (  # noqa: E402
    addresses,
    assessments,
    attendance,
    choice,
    communications,
    discipline,
    district,
    district_assessments,
    enrollment,
    erp_hr,
    erp_ledger,
    finance,
    florida,
    florida_peer,
    florida_reporting,
    fps,
    grades,
    health,
    integrations,
    pcard,
    pos,
    scheduling,
    sss,
    system,
)

# Every SIS table, parents before children (for bulk loads and cleanup).
SIS_TABLES: tuple[sa.Table, ...] = tuple(t for t in metadata.sorted_tables if t.name not in _SHARED)

__all__ = [
    "SIS_TABLES",
    "addresses",
    "assessments",
    "attendance",
    "choice",
    "communications",
    "discipline",
    "district",
    "district_assessments",
    "enrollment",
    "erp_hr",
    "erp_ledger",
    "finance",
    "florida",
    "florida_peer",
    "florida_reporting",
    "fps",
    "grades",
    "health",
    "integrations",
    "pcard",
    "pos",
    "scheduling",
    "sss",
    "system",
]
