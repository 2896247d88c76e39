"""The work of SQL Triggers: rules modelled, checked against the schema, applied set-based."""

from __future__ import annotations

import datetime as dt
import decimal
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

import job_library.schemas as sis
from job_library.base import JobContext, JobResult
from job_library.output import html_table
from job_library.schemas import system as system_tables
from job_library.schemas.system import sql_trigger_rules
from job_library.sis_sql import first_rows

if TYPE_CHECKING:
    from job_library.jobs.system.sql_triggers import SqlTriggersParams

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "empty", "not_empty", "in")
_TRUE, _FALSE = ("true", "yes", "y", "1", "on"), ("false", "no", "n", "0", "off")


class RuleError(ValueError):
    """A rule that cannot be applied; the message names the part and the fix."""


def rule_tables() -> dict[str, sa.Table]:
    """The tables a rule may name: the SIS's, not the jobs' own bookkeeping."""
    own = {t.name for t in vars(system_tables).values() if isinstance(t, sa.Table)}
    return {t.name: t for t in sis.SIS_TABLES if t.name not in own}


@dataclass(frozen=True)
class Rule:
    """One rule as it will run: its statement parts, checked."""

    rule_id: int
    title: str
    table: sa.Table
    where: list[sa.ColumnElement[bool]]
    column: sa.Column
    value: Any


def coerce(column: sa.Column, value: Any) -> Any:
    """``value`` as the column's Python type; RuleError when it cannot hold it."""
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    try:
        if kind is bool:
            text = str(value).strip().lower()
            if isinstance(value, bool) or text in _TRUE + _FALSE:
                return value if isinstance(value, bool) else text in _TRUE
            raise ValueError
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if kind is decimal.Decimal:
            number = decimal.Decimal(str(value).strip())
            if not number.is_finite():
                raise ValueError
            return number
        if kind is dt.datetime:
            return dt.datetime.fromisoformat(str(value).strip())
        if kind is dt.date:
            return dt.date.fromisoformat(str(value).strip())
        text = str(value)
        length = getattr(column.type, "length", None)
        if length is not None and len(text) > length:
            raise RuleError(
                f"value {value!r} is longer than the {length} characters {column.name} holds"
            )
        return text
    except (ValueError, TypeError, decimal.InvalidOperation) as exc:
        if isinstance(exc, RuleError):
            raise
        raise RuleError(
            f"value {value!r} is not a {kind.__name__} as column {column.name} needs"
        ) from None


def _column(table: sa.Table, name: Any, role: str) -> sa.Column:
    if not isinstance(name, str) or name not in table.c:
        raise RuleError(
            f"{role} column {name!r} is not a column of {table.name}; "
            f"choose one of {', '.join(table.c.keys())}"
        )
    return table.c[name]


def _condition(table: sa.Table, spec: Any, n: int) -> sa.ColumnElement[bool]:
    if not isinstance(spec, dict):
        raise RuleError(f"condition {n} is not of the form {{column, op, value}}")
    column = _column(table, spec.get("column"), f"condition {n}:")
    op = spec.get("op")
    if op not in OPERATORS:
        raise RuleError(f"condition {n}: operator {op!r} is not one of {', '.join(OPERATORS)}")
    if op == "empty":
        return column.is_(None)
    if op == "not_empty":
        return column.is_not(None)
    value = spec.get("value")
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RuleError(f"condition {n}: 'in' needs a non-empty list of values")
        return column.in_([coerce(column, v) for v in value])
    if value is None:
        raise RuleError(f"condition {n}: {op!r} needs a value (use empty / not_empty)")
    typed = coerce(column, value)
    return {
        "=": column == typed,
        "!=": column != typed,
        "<": column < typed,
        "<=": column <= typed,
        ">": column > typed,
        ">=": column >= typed,
    }[op]


