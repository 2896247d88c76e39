"""Scheduled Imports: an import template (file drop, CSV options, table, mapping) run as a job."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from job_library.base import Job, JobContext, JobKind, JobResult, RemoteFileError, RemoteSource
from job_library.file_drop import checksum, earlier_import, record_import, settled, survey
from job_library.jobs.integrations.import_targets import TARGETS
from job_library.output import html_table

# The catalog's own bookkeeping and the district's configuration are never import targets:
# a vendor's file must not rewrite the site profile, System Preferences (whose values are
# typed and admin-only), Student Fields behind their change log, the runs' records, or the
# finance audit trail (only the jobs that change money write it).
_NOT_IMPORTABLE = frozenset(
    {
        "job_output",
        "processed_files",
        "worker_checks",
        "site_profile",
        "system_preferences",
        "seeded_defaults",
        "custom_fields",
        "custom_field_values",
        "custom_field_log",
        "finance_audit",
    }
)
_LISTED = 200
_CHUNK = 500
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
# The whole numbers each integer type holds on Postgres (SQLite holds more, never less).
_INTEGER_BITS = ((sa.SmallInteger, 16), (sa.BigInteger, 64), (sa.Integer, 32))


def importable_tables() -> list[str]:
    """The Focus tables an import template may write."""
    return sorted(name for name in TARGETS if name not in _NOT_IMPORTABLE)


def _required(column: sa.Column) -> bool:
    """Whether a new row needs a value for ``column`` from the file."""
    generated = column.primary_key and column.autoincrement is True
    has_default = column.default is not None or column.server_default is not None
    return not column.nullable and not generated and not has_default


def _unique_sets(table: str) -> list[frozenset[str]]:
    """The primary key and every unique column set of ``table``, each once."""
    return [frozenset(keys) for keys in TARGETS[table][2]]


class ImportTemplate(BaseModel):
    """An import template: where the files come from, how to read them, where rows go."""

    model_config = ConfigDict(extra="forbid")

    connection: str = Field(
        json_schema_extra={"x-focus-lookup": "connections"},
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        title="SFTP connection",
        description="The Airflow connection of the SFTP server (credentials live there).",
    )
    directory: str = Field(
        title="Directory", description="The folder on the server, e.g. /imports/staff."
    )
    file_pattern: str = Field(
        title="File pattern", description="Which files to import, e.g. staff_*.csv."
    )
    processed_folder: str = Field(
        default="processed",
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        title="Processed folder",
        description="Sub-folder of the directory that imported files are moved to.",
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, title="Delimiter")
    quote_char: str = Field(default='"', min_length=1, max_length=1, title="Quote character")
    encoding: Literal["utf-8", "cp1252", "latin-1"] = Field(default="utf-8", title="Encoding")
    target_table: str = Field(
        title="Target table",
        json_schema_extra=lambda schema: schema.update(enum=importable_tables()),
    )
    column_mapping: dict[str, str] = Field(
        min_length=1,
        title="Column mapping",
        description='File column to table column, e.g. {"Employee ID": "ein"}.',
    )
    key_columns: list[str] = Field(
        min_length=1,
        title="Key columns",
        description='Table columns that identify a row for the upsert, e.g. ["ein"].',
    )

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        parts = value.split("/")
        if not value.startswith("/") or ".." in parts or "." in parts[1:] or "\\" in value:
            raise ValueError("must be an absolute folder without '..', e.g. /imports/staff")
        if not value.strip("/"):
            raise ValueError(
                "must be a folder of its own, not the server's root, e.g. /imports/staff"
            )
        if any(not c.isprintable() for c in value):
            raise ValueError("must not hold control characters")
        return value.rstrip("/")

    @field_validator("processed_folder")
    @classmethod
    def _inside_directory(cls, value: str) -> str:
        # The pattern already forbids "/"; only dots could still leave the directory.
        if not value.strip("."):
            raise ValueError("must be a sub-folder name inside the directory, e.g. processed")
        return value

    @field_validator("delimiter", "quote_char")
    @classmethod
    def _one_visible_character(cls, value: str, info: ValidationInfo) -> str:
        if value != "\t" and (not value.isprintable() or value.isalnum() or value == " "):
            raise ValueError(
                "must be one printable character that is not a letter, digit or space "
                '(or a tab), e.g. , ; | or "'
            )
        if info.field_name == "quote_char" and value == info.data.get("delimiter"):
            raise ValueError("must differ from the delimiter")
        return value

    @field_validator("file_pattern")
    @classmethod
    def _plain_pattern(cls, value: str) -> str:
        if not value or "/" in value or "\\" in value:
            raise ValueError("must be a file name pattern without folders, e.g. staff_*.csv")
        return value

    @field_validator("target_table")
    @classmethod
    def _known_table(cls, value: str) -> str:
        if value not in importable_tables():
            tables = ", ".join(importable_tables())
            raise ValueError(f"is not a Focus table; choose one of {tables}")
        return value

    @field_validator("column_mapping")
    @classmethod
    def _mapped_columns_exist(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        table = info.data.get("target_table", "")
        if table not in TARGETS:
            return value  # the target table's own error says what is wrong
        columns, required, _ = TARGETS[table]
        targets = list(value.values())
        unknown = sorted(set(targets) - set(columns))
        if unknown:
            raise ValueError(
                f"names {', '.join(unknown)}, not columns of {table} "
                f"(its columns: {', '.join(columns)})"
            )
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise ValueError(f"maps two file columns to {', '.join(twice)}")
        missing = [c for c in required if c not in targets]
        if missing:
            raise ValueError(f"{table} needs {', '.join(missing)} for new rows: map them")
        return value

    @field_validator("key_columns")
    @classmethod
    def _keys_identify_a_row(cls, value: list[str], info: ValidationInfo) -> list[str]:
        table = info.data.get("target_table", "")
        mapping = info.data.get("column_mapping")
        if table not in TARGETS or mapping is None:
            return value
        unmapped = [k for k in value if k not in mapping.values()]
        if unmapped:
            raise ValueError(f"{', '.join(unmapped)} must be mapped from the file")
        if frozenset(value) not in _unique_sets(table):
            keys = " | ".join(",".join(sorted(s)) for s in _unique_sets(table))
            raise ValueError(
                f"{','.join(value)} do not identify a row of {table}: use its primary "
                f"key or a unique column set ({keys})"
            )
        return value


def template_conflicts(
    template: ImportTemplate,
    others: list[tuple[str, ImportTemplate]],
    owned_connections: dict[str, str],
) -> list[tuple[str, str, str]]:
    """Why a template would reach files that belong to someone else, as (field, value, why).

    :param template: the template being saved.
    :param others: (job id, template) of every other active scheduled import.
    :param owned_connections: connection id -> title of the integration class that owns it.
    """
    found: list[tuple[str, str, str]] = []
    owner = owned_connections.get(template.connection)
    if owner is not None:
        found.append(
            (
                "connection",
                template.connection,
                f"belongs to the {owner} integration: give the import a connection of its own",
            )
        )
    processed = f"{template.directory}/{template.processed_folder}"
    for job_id, other in others:
        if other.connection != template.connection:
            continue
        other_processed = f"{other.directory}/{other.processed_folder}"
        if template.directory == other.directory:
            found.append(
                ("directory", template.directory, f"is already read by the job '{job_id}'")
            )
        elif template.directory == other_processed:
            found.append(
                (
                    "directory",
                    template.directory,
                    f"is where the job '{job_id}' moves the files it imported",
                )
            )
        elif processed == other.directory:
            found.append(
                (
                    "processed_folder",
                    template.processed_folder,
                    f"would move files into {processed}, which the job '{job_id}' reads",
                )
            )
    return found


@dataclass(frozen=True)
class Rejected:
    file: str
    line: int
    column: str
    value: str
    reason: str


class MalformedFile(ValueError):
    """The file cannot be read as a whole: none of it is imported and it stays put."""


def convert(column: sa.Column, text: str) -> Any:
    """``text`` as a value of ``column``; ValueError says why it is not one."""
    if text == "":
        if _required(column) or column.primary_key:
            raise ValueError("is required")
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("is not yes/no (true, false, y, n, 1, 0)")
    if isinstance(kind, sa.Integer):
        try:
            number = int(text)
        except ValueError:
            raise ValueError("is not a whole number") from None
        bits = next(b for t, b in _INTEGER_BITS if isinstance(kind, t))
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise ValueError(f"is out of range (a {bits}-bit whole number)")
        return number
    if isinstance(kind, sa.Numeric):
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError("is not a number") from None
        if not number.is_finite():
            raise ValueError("is not a number")
        scale = kind.scale or 0
        if kind.precision is not None:
            if -number.as_tuple().exponent > scale:
                raise ValueError(f"has more than {scale} decimal place(s)")
            if abs(number) >= Decimal(10) ** (kind.precision - scale):
                raise ValueError(f"is too large (at most {kind.precision - scale} digit(s))")
        return number
    if isinstance(kind, sa.DateTime):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a date and time (YYYY-MM-DD HH:MM)") from None
        except OverflowError:
            raise ValueError("is out of range") from None
    if isinstance(kind, sa.Date):
        for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
        raise ValueError("is not a date (YYYY-MM-DD or MM/DD/YYYY)")
    length = getattr(kind, "length", None)
    if length is not None and len(text) > length:
        raise ValueError(f"is longer than {length} characters")
    return text


def read_rows(data: bytes, template: ImportTemplate) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {file column: text}) of each data row; MalformedFile for an unreadable file."""
    try:
        text = data.decode(template.encoding)
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"not {template.encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=template.delimiter,
        quotechar=template.quote_char,
        strict=True,
    )
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in template.column_mapping if c not in header]
        if missing:
            raise MalformedFile(
                f"the header has no column {', '.join(repr(c) for c in missing)} "
                f"(it has {', '.join(repr(h) for h in header) or 'nothing'})"
            )
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise MalformedFile(
                    f"line {reader.line_num} has {len(fields)} field(s), expected {len(header)}"
                )
            yield reader.line_num, dict(zip(header, (f.strip() for f in fields), strict=True))
    except csv.Error as exc:
        raise MalformedFile(f"line {reader.line_num}: {exc}") from None


