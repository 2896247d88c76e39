"""Frontline Leave (ERP): leave requests and substitute fulfilments from Frontline over SFTP."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult, RemoteFileError
from job_library.file_drop import (
    checksum,
    combined,
    earlier_import,
    ledgered_names,
    record_import,
    settled,
    survey,
)
from job_library.output import html_table
from job_library.site import AddOn

if TYPE_CHECKING:
    import pandas as pd

FOLDER = "/FromAesop"
SOURCE = f"{FOLDER}/Frontline_Leave.csv"
# What a run renames the file to as it starts (its claim on it).
_CLAIM = re.compile(r"Leave_\d{14}\.csv")
COLUMNS = (
    "confirmation_number",
    "ein",
    "leave_date",
    "start_time",
    "end_time",
    "hours",
    "reason",
    "substitute_ein",
    "substitute_name",
)
_LISTED = 200
# The columns' room in leave_requests / substitute_fulfillments: a longer value rejects its row.
_MAX_LENGTH = {
    "confirmation_number": 40,
    "start_time": 5,
    "end_time": 5,
    "reason": 100,
    "substitute_ein": 20,
    "substitute_name": 200,
}


class MalformedFile(ValueError):
    """The file as a whole cannot be read: nothing is imported and it stays where it is."""


@dataclass(frozen=True)
class Rejected:
    line: int
    column: str
    value: str
    reason: str


class FrontlineLeaveParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skip_substitutes: bool = Field(
        default=False,
        title="Skip processing of substitutes",
        description="Import the leave requests only, not the substitutes who filled them.",
    )


def parse(data: bytes) -> pd.DataFrame:
    """The rows of a Frontline file as text columns plus ``line``; raises MalformedFile.

    The file is UTF-8 CSV (a byte-order mark is allowed) with a header naming exactly the
    columns in COLUMNS, in any order; every line has as many fields as the header.
    """
    import pandas as pd  # loaded by a run, not by every DAG-file parse

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded"
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise MalformedFile("the file is empty: expected a header line")
    header = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    missing = [c for c in COLUMNS if c not in header]
    unexpected = [h for h in header if h not in COLUMNS]
    if missing or unexpected:
        raise MalformedFile(
            f"wrong header {','.join(header)!r}: missing {missing or 'nothing'}, "
            f"unexpected {unexpected or 'nothing'}; expected {','.join(COLUMNS)}"
        )
    body = lines[1:]
    # One row per line. Counting each line's fields is slow in pandas: skip it when no field
    # is quoted and the commas add up to full rows. Then a short line implies a long one,
    # which pandas rejects below, and the count then names the first bad line.
    commas = text.count(",") - lines[0].count(",")
    # (A line of spaces counts as a row here: the commas then fall short and every line is
    # counted exactly.)
    rows = len(body) - body.count("")
    if '"' in text or commas != (len(header) - 1) * rows:
        _check_fields(pd.Series(body, dtype=object), len(header))
    try:
        # From the bytes in one piece (no chunks to join): about a quarter faster than
        # from the decoded text; the decoding above has already proved them UTF-8.
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8-sig",
            dtype=str,
            na_filter=False,
            engine="c",
            low_memory=False,
            skip_blank_lines=False,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        _check_fields(pd.Series(body, dtype=object), len(header))
        raise MalformedFile(str(exc).replace("Error tokenizing data. C error: ", "")) from None
    frame.columns = header
    frame["line"] = range(2, len(frame) + 2)
    # Each row's line as sent, for staging it without writing it again (plain Python strings:
    # they are only read back as a list).
    frame["raw"] = pd.array(body, dtype=object)
    # A row of empty fields is skipped; comparing every column is slow in pandas, so only
    # on the rows without a confirmation number.
    maybe_blank = frame["confirmation_number"] == ""
    if maybe_blank.any():
        blank = maybe_blank & (frame[list(COLUMNS)] == "").all(axis=1)
        frame = frame[~blank].reset_index(drop=True)
    frame.attrs["header"] = header
    # Stripping is a Python-level loop in pandas: only pay for it when some field has spaces.
    frame.attrs["stripped"] = False
    if _edge_space("\n".join(body)):
        frame.attrs["stripped"] = True
        for column in COLUMNS:
            frame[column] = frame[column].str.strip()
    return frame


def _edge_space(body: str) -> bool:
    """Whether a field of ``body`` (lines joined by newlines) starts or ends with white space:
    a white space character next to a comma, a newline or either end of the text."""
    if body.isascii():  # the usual file: a few substring searches instead of a set of chars
        spaces = [c for c in " \t\r\x0b\x0c\x1c\x1d\x1e\x1f" if c in body]
    else:
        spaces = [c for c in set(body) if c.isspace() and c != "\n"]
    return any(
        body.startswith(c)
        or body.endswith(c)
        or any(f"{a}{c}" in body for a in ",\n")
        or any(f"{c}{b}" in body for b in ",\n")
        for c in spaces
    )


def _check_fields(raw: pd.Series, expected: int) -> None:
    """Raise MalformedFile naming the first non-blank line without ``expected`` fields."""
    fields = raw.str.count(",") + 1
    for i in raw.index[raw.str.contains('"', regex=False)]:
        fields[i] = len(next(csv.reader([raw[i]])))
    blank = raw.str.strip() == ""
    broken = raw.index[(fields != expected) & ~blank]
    if len(broken):
        line = int(broken[0]) + 2
        raise MalformedFile(
            f"line {line} has {fields[broken[0]]} field(s), expected {expected} "
            "(a truncated or broken line)"
        )


def _validate(
    frame: pd.DataFrame, employee_ids: dict[str, int]
) -> tuple[pd.DataFrame, list[Rejected]]:
    """Valid rows (typed, with employee_id) and every problem of the others, vectorised."""
    import numpy as np
    import pandas as pd

    dates = pd.to_datetime(frame["leave_date"], format="%Y-%m-%d", errors="coerce")
    hours = pd.to_numeric(frame["hours"], errors="coerce")
    # Each row's place among the known EINs (-1: unknown) answers both whether the employee
    # exists and which id is theirs, with one hash lookup per row.
    eins = pd.Index(list(employee_ids), dtype=object)
    ids = np.fromiter(employee_ids.values(), dtype=np.int64, count=len(employee_ids))
    found = eins.get_indexer(frame["ein"])
    checks = [
        ("confirmation_number", frame["confirmation_number"] != "", "is required"),
        ("ein", pd.Series(found >= 0, index=frame.index), "no employee has this EIN"),
        ("leave_date", dates.notna(), "is not a date (YYYY-MM-DD)"),
        ("hours", (hours > 0) & (hours <= 24), "is not a number of hours (0-24]"),
    ]
    checks += [
        (column, frame[column].str.len() <= limit, f"is longer than {limit} characters")
        for column, limit in _MAX_LENGTH.items()
    ]
    ok = pd.Series(True, index=frame.index)
    for _, passed, _ in checks:
        ok &= passed
    repeated = ok & frame.assign(day=dates).duplicated(["confirmation_number", "day"])
    # Rejected rows' values are read column by column, not cell by cell (slow in pandas).
    rejected = [
        Rejected(int(line), column, value, reason)
        for column, passed, reason in checks
        for line, value in zip(
            frame["line"][~passed].tolist(), frame[column][~passed].tolist(), strict=True
        )
    ]
    rejected += [
        Rejected(
            int(line),
            "confirmation_number",
            number,
            f"repeats the absence of {day} earlier in the file",
        )
        for line, number, day in zip(
            frame["line"][repeated].tolist(),
            frame["confirmation_number"][repeated].tolist(),
            frame["leave_date"][repeated].tolist(),
            strict=True,
        )
    ]
    rejected.sort(key=lambda r: r.line)
    kept = ok & ~repeated
    good = frame[kept]  # copy-on-write: the column added below is good's alone
    # leave_date stays its validated YYYY-MM-DD text: the database reads it as a date.
    good["employee_id"] = ids[found[kept.to_numpy()]]
    good.attrs.update(frame.attrs)  # how the rows were read decides how they are staged
    return good, rejected


_STAGE_COLUMNS = (
    "confirmation_number",
    "leave_date",
    "employee_id",
    "start_time",
    "end_time",
    "hours",
    "reason",
    "substitute_ein",
    "substitute_name",
)


def _stage(conn: sa.Connection, good: pd.DataFrame, source_file: str) -> sa.Table:
    """The valid rows in a temporary table: COPY on Postgres, one batched insert elsewhere.
    Every row's source_file is the column's default."""
    quoted = "'" + source_file.replace("'", "''") + "'"
    stage = sa.Table(
        "tmp_frontline_leave",
        sa.MetaData(),
        sa.Column("confirmation_number", sa.String(40)),
        sa.Column("ein", sa.String(20)),
        sa.Column("leave_date", sa.Date),
        sa.Column("employee_id", sa.Integer),
        sa.Column("start_time", sa.String(5)),
        sa.Column("end_time", sa.String(5)),
        sa.Column("hours", sa.Numeric(6, 2)),
        sa.Column("reason", sa.String(100)),
        sa.Column("substitute_ein", sa.String(20)),
        sa.Column("substitute_name", sa.String(200)),
        sa.Column("source_file", sa.String(200), server_default=sa.text(quoted)),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg2":
        if good.attrs.get("stripped", True):
            columns = list(_STAGE_COLUMNS)
            buffer = io.StringIO()
            good[columns].to_csv(buffer, index=False, header=False)
            buffer.seek(0)
        else:
            # The lines as sent are CSV already (fields in the header's order): COPY them
            # with the employee id appended instead of writing every row out again.
            columns = [*good.attrs["header"], "employee_id"]
            lines = zip(good["raw"].tolist(), good["employee_id"].tolist(), strict=True)
            buffer = io.StringIO("\n".join([f"{raw},{employee}" for raw, employee in lines]))
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.copy_expert(
            f"COPY {stage.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer
        )
    elif len(good):
        records = good[list(_STAGE_COLUMNS)].to_dict("records")
        for record in records:
            record["hours"] = Decimal(record["hours"])
            record["employee_id"] = int(record["employee_id"])
            record["leave_date"] = dt.date.fromisoformat(record["leave_date"])
        conn.execute(sa.insert(stage), records)
    return stage


# Blank text fields arrive as "" from the file; NULLIF stores them as NULL. "WHERE true"
# keeps SQLite from reading ON CONFLICT as part of the SELECT.
_UPSERTS = {
    "leave_requests": (
        "INSERT INTO leave_requests (confirmation_number, leave_date, employee_id, start_time, "
        "end_time, hours, reason, source_file) "
        "SELECT confirmation_number, leave_date, employee_id, NULLIF(start_time, ''), "
        "NULLIF(end_time, ''), hours, NULLIF(reason, ''), source_file FROM {stage} WHERE true "
        "ON CONFLICT (confirmation_number, leave_date) DO UPDATE SET "
        "employee_id = excluded.employee_id, start_time = excluded.start_time, "
        "end_time = excluded.end_time, hours = excluded.hours, reason = excluded.reason, "
        "source_file = excluded.source_file WHERE leave_requests.paid = false"
    ),
    "substitute_fulfillments": (
        "INSERT INTO substitute_fulfillments (confirmation_number, leave_date, substitute_ein, "
        "substitute_name, hours) "
        "SELECT confirmation_number, leave_date, substitute_ein, NULLIF(substitute_name, ''), "
        "hours FROM {stage} WHERE substitute_ein <> '' "
        "ON CONFLICT (confirmation_number, leave_date) DO UPDATE SET "
        "substitute_ein = excluded.substitute_ein, substitute_name = excluded.substitute_name, "
        "hours = excluded.hours WHERE substitute_fulfillments.paid = false"
    ),
}


def _upsert(conn: sa.Connection, stage: sa.Table, table: sa.Table) -> tuple[int, int, int]:
    """Insert new absences, overwrite unpaid ones, leave paid ones: (created, updated, paid)."""
    from job_library.schema import substitute_fulfillments

    only_substituted = "AND s.substitute_ein <> ''" if table is substitute_fulfillments else ""
    upsert = _UPSERTS[table.name].format(stage=stage.name)
    # Counted before the upsert by one join of the staged rows with the table (what is not
    # there yet is created, what is there unpaid is overwritten, paid stays): on Postgres this
    # costs a tenth of counting the upsert's own rows (RETURNING (xmax = 0) through a CTE
    # made the leave upsert of 100,000 rows about 130 ms slower; this join takes about 25 ms).
    created, updated, paid = conn.execute(
        sa.text(
            "SELECT COALESCE(SUM(CASE WHEN t.paid IS NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN t.paid = false THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN t.paid = true THEN 1 ELSE 0 END), 0) "
            f"FROM {stage.name} s LEFT JOIN {table.name} t "
            "ON t.confirmation_number = s.confirmation_number AND t.leave_date = s.leave_date "
            f"WHERE true {only_substituted}"
        )
    ).one()
    conn.execute(sa.text(upsert))
    return int(created), int(updated), int(paid)


class FrontlineLeave(Job):
    key = "frontline_leave"
    title = "Frontline Leave"
    description = (
        "Brings leave requests, and substitute fulfillments where there are any, from Frontline "
        "Absence Management into Focus over FTP. The job only processes a valid "
        "/FromAesop/Frontline_Leave.csv; it renames that file to Leave_YYYYMMDDHHMMSS.csv as "
        "soon as it starts, so later runs end with no action until Frontline puts a new file. "
        "A malformed file is renamed back and nothing is imported; a renamed file whose "
        "import did not complete (the process died) is imported by the next run. "
        "Leave that already exists is never created again: re-sent unpaid leave is "
        "overwritten, paid leave is left as it is. Renaming a Leave file back to "
        "Frontline_Leave.csv imports it again, on purpose. A file still being written (its "
        "size or time changing) is left for the next run; a symbolic link is refused and "
        "reported, never followed. The file is UTF-8 CSV with the header "
        + ",".join(COLUMNS)
        + "; rows with an unknown EIN, a bad date, bad hours or a value too long for its "
        "column are listed, not imported."
    )
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    params_model = FrontlineLeaveParams
    remote_connection = "frontline_sftp"
    remote_wait = (FOLDER, "Frontline_Leave.csv")

    def run(self, context: JobContext, params: FrontlineLeaveParams) -> JobResult:
        remote = context.remote
        if remote is None:
            raise RuntimeError("Frontline Leave needs the SFTP connection 'frontline_sftp'")
        conn = context.connection
        drop = survey(remote, FOLDER)
        notes = list(drop.refused)
        # A claimed file the ledger does not hold was renamed by a run that died before its
        # import committed (or could not read it): it is imported now, so nothing is lost.
        claims = [f"{FOLDER}/{n}" for n in drop.files if _CLAIM.fullmatch(n)]
        pending = sorted(set(claims) - ledgered_names(conn, context.job_id, claims))
        fresh = None
        if SOURCE.rsplit("/", 1)[1] in drop.files:
            ready, _ = settled(remote, [SOURCE])
            if not ready:
                notes.append(
                    f"{SOURCE} is still being written (its size or time keeps changing): "
                    "left for the next run."
                )
            else:
                fresh = f"{FOLDER}/Leave_{context.now():%Y%m%d%H%M%S}.csv"
                remote.rename(SOURCE, fresh)  # claimed as soon as the job starts
        results = [self._import(context, path, params, again=False) for path in pending]
        if fresh is not None:
            results.append(self._import(context, fresh, params, again=True))
        results = [r for r in results if r is not None]
        refused_source = any(n.startswith(f"{SOURCE} ") for n in drop.refused)
        if not results:
            summary = f"No new file {SOURCE}: nothing to do."
            if notes:
                summary += " " + " ".join(notes)
            return JobResult.message(not refused_source, summary, {"files": 0})
        if notes:
            results.append(JobResult.message(not refused_source, " ".join(notes)))
        return combined(results)

    def _import(
        self, context: JobContext, path: str, params: FrontlineLeaveParams, *, again: bool
    ) -> JobResult | None:
        """Import one claimed file, or put it back where it came from when it is malformed.

        ``again``: the file was just claimed from Frontline_Leave.csv, so bytes imported
        before are imported once more (an administrator renamed a Leave file back to re-run
        it). A leftover claim whose bytes are in the ledger was imported under another name.
        """
        from job_library.schema import employees, leave_requests, substitute_fulfillments

        remote, conn = context.remote, context.connection
        try:
            data = remote.read(path)
        except RemoteFileError as exc:
            summary = (
                f"{exc}. {path} stays claimed and the next run tries it again; nothing of it "
                "was imported."
            )
            return JobResult.message(False, summary, {"files": 0, "unreadable": 1})
        sha = checksum(data)
        earlier = earlier_import(conn, context.job_id, sha)
        if earlier is not None and not again:
            context.log.info("%s holds the bytes imported as %s", path, earlier.file_name)
            return None
        try:
            rows = parse(data)
        except MalformedFile as exc:
            where = path
            if not remote.exists(SOURCE):  # unless Frontline has sent a newer one meanwhile
                remote.rename(path, SOURCE)
                where = SOURCE
            summary = (
                f"{SOURCE} is malformed: {exc}. Nothing was imported and the file was "
                f"left where it is ({where})."
            )
            return JobResult.message(False, summary, {"files": 0})
        eins = sorted(set(rows["ein"].unique()) | set(rows["substitute_ein"].unique()))
        employee_ids = dict(
            conn.execute(
                sa.select(employees.c.ein, employees.c.employee_id).where(employees.c.ein.in_(eins))
            ).all()
        )
        good, rejected = _validate(rows, employee_ids)
        stage = _stage(conn, good, path)
        try:
            created, updated, paid = _upsert(conn, stage, leave_requests)
            subs = (0, 0, 0)
            if not params.skip_substitutes:
                subs = _upsert(conn, stage, substitute_fulfillments)
        finally:
            stage.drop(conn)
        record_import(conn, context.job_id, path, sha, len(rows), again=earlier is not None)
        result = _report(
            path, len(rows), (created, updated, paid), subs, rejected, params.skip_substitutes
        )
        if earlier is None:
            return result
        note = (
            f"The same bytes were imported before ({earlier.file_name}, "
            f"{earlier.processed_at:%Y-%m-%d %H:%M}); imported again as asked by the file's "
            "return to Frontline_Leave.csv: unpaid leave overwritten, paid leave left alone."
        )
        return JobResult(
            result.success,
            f"{result.summary} {note}",
            f"{result.text}\n{note}",
            f"{result.html}<p>{html.escape(note)}</p>",
            {**result.counts, "imported_again": 1},
        )


def _report(
    target: str,
    rows: int,
    leave: tuple[int, int, int],
    subs: tuple[int, int, int],
    rejected: list[Rejected],
    skipped_subs: bool,
) -> JobResult:
    created, updated, paid = leave
    summary = (
        f"Imported {target}: {rows} row(s); leave {created} created, {updated} updated, "
        f"{paid} paid left unchanged; {len({r.line for r in rejected})} row(s) rejected."
    )
    lines = [summary]
    if skipped_subs:
        lines.append("Substitutes were not processed (Skip processing of substitutes).")
    else:
        lines.append(
            f"Substitutes: {subs[0]} created, {subs[1]} updated, {subs[2]} paid left unchanged."
        )
    lines += [f"  line {r.line}: {r.column} {r.value!r}: {r.reason}" for r in rejected[:_LISTED]]
    if len(rejected) > _LISTED:
        lines.append(f"  ... and {len(rejected) - _LISTED} more.")
    table = html_table(
        ("Line", "Column", "Value", "Reason"),
        [(r.line, r.column, r.value, r.reason) for r in rejected[:_LISTED]],
    )
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p><p>{html.escape(lines[1])}</p>{table}",
        counts={
            "rows": rows,
            "leave_created": created,
            "leave_updated": updated,
            "leave_paid_unchanged": paid,
            "substitutes_created": subs[0],
            "substitutes_updated": subs[1],
            "rejected_rows": len({r.line for r in rejected}),
        },
    )
