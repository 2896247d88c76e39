"""Student Fields: Focus's numbered custom fields, read and written by alias, whole sets at once."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from job_library.platform_schema import custom_field_log, custom_field_values, custom_fields

_TRUE = ("y", "yes", "true", "1", "on")
_FALSE = ("n", "no", "false", "0", "off")


class FieldType(StrEnum):
    """How a field's values are read and stored."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    FLAG = "flag"


class RecordTable(StrEnum):
    """Whose value a field holds: one per student, or one per schedule record."""

    STUDENTS = "students"
    SCHEDULE = "schedule"


class StudentFieldError(ValueError):
    """An unknown alias or a value the field's type cannot hold; the message names both."""


@dataclass(frozen=True)
class StudentField:
    """One entry of the field catalog.

    :param field_id: Focus's number (``custom_698`` is 698).
    :param alias: the name jobs use (``ese_code``).
    :param title: what the screens call it.
    :param type: text, number, date or flag.
    :param table: students or schedule.
    :param log_changes: whether every change is written to the field's change log.
    """

    field_id: int
    alias: str
    title: str
    type: FieldType
    table: RecordTable
    log_changes: bool = False

    @property
    def column(self) -> str:
        return f"custom_{self.field_id}"

    def to_text(self, value: Any) -> str | None:
        """The stored text of ``value`` (None clears the field)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if self.type is FieldType.NUMBER:
                number = decimal.Decimal(str(value).strip())
                if not number.is_finite():
                    raise decimal.InvalidOperation
                return format(number.normalize(), "f")
            if self.type is FieldType.DATE:
                if isinstance(value, dt.datetime):
                    value = value.date()
                if isinstance(value, dt.date):
                    return value.isoformat()
                return dt.date.fromisoformat(str(value).strip()).isoformat()
            if self.type is FieldType.FLAG:
                if isinstance(value, bool):
                    return "Y" if value else "N"
                text = str(value).strip().lower()
                if text in _TRUE + _FALSE:
                    return "Y" if text in _TRUE else "N"
                raise ValueError
        except (ValueError, decimal.InvalidOperation):
            raise StudentFieldError(
                f"student field {self.alias} ({self.column}, {self.type}): {value!r} is not a "
                f"valid {self.type}"
            ) from None
        return str(value)

    def from_text(self, text: str) -> Any:
        if self.type is FieldType.NUMBER:
            return decimal.Decimal(text)
        if self.type is FieldType.DATE:
            return dt.date.fromisoformat(text)
        if self.type is FieldType.FLAG:
            return text == "Y"
        return text


@dataclass(frozen=True)
class FieldChange:
    """One entry of a field's change log."""

    record_id: int
    old_value: str | None
    new_value: str | None
    changed_at: dt.datetime
    changed_by: str


def define_field(conn: sa.Connection, field: StudentField) -> None:
    """Add ``field`` to the catalog, or update its alias, title, type and logging."""
    t = custom_fields
    values = {
        "alias": field.alias,
        "title": field.title,
        "field_type": str(field.type),
        "record_table": str(field.table),
        "log_changes": field.log_changes,
    }
    updated = conn.execute(sa.update(t).where(t.c.field_id == field.field_id).values(**values))
    if not updated.rowcount:
        conn.execute(sa.insert(t).values(field_id=field.field_id, **values))


def catalog(conn: sa.Connection) -> list[StudentField]:
    """Every field of the catalog, by number."""
    t = custom_fields
    return [
        StudentField(
            r.field_id,
            r.alias,
            r.title,
            FieldType(r.field_type),
            RecordTable(r.record_table),
            bool(r.log_changes),
        )
        for r in conn.execute(sa.select(t).order_by(t.c.field_id))
    ]


