"""Lookups: the district records a job parameter names, as value and label, for the pickers.

A parameter declares its lookup in its schema (``json_schema_extra={"x-focus-lookup": "schools"}``)
and the screen asks ``GET /api/lookups/{name}``, so an administrator picks "Oak Ridge
Elementary" and the job stores its id. Plain SQL on the Focus table names, filtered and capped
in the database, so a district with 20,000 users answers as fast as one with 20.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from job_library.preferences import PREFERENCES

# Focus's built-in profiles, offered besides those the database names (alerts, preferences).
STANDARD_PROFILES = ("Administrator", "Teacher", "Counselor", "Parent", "Student")
# The preferences whose values are profiles: what they hold is offered too.
_PROFILE_PREFERENCES = sorted(k for k, p in PREFERENCES.items() if p.lookup == "profiles")
MAX_LIMIT = 1000


class UnknownLookup(LookupError):
    """No lookup by that name; the message lists the names there are."""


@dataclass(frozen=True)
class Lookup:
    """One lookup: a query giving ``value``, ``label`` and ``grp`` columns, and the value type.

    :param sql: a SELECT whose rows are the items (any order; filtered, ordered, capped here).
    :param integer: whether values are whole numbers (ids) rather than text (codes, names).
    """

    sql: str
    integer: bool = False


_CODE = "short_name || ' - ' || title"
LOOKUPS: dict[str, Lookup] = {
    "schools": Lookup(
        "SELECT school_id AS value, title AS label, NULL AS grp FROM schools", integer=True
    ),
    "users": Lookup(
        "SELECT u.user_id AS value, "
        "CASE WHEN MAX(s.last_name) IS NULL THEN u.username "
        "ELSE MAX(s.last_name) || ', ' || MAX(s.first_name) || ' (' || u.username || ')' END "
        "AS label, NULL AS grp "
        "FROM users u LEFT JOIN staff s ON s.user_id = u.user_id "
        "GROUP BY u.user_id, u.username",
        integer=True,
    ),
    "profiles": Lookup(
        "SELECT DISTINCT profile AS value, profile AS label, NULL AS grp FROM portal_alerts "
        "WHERE profile IS NOT NULL "
        "UNION SELECT DISTINCT value, value, NULL FROM system_preferences "
        f"WHERE key IN ({', '.join(repr(k) for k in _PROFILE_PREFERENCES)}) "
        + "".join(f"UNION SELECT '{p}', '{p}', NULL " for p in STANDARD_PROFILES)
    ),
    # Codes are kept per school year: one item per short name, the latest title.
    "attendance_codes": Lookup(
        f"SELECT short_name AS value, MAX({_CODE}) AS label, MAX(category) AS grp "
        "FROM attendance_codes GROUP BY short_name"
    ),
    "drop_codes": Lookup(
        f"SELECT short_name AS value, MAX({_CODE}) AS label, NULL AS grp "
        "FROM student_enrollment_codes WHERE type = 'Drop' GROUP BY short_name"
    ),
    "enrollment_codes": Lookup(
        f"SELECT short_name AS value, MAX({_CODE}) AS label, NULL AS grp "
        "FROM student_enrollment_codes WHERE type = 'Add' GROUP BY short_name"
    ),
    "grade_levels": Lookup(
        f"SELECT short_name AS value, {_CODE} AS label, NULL AS grp FROM grade_levels"
    ),
    "tests": Lookup(
        f"SELECT short_name AS value, {_CODE} AS label, NULL AS grp FROM standardized_tests"
    ),
    "deduction_codes": Lookup(
        "SELECT code AS value, code || ' - ' || title AS label, NULL AS grp FROM deduction_codes"
    ),
    "gl_periods": Lookup(
        "SELECT period_id AS value, title AS label, NULL AS grp FROM gl_periods", integer=True
    ),
    # School Choice statuses: those in use, and Focus's five (districts may rename them).
    "choice_statuses": Lookup(
        "SELECT DISTINCT status AS value, status AS label, NULL AS grp "
        "FROM school_choice_application_status"
        + "".join(
            f" UNION SELECT '{s}', '{s}', NULL"
            for s in ("Waiting", "Accepted", "Declined", "Waitlisted", "Pending Acceptance")
        )
    ),
    "student_fields": Lookup(
        "SELECT alias AS value, title AS label, record_table AS grp FROM custom_fields"
    ),
    # ERP > Human Resources > Employment Agreement Maintenance: the Document of a job.
    "employment_agreements": Lookup(
        "SELECT agreement_id AS value, title AS label, NULL AS grp FROM hr_agreements",
        integer=True,
    ),
    # Served from Airflow's connections (see connection_items), not the Focus database.
    "connections": Lookup(""),
}


def names() -> list[str]:
    return sorted(LOOKUPS)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(lookup: Lookup, q: str | None, values: list[str], limit: int) -> sa.TextClause:
    where = []
    binds: dict[str, Any] = {"limit": limit + 1}
    if q:
        where.append(
            "(LOWER(label) LIKE :q ESCAPE '\\' OR LOWER(CAST(value AS VARCHAR(200))) "
            "LIKE :q ESCAPE '\\')"
        )
        binds["q"] = _like(q)
    if values:
        where.append("CAST(value AS VARCHAR(200)) IN :values")
        binds["values"] = values
    text = f"SELECT value, label, grp FROM ({lookup.sql}) AS items"
    if where:
        text += " WHERE " + " AND ".join(where)
    text += " ORDER BY grp, label, value LIMIT :limit"
    clause = sa.text(text)
    if values:
        clause = clause.bindparams(sa.bindparam("values", expanding=True))
    return clause.bindparams(**binds)


def items(
    conn: sa.Connection,
    name: str,
    *,
    q: str | None = None,
    values: Iterable[str] = (),
    limit: int = 200,
    connections: Callable[[], list[tuple[str, str]]] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The lookup's items matching ``q`` (contains, case-blind) and, when given, ``values``;
    at most ``limit`` of them, and whether more matched.

    :param connections: gives Airflow's connections as (conn_id, conn_type) pairs.
    """
    lookup = LOOKUPS.get(name)
    if lookup is None:
        raise UnknownLookup(
            f"there is no lookup named {name[:100]!r} (lookups: {', '.join(names())})"
        )
    limit = max(1, min(limit, MAX_LIMIT))
    wanted = [str(v) for v in values]
    if name == "connections":
        return connection_items(connections() if connections else [], q, wanted, limit)
    # A district without a module has no table for its records: nothing to pick, not an error.
    try:
        rows = conn.execute(_query(lookup, q, wanted, limit)).all()
    except sa.exc.DBAPIError:
        conn.rollback()
        return [], False
    found = [_item(r.value, r.label, r.grp, lookup.integer) for r in rows]
    return found[:limit], len(found) > limit


def _item(value: Any, label: Any, group: Any, integer: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "value": int(value) if integer else str(value),
        "label": str(label if label is not None else value),
    }
    if group is not None:
        item["group"] = str(group)
    return item


def connection_items(
    pairs: list[tuple[str, str]], q: str | None, values: list[str], limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Airflow's connections as items: ``sftp_frontline (sftp)``, grouped by type."""
    found = []
    for conn_id, conn_type in sorted(pairs, key=lambda p: (p[1] or "", p[0])):
        label = f"{conn_id} ({conn_type})" if conn_type else conn_id
        if q and q.lower() not in label.lower():
            continue
        if values and conn_id not in values:
            continue
        found.append({"value": conn_id, "label": label, "group": conn_type or "other"})
    return found[:limit], len(found) > limit