class ScheduledImport(Job):
    key = "scheduled_import"
    title = "Scheduled Import"
    description = (
        "Runs an import template: waits for files matching the pattern in the directory of "
        "the SFTP connection, reads them with the template's CSV options (header required), "
        "checks every row against the target table's columns (types, required values, lengths, "
        "references, unique values) and upserts the good rows by the key columns, all files of "
        "a run in one transaction. Rejected rows are listed with file, line, column and reason; "
        "a malformed file (missing column, bad encoding, truncated line) is left where it is and "
        "nothing of it is imported. Imported files move to the processed folder; a file "
        "identical to one already imported is moved without being imported again. Symbolic "
        "links and names that are not UTF-8 are reported and left alone; hidden, partial and "
        "still-changing files are not taken."
    )
    module = "Importer"
    kind = JobKind.IMPORT
    params_model = ImportTemplate
    example_params = {
        "connection": "district_sftp",
        "directory": "/imports/staff",
        "file_pattern": "staff_*.csv",
        "target_table": "employees",
        "column_mapping": {"Employee ID": "ein", "Last": "last_name"},
        "key_columns": ["ein"],
    }

    @classmethod
    def remote_source(cls, params: ImportTemplate) -> RemoteSource:
        return RemoteSource(params.connection, params.directory, params.file_pattern)

    def run(self, context: JobContext, params: ImportTemplate) -> JobResult:
        import job_library.schemas  # noqa: F401  (every Focus table is a target, SIS ones too)
        from job_library.schema import metadata

        remote = context.remote
        if remote is None:
            raise RuntimeError(f"the import needs the SFTP connection {params.connection!r}")
        folder = params.directory
        base = folder.rstrip("/")
        processed = f"{base}/{params.processed_folder}"
        drop = survey(remote, folder, params.file_pattern)
        notes: list[str] = list(drop.refused)
        ready, waiting = settled(remote, [f"{base}/{n}" for n in drop.files])
        notes += [
            f"{path} is still being written (its size or time keeps changing): left for the "
            "next run."
            for path in waiting
        ]
        totals = {"files": 0, "inserted": 0, "updated": 0, "unchanged": 0, "malformed_files": 0}
        totals["refused_files"] = len(drop.refused)
        if not ready:
            summary = f"No file matching {params.file_pattern} in {folder}: nothing to do."
            if notes:
                summary += " " + " ".join(notes)
            return JobResult.message(not drop.refused, summary, {"files": 0, **totals})
        try:
            remote.makedirs(processed)
        except RemoteFileError as exc:
            summary = f"The import cannot prepare its processed folder: {exc}. Nothing was read."
            return JobResult.message(False, summary, {"files": 0})
        table = metadata.tables[params.target_table]
        stamp = f"{context.now():%Y%m%d%H%M%S}"
        rejected: list[Rejected] = []
        for path in ready:
            name = path.rsplit("/", 1)[1]
            stem, dot, ext = name.rpartition(".")
            moved = f"{processed}/{stem or ext}_{stamp}{dot + ext if stem else ''}"
            try:
                data = remote.read(path)
            except RemoteFileError as exc:
                totals["refused_files"] += 1
                notes.append(f"{exc}; the file was left where it is for the next run.")
                continue
            sha = checksum(data)
            earlier = earlier_import(context.connection, context.job_id, sha)
            if earlier is not None:
                notes.append(
                    f"{path} is identical to {earlier.file_name}, imported "
                    f"{earlier.processed_at:%Y-%m-%d %H:%M}: not imported again; moved to {moved}."
                )
                context.after_commit(lambda path=path, moved=moved: remote.rename(path, moved))
                continue
            try:
                rows = list(read_rows(data, params))
            except MalformedFile as exc:
                totals["malformed_files"] += 1
                notes.append(
                    f"{path} is malformed: {exc}. Nothing of it was imported; it was left where "
                    "it is."
                )
                continue
            good, bad = _validate(context.connection, table, params, path, rows)
            inserted, updated, unchanged = _upsert(context.connection, table, params, good)
            record_import(context.connection, context.job_id, path, sha, len(rows))
            context.after_commit(lambda path=path, moved=moved: remote.rename(path, moved))
            rejected += bad
            totals["files"] += 1
            totals["inserted"] += inserted
            totals["updated"] += updated
            totals["unchanged"] += unchanged
            notes.append(f"{path}: {len(rows)} row(s); moved to {moved}.")
        totals["rejected_rows"] = len(rejected)
        return _report(table.name, totals, notes, rejected)


