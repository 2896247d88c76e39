"""Generate ERP Extracts (ERP): five CSV extracts of the ERP data, written to the file store."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table
from job_library.site import AddOn

Extract = Literal["smart_procure", "vendor", "ledger", "accounts", "journal"]
ALL_EXTRACTS: list[str] = list(Extract.__args__)
FOLDER = "erp_extracts"

# extract -> (file name stem, header, query). Amounts are cast to text by the caller.
_QUERIES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "smart_procure": (
        "smart_procure",
        ("po_number", "po_date", "vendor_number", "vendor_name", "description", "amount"),
        """SELECT p.po_number, p.po_date, v.vendor_number, v.name, p.description, p.amount
           FROM erp_purchase_orders p JOIN erp_vendors v ON v.vendor_id = p.vendor_id
           WHERE p.po_date >= :fy_start AND p.po_date <= :today
           ORDER BY p.po_date, p.po_number""",
    ),
    "vendor": (
        "vendors",
        ("vendor_number", "name", "tax_id_last4", "city", "state", "active"),
        """SELECT v.vendor_number, v.name, v.tax_id, v.city, v.state, v.active
           FROM erp_vendors v ORDER BY v.vendor_number""",
    ),
    "ledger": (
        "ledger",
        ("account", "title", "period", "debits", "credits", "net"),
        """SELECT t.account, a.title, p.title,
                  SUM(CASE WHEN t.amount > 0 THEN t.amount ELSE 0 END) AS debits,
                  SUM(CASE WHEN t.amount < 0 THEN -t.amount ELSE 0 END) AS credits,
                  SUM(t.amount) AS net
           FROM gl_transactions t
           JOIN gl_periods p ON p.period_id = t.period_id
           LEFT JOIN gl_accounts a ON a.account = t.account
           WHERE t.period_id = :period
           GROUP BY t.account, a.title, p.title
           ORDER BY t.account""",
    ),
    "accounts": (
        "accounts",
        ("account", "title", "account_type", "active"),
        """SELECT a.account, a.title, a.account_type, a.active
           FROM gl_accounts a ORDER BY a.account""",
    ),
    "journal": (
        "journal",
        ("txn_id", "period", "account", "amount", "posted_at"),
        """SELECT t.txn_id, p.title, t.account, t.amount, t.posted_at
           FROM gl_transactions t JOIN gl_periods p ON p.period_id = t.period_id
           WHERE t.period_id = :period
           ORDER BY t.posted_at, t.txn_id""",
    ),
}
# Postings to an account missing from the chart: exported, and listed as a problem.
_UNKNOWN_ACCOUNTS = """
SELECT t.account, COUNT(*) FROM gl_transactions t
WHERE t.period_id = :period AND NOT EXISTS (SELECT 1 FROM gl_accounts a WHERE a.account = t.account)
GROUP BY t.account ORDER BY t.account
"""


class GenerateErpExtractsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extracts: list[Extract] = Field(
        default_factory=lambda: list(ALL_EXTRACTS), min_length=1, title="Extracts"
    )
    period_id: int | None = Field(
        default=None,
        ge=1,
        json_schema_extra={"x-focus-lookup": "gl_periods"},
        title="GL period",
        description="The period of the ledger and journal extracts (empty: the latest one).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Problems listed")


def fiscal_year_start(day: dt.date) -> dt.date:
    """1 July of the fiscal year ``day`` falls in."""
    return dt.date(day.year if day.month >= 7 else day.year - 1, 7, 1)


_MONEY = ("amount", "debits", "credits", "net")


def _typed(query: str) -> sa.TextClause:
    """The query with its result columns typed (SQLite hands back text and floats)."""
    from job_library.schemas.communications import gl_transactions

    clause = sa.text(query)
    if ":fy_start" in query:
        clause = clause.bindparams(
            sa.bindparam("fy_start", type_=sa.Date), sa.bindparam("today", type_=sa.Date)
        )
    return clause.columns(
        po_date=sa.Date,
        posted_at=gl_transactions.c.posted_at.type,
        **{m: sa.Numeric(14, 2) for m in _MONEY},
    )


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if column in _MONEY:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if column == "tax_id_last4":
        digits = "".join(c for c in str(value) if c.isdigit())
        return digits[-4:]
    if column == "active":
        return "Y" if value in (True, 1, "1", "t", "true") else "N"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite keeps the UTC wall time without its offset
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` whole; False when the file already holds exactly it."""
    if path.is_file() and path.read_bytes() == data:
        return False
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return True


