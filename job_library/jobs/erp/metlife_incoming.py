"""MetLife Incoming (ERP): MetLife billing files applied to employee deductions."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult, RemoteFileError
from job_library.file_drop import checksum, earlier_import, record_import, settled
from job_library.output import html_table
from job_library.site import AddOn

FOLDER = "/metlife"
RECEIVED = "/metlife/received"
SOURCE = f"{FOLDER}/MetLife.csv"
COLUMNS = ("ssn", "last_name", "first_name", "amount", "effective_date")
# employee_deductions.amount is NUMERIC(10, 2): at most 8 digits before the point.
_MAX_AMOUNT = Decimal("99999999.99")


@dataclass(frozen=True)
class NotImported:
    line: int
    ssn: str
    name: str
    explanation: str


class MetLifeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deduction_code: str = Field(
        json_schema_extra={"x-focus-lookup": "deduction_codes"},
        min_length=1,
        max_length=20,
        title="Deduction code",
        description="The deduction code that identifies MetLife Supplemental Life.",
    )


def _read(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of MetLife.csv; raises ValueError naming what makes the file unreadable."""
    from job_library.file_drop import read_csv

    return read_csv(data, COLUMNS)


def _explain(row: dict[str, str], employee_ids: dict[str, int]) -> str | None:
    """Why a row cannot be applied, or None when it can."""
    if row["ssn"] not in employee_ids:
        return "No employee has this SSN"
    try:
        amount = Decimal(row["amount"])
    except InvalidOperation:
        return f"The amount {row['amount']!r} is not a number"
    if not amount.is_finite():
        return f"The amount {row['amount']!r} is not a number"
    if amount < 0:
        return f"The amount {row['amount']} is negative"
    if amount > _MAX_AMOUNT:
        return f"The amount {row['amount']} is larger than {_MAX_AMOUNT}"
    if -amount.as_tuple().exponent > 2 and amount != amount.quantize(Decimal("0.01")):
        return f"The amount {row['amount']} has more than 2 decimal places"
    try:
        dt.date.fromisoformat(row["effective_date"])
    except ValueError:
        return f"The effective date {row['effective_date']!r} is not a date (YYYY-MM-DD)"
    return None