def build_rule(row: Any, tables: dict[str, sa.Table]) -> Rule:
    """The runnable rule of a stored row; RuleError says what is wrong with it."""
    table = tables.get(row.table_name)
    if table is None:
        raise RuleError(f"table {row.table_name!r} is not a table rules may change")
    conditions = row.conditions
    if not isinstance(conditions, list) or not conditions:
        raise RuleError("a rule needs at least one condition (a rule for every row is refused)")
    where = [_condition(table, spec, n) for n, spec in enumerate(conditions, 1)]
    column = _column(table, row.set_column, "the action's")
    if column.primary_key:
        raise RuleError(f"the action may not change the key column {column.name}")
    value = coerce(column, row.set_value)
    if value is None and not column.nullable:
        raise RuleError(f"column {column.name} cannot be emptied")
    return Rule(row.rule_id, row.title, table, where, column, value)


@dataclass(frozen=True)
class _Outcome:
    rule_id: int
    title: str
    changed: int
    keys: list[tuple]
    error: str | None = None


def apply_rules(context: JobContext, params: SqlTriggersParams) -> JobResult:
    conn = context.connection
    tables = rule_tables()
    r = sql_trigger_rules
    rows = conn.execute(sa.select(r).where(r.c.active.is_(True)).order_by(r.c.rule_id)).all()
    outcomes: list[_Outcome] = []
    for row in rows:
        try:
            rule = build_rule(row, tables)
        except RuleError as exc:
            outcomes.append(_Outcome(row.rule_id, row.title, 0, [], str(exc)))
            continue
        outcomes.append(_apply(conn, rule, params.max_listed))
    return _report(outcomes, params)


def _apply(conn: sa.Connection, rule: Rule, cap: int) -> _Outcome:
    # Rows already holding the value are left alone: a second run changes nothing.
    where = sa.and_(*rule.where, rule.column.is_distinct_from(rule.value))
    keys = list(rule.table.primary_key.columns)
    savepoint = conn.begin_nested()
    try:
        listed = first_rows(conn, sa.select(*keys).where(where).order_by(*keys), cap)
        changed = conn.execute(
            sa.update(rule.table).where(where).values({rule.column.name: rule.value})
        ).rowcount
    except sa.exc.DBAPIError as exc:  # a constraint or a type the database refuses
        savepoint.rollback()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return _Outcome(rule.rule_id, rule.title, 0, [], f"the database refused it: {reason}")
    savepoint.commit()
    return _Outcome(rule.rule_id, rule.title, changed, listed)


def _keys_text(keys: Sequence[tuple]) -> str:
    return ", ".join("/".join(str(v) for v in key) for key in keys)


def _report(outcomes: list[_Outcome], params: SqlTriggersParams) -> JobResult:
    changed = sum(o.changed for o in outcomes)
    bad = [o for o in outcomes if o.error]
    applied = len(outcomes) - len(bad)
    summary = f"Applied {applied} rule(s): {changed} row(s) changed."
    if bad:
        summary += f" {len(bad)} rule(s) could not be applied (listed below)."
    if not outcomes:
        summary = "No active rule is defined; nothing changed."
    lines = [summary]
    rows = []
    for o in outcomes:
        if o.error:
            lines.append(f"  rule {o.rule_id} ({o.title}): not applied: {o.error}")
            rows.append((o.rule_id, o.title, 0, "", f"not applied: {o.error}"))
            continue
        more = o.changed - len(o.keys)
        keys = _keys_text(o.keys) + (f" and {more} more" if more > 0 else "")
        lines.append(
            f"  rule {o.rule_id} ({o.title}): {o.changed} row(s) changed"
            + (f": {keys}" if o.changed else "")
        )
        rows.append((o.rule_id, o.title, o.changed, keys if o.changed else "", "applied"))
    return JobResult(
        success=not bad,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>"
        + html_table(("Rule", "Title", "Rows changed", "Rows", "Outcome"), rows),
        counts={"rules_applied": applied, "rules_failed": len(bad), "rows_changed": changed},
    )