class GenerateErpExtracts(Job):
    key = "generate_erp_extracts"
    title = "Generate ERP Extracts"
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    description = (
        "Writes up to five CSV extracts of the ERP data to erp_extracts in this job's own "
        "folder of the file store (named after the job's id), each named after the extract "
        "and the run's date: SmartProcure (the "
        "purchase orders of the fiscal year so far, July 1 to the run's day, with their "
        "vendors), vendors (tax ids cut to their last four digits), ledger (per account, the "
        "debits, credits and net of one GL period), accounts (the chart of accounts) and "
        "journal (every posting of that period). The period is the job's, or the latest one. "
        "SmartProcure's and the other receivers' layouts are not public, so the columns are "
        "our own, listed in the README. Postings to an account missing from the chart are "
        "still exported and are listed as a problem. A file that would not change is left "
        "as it is, so a second run writes nothing."
    )
    params_model = GenerateErpExtractsParams
    default_schedule = DefaultSchedule(run_time="22:00")

    def run(self, context: JobContext, params: GenerateErpExtractsParams) -> JobResult:
        conn = context.connection
        today = context.now().date()
        period = params.period_id
        if period is None:
            period = conn.execute(sa.text("SELECT MAX(period_id) FROM gl_periods")).scalar()
        elif (
            conn.execute(
                sa.text("SELECT 1 FROM gl_periods WHERE period_id = :p"), {"p": period}
            ).first()
            is None
        ):
            return JobResult.message(
                False, f"There is no GL period {period}: nothing written.", {"files": 0}
            )
        folder = Path(context.file_store) / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        made: list[tuple[str, int, str]] = []
        written = 0
        for extract in ALL_EXTRACTS:
            if extract not in params.extracts:
                continue
            stem, header, query = _QUERIES[extract]
            if extract in ("ledger", "journal") and period is None:
                made.append((f"{stem}_{today:%Y%m%d}.csv", 0, "no GL period yet: not written"))
                continue
            params_sql = {"period": period}
            if extract == "smart_procure":
                params_sql = {"fy_start": fiscal_year_start(today), "today": today}
            rows = conn.execute(_typed(query), params_sql).all()
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(
                [_cell(c, v) for c, v in zip(header, row, strict=True)] for row in rows
            )
            name = f"{stem}_{today:%Y%m%d}.csv"
            changed = _write(folder / name, buffer.getvalue().encode("utf-8"))
            written += changed
            made.append((name, len(rows), "written" if changed else "unchanged"))
        problems = []
        if period is not None and {"ledger", "journal"} & set(params.extracts):
            problems = [
                (account, n, "The account is not in the chart of accounts (exported anyway)")
                for account, n in conn.execute(sa.text(_UNKNOWN_ACCOUNTS), {"period": period})
            ]
        summary = (
            f"Generated {len(made)} ERP extract(s) in {FOLDER}: {written} written, "
            f"{len(made) - written} unchanged; {len(problems)} problem(s)."
        )
        cap = params.max_listed
        text = [summary, *(f"  {n}: {rows} row(s), {how}" for n, rows, how in made)]
        text += [f"  account {a} ({n} posting(s)): {why}" for a, n, why in problems[:cap]]
        if len(problems) > cap:
            text.append(f"  ... and {len(problems) - cap} more (listing capped at {cap}).")
        return JobResult(
            success=True,
            summary=summary,
            text="\n".join(text),
            html=f"<p>{html.escape(summary)}</p>"
            + html_table(("File", "Rows", "Outcome"), made)
            + html_table(("Account", "Postings", "Problem"), problems[:cap]),
            counts={"files": len(made), "written": written, "problems": len(problems)},
        )