def _validate(
    conn: sa.Connection,
    table: sa.Table,
    template: ImportTemplate,
    path: str,
    rows: list[tuple[int, dict[str, str]]],
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """Converted rows that can be upserted, and every row refused with its reason."""
    rejected: list[Rejected] = []
    converted: list[tuple[int, dict[str, Any]]] = []
    for line, raw in rows:
        values, problem = {}, None
        for file_column, column in template.column_mapping.items():
            try:
                values[column] = convert(table.c[column], raw[file_column])
            except ValueError as exc:
                problem = Rejected(path, line, file_column, raw[file_column], str(exc))
                break
        if problem is None:
            converted.append((line, values))
        else:
            rejected.append(problem)
    keys = template.key_columns
    checks = [_check_repeated_keys(keys)]
    checks += [_check_reference(conn, table, fk, template) for fk in table.foreign_keys]
    for unique in _unique_sets(table.name):
        if unique != frozenset(keys) and unique <= set(template.column_mapping.values()):
            checks.append(_check_unique(conn, table, sorted(unique), keys, template))
    for check in checks:
        if check is None:
            continue
        kept = []
        refused = check([v for _, v in converted], [line for line, _ in converted])
        for (line, values), reason in zip(converted, refused, strict=True):
            if reason is None:
                kept.append((line, values))
            else:
                column, reason_text = reason
                value = "" if values.get(column) is None else str(values[column])
                file_column = _file_column(template, column)
                rejected.append(Rejected(path, line, file_column, value, reason_text))
        converted = kept
    rejected.sort(key=lambda r: r.line)
    return [values for _, values in converted], rejected


def _file_column(template: ImportTemplate, column: str) -> str:
    return next(f for f, c in template.column_mapping.items() if c == column)


def _check_repeated_keys(keys: list[str]):
    def check(values: list[dict], lines: list[int]) -> list[tuple[str, str] | None]:
        first: dict[tuple, int] = {}
        out = []
        for row, line in zip(values, lines, strict=True):
            key = tuple(row[k] for k in keys)
            if key in first:
                out.append((keys[0], f"repeats the key of line {first[key]}"))
            else:
                first[key] = line
                out.append(None)
        return out

    return check


def _check_reference(conn, table, fk: sa.ForeignKey, template: ImportTemplate):
    column = fk.parent.name
    if column not in template.column_mapping.values():
        return None
    target = fk.column

    def check(values: list[dict], lines: list[int]) -> list[tuple[str, str] | None]:
        wanted = sorted({v[column] for v in values if v[column] is not None}, key=str)
        found = set()
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            found |= set(conn.execute(sa.select(target).where(target.in_(chunk))).scalars())
        reason = f"no {target.table.name} row has this {target.name}"
        return [
            None if v[column] is None or v[column] in found else (column, reason) for v in values
        ]

    return check


def _check_unique(conn, table: sa.Table, columns: list[str], keys: list[str], template):
    """Rows whose unique values belong to another row (in the table or earlier in the file)."""

    def check(values: list[dict], lines: list[int]) -> list[tuple[str, str] | None]:
        wanted = {tuple(v[c] for c in columns) for v in values}
        wanted = {w for w in wanted if None not in w}
        owner: dict[tuple, tuple] = {}
        cols = [table.c[c] for c in columns]
        wanted_list = sorted(wanted, key=str)
        for i in range(0, len(wanted_list), _CHUNK):
            chunk = wanted_list[i : i + _CHUNK]
            query = sa.select(*cols, *[table.c[k] for k in keys]).where(
                sa.tuple_(*cols).in_(chunk) if len(cols) > 1 else cols[0].in_([c[0] for c in chunk])
            )
            for row in conn.execute(query):
                owner[tuple(row[: len(cols)])] = tuple(row[len(cols) :])
        out = []
        for v in values:
            unique = tuple(v[c] for c in columns)
            key = tuple(v[k] for k in keys)
            if None in unique:
                out.append(None)
            elif owner.setdefault(unique, key) != key:
                out.append((columns[0], f"{', '.join(columns)} belongs to another row"))
            else:
                out.append(None)
        return out

    return check


def _upsert(
    conn: sa.Connection, table: sa.Table, template: ImportTemplate, rows: list[dict[str, Any]]
) -> tuple[int, int, int]:
    """Insert new rows and update changed ones by the key; (inserted, updated, unchanged)."""
    if not rows:
        return 0, 0, 0
    keys = template.key_columns
    mapped = list(template.column_mapping.values())
    existing: dict[tuple, tuple] = {}
    key_cols = [table.c[k] for k in keys]
    for i in range(0, len(rows), _CHUNK):
        chunk = [tuple(r[k] for k in keys) for r in rows[i : i + _CHUNK]]
        where = (
            sa.tuple_(*key_cols).in_(chunk)
            if len(keys) > 1
            else key_cols[0].in_([c[0] for c in chunk])
        )
        for row in conn.execute(sa.select(*key_cols, *[table.c[c] for c in mapped]).where(where)):
            existing[tuple(row[: len(keys)])] = tuple(row[len(keys) :])
    new = [r for r in rows if tuple(r[k] for k in keys) not in existing]
    changed = [
        r
        for r in rows
        if (old := existing.get(tuple(r[k] for k in keys))) is not None
        and old != tuple(r[c] for c in mapped)
    ]
    todo = new + changed
    if todo:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(table)
        others = [c for c in mapped if c not in keys]
        if others:
            statement = statement.on_conflict_do_update(
                index_elements=keys, set_={c: statement.excluded[c] for c in others}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        for i in range(0, len(todo), _CHUNK):
            conn.execute(statement, todo[i : i + _CHUNK])
    return len(new), len(changed), len(rows) - len(todo)


def _report(
    table: str, totals: dict[str, int], notes: list[str], rejected: list[Rejected]
) -> JobResult:
    summary = (
        f"Imported {totals['files']} file(s) into {table}: {totals['inserted']} inserted, "
        f"{totals['updated']} updated, {totals['unchanged']} unchanged, "
        f"{len(rejected)} rejected."
    )
    if totals["files"] and not (totals["inserted"] or totals["updated"]):
        summary += " Nothing changed."
    lines = [summary, *notes] + [
        f"  {r.file} line {r.line}, column {r.column!r} ({r.value!r}): {r.reason}" for r in rejected
    ]
    shown = rejected[:_LISTED]
    table_html = html_table(
        ("File", "Line", "Column", "Value", "Reason"),
        [(r.file, r.line, r.column, r.value, r.reason) for r in shown],
    )
    more = (
        f"<p>{len(rejected) - _LISTED} more rejected rows are listed in the text output.</p>"
        if len(rejected) > _LISTED
        else ""
    )
    notes_html = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return JobResult(
        success=totals["malformed_files"] == 0 and totals.get("refused_files", 0) == 0,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{notes_html}{table_html if rejected else ''}{more}",
        counts=totals,
    )