class StudentFields:
    """Reads and writes Student Fields by alias on one connection (a job's transaction).

    Writes are set-based: the new values go into a temporary table in one statement, and the
    log, deletes, updates and inserts are one statement each, whatever the number of students.

    :param connection: a connection to the Focus database.
    :param changed_by: who the change log names (``job rollover-2027``, a user name).
    :param now: the clock the change log uses.
    """

    def __init__(
        self,
        connection: sa.Connection,
        *,
        changed_by: str,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._conn = connection
        self._changed_by = changed_by
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

    def field(self, alias: str) -> StudentField:
        """The field with this alias (or named ``custom_<number>``), case-blind."""
        t = custom_fields
        name = alias.strip().lower()
        query = sa.select(t)
        if name.startswith("custom_") and name[7:].isdigit():
            query = query.where(t.c.field_id == int(name[7:]))
        else:
            query = query.where(sa.func.lower(t.c.alias) == name)
        row = self._conn.execute(query).one_or_none()
        if row is None:
            raise StudentFieldError(
                f"no student field with alias {alias!r}; define it in the field catalog first"
            )
        return StudentField(
            row.field_id,
            row.alias,
            row.title,
            FieldType(row.field_type),
            RecordTable(row.record_table),
            bool(row.log_changes),
        )

    def read(self, alias: str, record_ids: Iterable[int] | None = None) -> dict[int, Any]:
        """{record id: typed value} of every record that has a value (or of ``record_ids``)."""
        field = self.field(alias)
        v = custom_field_values
        query = sa.select(v.c.record_id, v.c.value).where(v.c.field_id == field.field_id)
        if record_ids is not None:
            query = query.where(v.c.record_id.in_(list(record_ids)))
        return {rid: field.from_text(text) for rid, text in self._conn.execute(query)}

    def write(self, alias: str, values: Mapping[int, Any]) -> int:
        """Set each record's value (None clears it); returns how many values changed."""
        field = self.field(alias)
        rows = [{"record_id": int(rid), "value": field.to_text(val)} for rid, val in values.items()]
        staged = self._stage()
        if rows:
            self._conn.execute(sa.insert(staged), rows)
        return self._apply(field, staged)

    def write_from(self, alias: str, source: sa.Select) -> int:
        """Set values from a query of (record_id, value) rows whose value is already the
        field's stored text; a NULL value clears it. Returns how many values changed."""
        field = self.field(alias)
        staged = self._stage()
        self._conn.execute(sa.insert(staged).from_select(["record_id", "value"], source))
        return self._apply(field, staged)

    def changes(self, alias: str, since: dt.datetime | None = None) -> list[FieldChange]:
        """The field's change log, oldest first (optionally only changes after ``since``)."""
        field = self.field(alias)
        log = custom_field_log
        query = sa.select(log).where(log.c.field_id == field.field_id)
        if since is not None:
            query = query.where(log.c.changed_at > since)
        return [
            FieldChange(r.record_id, r.old_value, r.new_value, r.changed_at, r.changed_by)
            for r in self._conn.execute(query.order_by(log.c.id))
        ]

    def _stage(self) -> sa.Table:
        staged = sa.Table(
            "tmp_student_field_write",
            sa.MetaData(),
            sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("value", sa.Text),
            prefixes=["TEMPORARY"],
        )
        staged.drop(self._conn, checkfirst=True)
        staged.create(self._conn)
        return staged

    def _apply(self, field: StudentField, staged: sa.Table) -> int:
        v = custom_field_values
        fid = field.field_id
        old = (
            sa.select(v.c.value)
            .where(v.c.field_id == fid, v.c.record_id == staged.c.record_id)
            .scalar_subquery()
        )
        differs = sa.or_(
            sa.and_(old.is_(None), staged.c.value.is_not(None)),
            sa.and_(old.is_not(None), staged.c.value.is_(None)),
            old != staged.c.value,
        )
        changed = self._conn.execute(
            sa.select(sa.func.count()).select_from(staged).where(differs)
        ).scalar_one()
        if changed and field.log_changes:
            self._conn.execute(
                sa.insert(custom_field_log).from_select(
                    ["field_id", "record_id", "old_value", "new_value", "changed_at", "changed_by"],
                    sa.select(
                        sa.literal(fid, sa.Integer),
                        staged.c.record_id,
                        old,
                        staged.c.value,
                        sa.literal(self._now(), sa.DateTime(timezone=True)),
                        sa.literal(self._changed_by, sa.String),
                    ).where(differs),
                )
            )
        cleared = sa.select(staged.c.record_id).where(staged.c.value.is_(None))
        self._conn.execute(sa.delete(v).where(v.c.field_id == fid, v.c.record_id.in_(cleared)))
        new = sa.select(staged.c.value).where(staged.c.record_id == v.c.record_id)
        self._conn.execute(
            sa.update(v)
            .where(
                v.c.field_id == fid,
                v.c.record_id.in_(sa.select(staged.c.record_id).where(staged.c.value.is_not(None))),
                v.c.value != new.scalar_subquery(),
            )
            .values(value=new.scalar_subquery())
        )
        present = sa.select(v.c.record_id).where(
            v.c.field_id == fid, v.c.record_id == staged.c.record_id
        )
        self._conn.execute(
            sa.insert(v).from_select(
                ["field_id", "record_id", "value"],
                sa.select(sa.literal(fid, sa.Integer), staged.c.record_id, staged.c.value).where(
                    staged.c.value.is_not(None), ~present.exists()
                ),
            )
        )
        staged.drop(self._conn)
        return changed