class MetLifeIncoming(Job):
    key = "metlife_incoming"
    title = "MetLife Incoming"
    description = (
        "Reads MetLife's billing file and applies its changes to employees' deductions of the "
        "deduction code chosen on the job (MetLife Supplemental Life). A first run with no file in "
        "place only creates the folders the job uses. The file it looks for is MetLife.csv in the "
        "metlife folder; when it is not there, the run stops and changes nothing. After a run that "
        "succeeds, the file is moved to "
        "metlife/received as MetLife-YYYYMMDDHHMMSS.csv, and the results list every record "
        "not imported with an explanation ('Unknown' when none can be given). The file is "
        "UTF-8 CSV with the header " + ",".join(COLUMNS) + "; an amount of 0 ends the deduction. "
        "A file still being written is left for the next run; a symbolic link is refused."
    )
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    params_model = MetLifeParams
    remote_connection = "metlife_sftp"
    remote_wait = (FOLDER, "MetLife.csv")

    def run(self, context: JobContext, params: MetLifeParams) -> JobResult:
        from job_library.schema import deduction_codes, employees

        remote = context.remote
        if remote is None:
            raise RuntimeError("MetLife Incoming needs the SFTP connection 'metlife_sftp'")
        try:
            created_dirs = remote.makedirs(RECEIVED)
        except RemoteFileError as exc:
            summary = f"MetLife Incoming cannot prepare its storage directories: {exc}."
            return JobResult.message(False, summary, {"files": 0})
        entry = remote.stat(SOURCE)
        if entry is not None and entry.kind == "symlink":
            summary = (
                f"{SOURCE} is a symbolic link: refused and left alone (links are never followed;"
                " MetLife must put the file itself)."
            )
            return JobResult.message(False, summary, {"files": 0, "refused": 1})
        if entry is None or entry.kind != "file":
            summary = f"No {SOURCE}: nothing to do."
            if created_dirs:
                summary += f" Created the storage directories {FOLDER} and {RECEIVED}."
            return JobResult.message(True, summary, {"files": 0})
        if not settled(remote, [SOURCE])[0]:
            summary = (
                f"{SOURCE} is still being written (its size or time keeps changing): left for "
                "the next run."
            )
            return JobResult.message(True, summary, {"files": 0})
        conn = context.connection
        code = conn.execute(
            sa.select(deduction_codes.c.code).where(deduction_codes.c.code == params.deduction_code)
        ).scalar_one_or_none()
        if code is None:
            summary = (
                f"The deduction code {params.deduction_code!r} does not exist: edit the job "
                f"and choose one from Deduction Codes. {SOURCE} was left in place."
            )
            return JobResult.message(False, summary, {"files": 0})
        data = remote.read(SOURCE)
        sha = checksum(data)
        stamp = context.now().strftime("%Y%m%d%H%M%S")
        target = f"{RECEIVED}/MetLife-{stamp}.csv"
        earlier = earlier_import(conn, context.job_id, sha)
        if earlier is not None:
            # Imported before, but the move did not happen (the process died): move it now.
            context.after_commit(lambda: remote.rename(SOURCE, target))
            summary = (
                f"{SOURCE} is identical to the file imported "
                f"{earlier.processed_at:%Y-%m-%d %H:%M} ({earlier.file_name}): not applied "
                f"again; moved to {target}."
            )
            return JobResult.message(True, summary, {"files": 0, "duplicates": 1})
        try:
            rows = _read(data)
        except ValueError as exc:
            summary = (
                f"{SOURCE} cannot be read: {exc}. Nothing was imported; the file was left in place."
            )
            return JobResult.message(False, summary, {"files": 0})
        ssns = sorted({r["ssn"] for _, r in rows})
        employee_ids = dict(
            conn.execute(
                sa.select(employees.c.ssn, employees.c.employee_id).where(employees.c.ssn.in_(ssns))
            ).all()
        )
        applied, not_imported, seen = [], [], set()
        for line, row in rows:
            name = f"{row['last_name']}, {row['first_name']}".strip(", ")
            explanation = _explain(row, employee_ids)
            if explanation is None and row["ssn"] in seen:
                explanation = "Unknown"  # a second record for the same employee: needs a look
            if explanation is not None:
                not_imported.append(NotImported(line, row["ssn"], name, explanation))
                continue
            seen.add(row["ssn"])
            applied.append(
                {
                    "employee_id": employee_ids[row["ssn"]],
                    "code": params.deduction_code,
                    "amount": Decimal(row["amount"]),
                    "effective": dt.date.fromisoformat(row["effective_date"]),
                }
            )
        changed, ended = _apply(conn, applied)
        record_import(conn, context.job_id, target, sha, len(rows))
        # Moved only once the changes are committed; the ledger covers a crash in between.
        context.after_commit(lambda: remote.rename(SOURCE, target))
        summary = (
            f"Applied {changed} MetLife deduction(s) ({ended} ended) for code "
            f"{params.deduction_code}; {len(not_imported)} record(s) not imported; file "
            f"moved to {target}."
        )
        lines = [summary] + [
            f"  line {n.line}: {n.name} (SSN ending {n.ssn[-4:]}): {n.explanation}"
            for n in not_imported
        ]
        table = html_table(
            ("Line", "Employee", "SSN (last 4)", "Explanation"),
            [(n.line, n.name, n.ssn[-4:], n.explanation) for n in not_imported],
        )
        return JobResult(
            success=True,
            summary=summary,
            text="\n".join(lines),
            html=f"<p>{html.escape(summary)}</p>{table}",
            counts={"applied": changed, "ended": ended, "not_imported": len(not_imported)},
        )


def _apply(conn: sa.Connection, applied: list[dict]) -> tuple[int, int]:
    """Set each employee's deduction for the code: one statement per kind of change."""
    from job_library.schema import employee_deductions

    if not applied:
        return 0, 0
    code = applied[0]["code"]
    existing = set(
        conn.execute(
            sa.select(employee_deductions.c.employee_id).where(
                employee_deductions.c.code == code,
                employee_deductions.c.employee_id.in_([a["employee_id"] for a in applied]),
            )
        ).scalars()
    )
    new = [a for a in applied if a["employee_id"] not in existing and a["amount"] > 0]
    if new:
        conn.execute(
            sa.insert(employee_deductions),
            [
                {
                    "employee_id": a["employee_id"],
                    "code": code,
                    "amount": a["amount"],
                    "start_date": a["effective"],
                }
                for a in new
            ],
        )
    updates = [a for a in applied if a["employee_id"] in existing]
    t = employee_deductions
    changes = [a for a in updates if a["amount"] > 0]
    if changes:
        conn.execute(
            sa.update(t)
            .where(t.c.employee_id == sa.bindparam("b_employee"), t.c.code == code)
            .values(
                amount=sa.bindparam("b_amount"), start_date=sa.bindparam("b_start"), end_date=None
            ),
            [
                {"b_employee": a["employee_id"], "b_amount": a["amount"], "b_start": a["effective"]}
                for a in changes
            ],
        )
    endings = [a for a in updates if a["amount"] == 0]
    if endings:
        conn.execute(
            sa.update(t)
            .where(t.c.employee_id == sa.bindparam("b_employee"), t.c.code == code)
            .values(end_date=sa.bindparam("b_end")),
            [{"b_employee": a["employee_id"], "b_end": a["effective"]} for a in endings],
        )
    return len(new) + len(updates), len(endings)
