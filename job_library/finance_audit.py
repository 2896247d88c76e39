"""The finance audit trail: one finance_audit row per financial record a job changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Actor:
    """Who changes financial records, for the audit rows and the records' own stamps.

    :param who: ``job <scheduled job id>``, as the records' created_by / voided_by.
    :param job_key: the job class's catalog key.
    :param at: when (the run's clock, district time zone).
    """

    who: str
    job_key: str
    at: dt.datetime


def actor_of(context, job_key: str) -> Actor:
    """The actor of a job run: its scheduled job id, class key and the run's clock."""
    return Actor(who=f"job {context.job_id}", job_key=job_key, at=context.now())


def money_text(conn: sa.Connection, value: sa.ColumnElement) -> sa.ColumnElement:
    """An amount as text with exactly two decimals (``10.10``), or NULL, the same on SQLite
    and Postgres: an audit's JSON must never turn money into a binary float (``10.1``)."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.cast(value, sa.Numeric(18, 2)), sa.Text)
    return sa.case((value.is_(None), sa.null()), else_=sa.func.printf("%.2f", value))


def json_object(conn: sa.Connection, **values: sa.ColumnElement) -> sa.ColumnElement:
    """A JSON object of named SQL values, built in the database (SQLite or Postgres)."""
    args: list = []
    for name, value in values.items():
        args += [sa.literal(name), value]
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.json_build_object(*args), sa.Text)
    return sa.func.json_object(*args)


def record_audit(
    conn: sa.Connection,
    actor: Actor,
    *,
    table: str,
    change: str,
    rows: sa.Select,
) -> int:
    """Write the audit rows of one set-based change in the same transaction.

    :param table: the changed table's name.
    :param change: ``insert``, ``update`` or ``delete``.
    :param rows: a SELECT of three columns: record id, old values and new values (JSON text
        or NULL), one row per changed record. Run it before an update (for the old values)
        or after an insert (for the new ones), whichever sees what it must.
    :returns: how many audit rows were written.
    """
    from job_library.schemas.finance import finance_audit

    sub = rows.subquery("changed")
    record_id, old, new = list(sub.c)
    select = sa.select(
        sa.literal(table, sa.String),
        record_id,
        sa.literal(change, sa.String),
        old,
        new,
        sa.literal(actor.who, sa.String),
        sa.literal(actor.job_key, sa.String),
        sa.literal(actor.at, sa.DateTime(timezone=True)),
    )
    columns = [
        "table_name",
        "record_id",
        "change",
        "old_values",
        "new_values",
        "changed_by",
        "job_key",
        "changed_at",
    ]
    return conn.execute(sa.insert(finance_audit).from_select(columns, select)).rowcount


def audit_new_invoices(
    conn: sa.Connection,
    actor: Actor,
    narrow: Callable[[sa.Select], sa.Select],
    **origin: sa.ColumnElement,
) -> None:
    """Audit the invoices a job has just created, and their lines.

    :param narrow: limits a SELECT that reads ``invoices`` to the new ones (a join or a WHERE).
    :param origin: what made each invoice (its interval key, its installment), kept in the JSON.
    """
    from job_library.schemas.finance import invoice_lines, invoices

    inv, lines = invoices, invoice_lines
    record_audit(
        conn,
        actor,
        table="invoices",
        change="insert",
        rows=narrow(
            sa.select(
                inv.c.invoice_id,
                sa.null(),
                json_object(
                    conn,
                    invoice_number=inv.c.invoice_number,
                    kind=inv.c.kind,
                    student_id=inv.c.student_id,
                    **origin,
                    due_date=sa.cast(inv.c.due_date, sa.String),
                ),
            )
        ),
    )
    record_audit(
        conn,
        actor,
        table="invoice_lines",
        change="insert",
        rows=narrow(
            sa.select(
                lines.c.line_id,
                sa.null(),
                json_object(
                    conn,
                    invoice_id=lines.c.invoice_id,
                    fee_id=lines.c.fee_id,
                    amount=money_text(conn, lines.c.amount),
                ),
            ).join(inv, inv.c.invoice_id == lines.c.invoice_id)
        ),
    )
