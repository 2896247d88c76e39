"""Frontline Leave (ERP): leave requests and substitute fulfilments from Frontline over SFTP."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.output import html_table
from job_library.schema import employees, leave_requests, processed_files, substitute_fulfillments

SOURCE = "/FromAesop/Frontline_Leave.csv"
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


def parse(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a Frontline file with their line numbers; raises MalformedFile.

    The file is UTF-8 CSV (a byte-order mark is allowed) with a header naming exactly the
    columns in COLUMNS, in any order; every line has as many fields as the header.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise MalformedFile("the file is empty: expected a header line") from None
    except csv.Error as exc:
        raise MalformedFile(f"line 1: {exc}") from None
    missing = [c for c in COLUMNS if c not in header]
    unexpected = [h for h in header if h not in COLUMNS]
    if missing or unexpected:
        raise MalformedFile(
            f"wrong header {','.join(header)!r}: missing {missing or 'nothing'}, "
            f"unexpected {unexpected or 'nothing'}; expected {','.join(COLUMNS)}"
        )
    rows = []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise MalformedFile(
                    f"line {line} has {len(fields)} field(s), expected {len(header)} "
                    "(a truncated or broken line)"
                )
            rows.append((line, {h: f.strip() for h, f in zip(header, fields, strict=True)}))
    except csv.Error as exc:
        raise MalformedFile(f"line {reader.line_num}: {exc}") from None
    return rows


def _validate(
    rows: list[tuple[int, dict[str, str]]], employee_ids: dict[str, int]
) -> tuple[list[dict[str, Any]], list[Rejected]]:
    good, rejected = [], []
    seen: set[tuple[str, dt.date]] = set()
    for line, row in rows:
        problems = []
        if not row["confirmation_number"]:
            problems.append(Rejected(line, "confirmation_number", "", "is required"))
        if row["ein"] not in employee_ids:
            problems.append(Rejected(line, "ein", row["ein"], "no employee has this EIN"))
        try:
            leave_date = dt.date.fromisoformat(row["leave_date"])
        except ValueError:
            problems.append(
                Rejected(line, "leave_date", row["leave_date"], "is not a date (YYYY-MM-DD)")
            )
            leave_date = None
        try:
            hours = Decimal(row["hours"])
            if not Decimal(0) < hours <= Decimal(24):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                Rejected(line, "hours", row["hours"], "is not a number of hours (0-24]")
            )
            hours = None
        key = (row["confirmation_number"], leave_date)
        if not problems and key in seen:
            problems.append(
                Rejected(
                    line,
                    "confirmation_number",
                    row["confirmation_number"],
                    f"repeats the absence of {leave_date} earlier in the file",
                )
            )
        if problems:
            rejected.extend(problems)
            continue
        seen.add(key)
        good.append(
            {
                **row,
                "leave_date": leave_date,
                "hours": hours,
                "employee_id": employee_ids[row["ein"]],
            }
        )
    return good, rejected


def _upsert(
    conn: sa.Connection, table: sa.Table, records: list[dict[str, Any]], updates: tuple[str, ...]
) -> tuple[int, int, int]:
    """Insert new absences, overwrite unpaid ones, leave paid ones: (created, updated, paid)."""
    if not records:
        return 0, 0, 0
    key = (table.c.confirmation_number, table.c.leave_date)
    numbers = sorted({r["confirmation_number"] for r in records})
    existing: dict[tuple[str, dt.date], bool] = {}
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start : start + 5000]
        for number, day, paid in conn.execute(
            sa.select(*key, table.c.paid).where(table.c.confirmation_number.in_(chunk))
        ):
            existing[(number, day)] = bool(paid)
    wanted = {(r["confirmation_number"], r["leave_date"]) for r in records}
    paid = sum(1 for k in wanted if existing.get(k) is True)
    updated = sum(1 for k in wanted if existing.get(k) is False)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in key],
        set_={c: statement.excluded[c] for c in updates},
        where=table.c.paid == sa.false(),
    )
    conn.execute(statement, records)
    return len(wanted) - paid - updated, updated, paid


class FrontlineLeave(Job):
    key = "frontline_leave"
    title = "Frontline Leave"
    description = (
        "This job imports leave requests and substitute fulfillments (where applicable) into "
        "Focus via FTP from Frontline Absence Management. The job only processes a valid "
        "/FromAesop/Frontline_Leave.csv; it renames that file to Leave_YYYYMMDDHHMMSS.csv as "
        "it imports it, so later runs end with no action until Frontline puts a new file. "
        "Leave that already exists is never created again: re-sent unpaid leave is "
        "overwritten, paid leave is left as it is. An identical file (same checksum) is never "
        "imported twice. The file is UTF-8 CSV with the header "
        + ",".join(COLUMNS)
        + "; rows with an unknown EIN, a bad date or bad hours are listed, not imported."
    )
    module = "ERP"
    kind = JobKind.INTEGRATION
    params_model = FrontlineLeaveParams
    remote_connection = "frontline_sftp"

    def run(self, context: JobContext, params: FrontlineLeaveParams) -> JobResult:
        remote = context.remote
        if remote is None:
            raise RuntimeError("Frontline Leave needs the SFTP connection 'frontline_sftp'")
        if not remote.exists(SOURCE):
            summary = f"No new file {SOURCE}: nothing to do."
            return JobResult(
                success=True,
                summary=summary,
                text=summary,
                html=f"<p>{html.escape(summary)}</p>",
                counts={"files": 0},
            )
        data = remote.read(SOURCE)
        stamp = context.now().strftime("%Y%m%d%H%M%S")
        target = f"/FromAesop/Leave_{stamp}.csv"
        checksum = hashlib.sha256(data).hexdigest()
        conn = context.connection
        earlier = conn.execute(
            sa.select(processed_files.c.file_name, processed_files.c.processed_at).where(
                processed_files.c.job_id == context.job_id, processed_files.c.sha256 == checksum
            )
        ).first()
        if earlier is not None:
            remote.rename(SOURCE, target)
            summary = (
                f"{SOURCE} is identical to {earlier.file_name}, imported "
                f"{earlier.processed_at:%Y-%m-%d %H:%M}: not imported again; renamed to "
                f"{target}."
            )
            return JobResult(
                success=True,
                summary=summary,
                text=summary,
                html=f"<p>{html.escape(summary)}</p>",
                counts={"files": 0, "duplicates": 1},
            )
        try:
            rows = parse(data)
        except MalformedFile as exc:
            summary = (
                f"{SOURCE} is malformed: {exc}. Nothing was imported and the file was "
                "left where it is."
            )
            return JobResult(
                success=False,
                summary=summary,
                text=summary,
                html=f"<p>{html.escape(summary)}</p>",
                counts={"files": 0},
            )
        eins = sorted({r["ein"] for _, r in rows} | {r["substitute_ein"] for _, r in rows})
        employee_ids = (
            dict(
                conn.execute(
                    sa.select(employees.c.ein, employees.c.employee_id).where(
                        employees.c.ein.in_(eins)
                    )
                ).all()
            )
            if eins
            else {}
        )
        good, rejected = _validate(rows, employee_ids)
        leave = [
            {
                "confirmation_number": r["confirmation_number"],
                "leave_date": r["leave_date"],
                "employee_id": r["employee_id"],
                "start_time": r["start_time"] or None,
                "end_time": r["end_time"] or None,
                "hours": r["hours"],
                "reason": r["reason"] or None,
                "source_file": target,
            }
            for r in good
        ]
        created, updated, paid = _upsert(
            conn,
            leave_requests,
            leave,
            ("employee_id", "start_time", "end_time", "hours", "reason", "source_file"),
        )
        subs = (0, 0, 0)
        if not params.skip_substitutes:
            substitutes = [
                {
                    "confirmation_number": r["confirmation_number"],
                    "leave_date": r["leave_date"],
                    "substitute_ein": r["substitute_ein"],
                    "substitute_name": r["substitute_name"] or None,
                    "hours": r["hours"],
                }
                for r in good
                if r["substitute_ein"]
            ]
            subs = _upsert(
                conn,
                substitute_fulfillments,
                substitutes,
                ("substitute_ein", "substitute_name", "hours"),
            )
        conn.execute(
            sa.insert(processed_files).values(
                job_id=context.job_id,
                file_name=target,
                sha256=checksum,
                rows=len(rows),
                processed_at=dt.datetime.now(dt.UTC),
            )
        )
        remote.rename(SOURCE, target)
        return _report(
            target, len(rows), (created, updated, paid), subs, rejected, params.skip_substitutes
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
