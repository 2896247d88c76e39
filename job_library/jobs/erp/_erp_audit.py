"""The audit trail of the ERP finance and HR jobs: one erp_change_log row per changed field."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext


def money_text(conn: sa.Connection, expr: str) -> str:
    """SQL for an amount as text with exactly two decimals (``12.50``), or NULL."""
    if conn.dialect.name == "postgresql":
        return f"CAST(CAST({expr} AS NUMERIC(12, 2)) AS VARCHAR)"
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE printf('%.2f', {expr}) END"


def changed_by(context: JobContext) -> str:
    """Who made a change: the scheduled job, by id and title."""
    return f"job {context.job_id} ({context.job_title})"[:120]


def log_changes(
    context: JobContext, table: str, field: str, select_sql: str, params: dict | None = None
) -> int:
    """Record one change per row of ``select_sql`` (record_id, old_value, new_value).

    :returns: how many changes were logged.
    """
    sql = (
        "INSERT INTO erp_change_log (table_name, record_id, field, old_value, new_value, "
        "changed_by, changed_at) SELECT :table_name, x.record_id, :field, x.old_value, "
        f"x.new_value, :who, :at FROM ({select_sql}) x"
    )
    stamp = sa.bindparam("at", type_=sa.DateTime(timezone=True))
    return context.connection.execute(
        sa.text(sql).bindparams(stamp),
        {
            **(params or {}),
            "table_name": table,
            "field": field,
            "who": changed_by(context),
            "at": context.now().astimezone(dt.UTC),
        },
    ).rowcount
