"""The work Regions Bank Import and Pcard Imports share: P-Card transaction files read into
pcard_transactions, and (Pcard Imports) the transactions not yet drafted made PO drafts.

A transaction file is UTF-8 CSV with the header of COLUMNS. Every row that cannot be taken is
listed with the reason; the others are loaded. A transaction the bank sends again (same bank,
same reference) is counted as already imported and never loaded twice. Files move to
``<folder>/imported`` only after the commit; the processed-files ledger keeps a file loaded
but not yet moved from being loaded again.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from job_library.base import JobContext, JobResult, RemoteFileError
from job_library.file_drop import checksum, earlier_import, record_import, settled, survey
from job_library.output import html_table

COLUMNS = ("reference", "card_last4", "cardholder", "transaction_date", "merchant", "amount")
_MAX_AMOUNT = Decimal("9999999999.99")  # NUMERIC(12, 2)
_CHUNK = 500


@dataclass
class Loaded:
    files: list[str] = field(default_factory=list)  # what happened to each file, one line each
    loaded: int = 0
    already: int = 0
    bad: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, ref, why
    failed: bool = False


def fiscal_year(day: dt.date) -> int:
    """The fiscal year of ``day``: July to June, named by the calendar year it ends in."""
    return day.year + 1 if day.month >= 7 else day.year


def _parse_date(value: str, date_format: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, date_format).date()
    except ValueError:
        return None


def _check(
    row: dict[str, str], date_format: str, shown_format: str
) -> tuple[dict | None, str | None]:
    """The row as table values, or why it cannot be taken."""
    ref = row["reference"]
    if not ref:
        return None, "The reference is empty"
    if len(ref) > 40:
        return None, "The reference is longer than 40 characters"
    last4 = row["card_last4"]
    if len(last4) != 4 or not last4.isascii() or not last4.isdigit():
        return None, f"The card_last4 {last4!r} is not 4 digits"
    for name in ("cardholder", "merchant"):
        if not row[name]:
            return None, f"The {name} is empty"
        if len(row[name]) > 200:
            return None, f"The {name} is longer than 200 characters"
    day = _parse_date(row["transaction_date"], date_format)
    if day is None:
        return (
            None,
            f"The transaction_date {row['transaction_date']!r} is not a date ({shown_format})",
        )
    try:
        amount = Decimal(row["amount"])
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        return None, f"The amount {row['amount']!r} is not a number"
    if amount <= 0:
        return None, f"The amount {row['amount']} is not above zero (credits are not drafted)"
    if amount > _MAX_AMOUNT:
        return None, f"The amount {row['amount']} is larger than {_MAX_AMOUNT}"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"The amount {row['amount']} has more than 2 decimal places"
    return {
        "reference": ref,
        "card_last4": last4,
        "cardholder": row["cardholder"],
        "transaction_date": day,
        "merchant": row["merchant"],
        "amount": amount,
        "fiscal_year": fiscal_year(day),
    }, None


def load_transactions(
    context: JobContext, *, bank: str, folder: str, date_format: str, shown_format: str
) -> Loaded:
    """Load every settled ``*.csv`` of ``folder`` into pcard_transactions for ``bank``."""
    from job_library.file_drop import read_csv
    from job_library.schemas.pcard import pcard_transactions as t

    remote = context.remote
    if remote is None:
        raise RuntimeError(f"{context.job_title} needs its SFTP connection")
    out = Loaded()
    imported = f"{folder}/imported"
    try:
        remote.makedirs(imported)
    except RemoteFileError as exc:
        out.files.append(f"Cannot prepare {imported}: {exc}.")
        out.failed = True
        return out
    found = survey(remote, folder, "*.csv")
    for refusal in found.refused:
        out.files.append(refusal)
    paths = [f"{folder}/{name}" for name in sorted(found.files)]
    ready, changing = settled(remote, paths)
    out.files += [f"{p}: still being written, left for the next run." for p in changing]
    conn = context.connection
    stamp = context.now().strftime("%Y%m%d%H%M%S")
    for path in ready:
        name = path.rsplit("/", 1)[1]
        target = f"{imported}/{name[: -len('.csv')]}-{stamp}.csv"
        data = remote.read(path)
        sha = checksum(data)
        earlier = earlier_import(conn, context.job_id, sha)
        if earlier is not None:
            out.files.append(
                f"{path}: identical to the file loaded {earlier.processed_at:%Y-%m-%d %H:%M}; "
                f"not loaded again, moved to {target}."
            )
            context.after_commit(lambda s=path, d=target: remote.rename(s, d))
            continue
        try:
            rows = read_csv(data, COLUMNS)
        except ValueError as exc:
            out.files.append(f"{path} cannot be read: {exc}. Nothing loaded; the file stays.")
            out.failed = True
            continue
        good: dict[str, dict] = {}
        seen: set[str] = set()
        for line, row in rows:
            values, why = _check(row, date_format, shown_format)
            if why is None and row["reference"] in seen:
                why = "The reference appears more than once in the file"
            seen.add(row["reference"])
            if why is not None:
                out.bad.append((name, line, row["reference"], why))
            else:
                good[values["reference"]] = {**values, "bank": bank}
        refs = sorted(good)
        known: set[str] = set()
        for start in range(0, len(refs), _CHUNK):
            known.update(
                conn.execute(
                    sa.select(t.c.reference).where(
                        t.c.bank == bank, t.c.reference.in_(refs[start : start + _CHUNK])
                    )
                ).scalars()
            )
        new = [v for r, v in good.items() if r not in known]
        if new:
            conn.execute(sa.insert(t), new)
        out.loaded += len(new)
        out.already += len(known)
        record_import(conn, context.job_id, target, sha, len(rows))
        context.after_commit(lambda s=path, d=target: remote.rename(s, d))
        out.files.append(
            f"{path}: {len(new)} transaction(s) loaded, {len(known)} already imported; "
            f"moved to {target}."
        )
    return out


_DRAFTS = """
INSERT INTO pcard_requisitions (number, requester, amount, status, status_date, fiscal_year)
SELECT 'PC-' || CAST(t.transaction_id AS VARCHAR(12)), t.cardholder, t.amount, 'draft', :today,
       COALESCE(:fiscal_year, t.fiscal_year)
FROM pcard_transactions t
WHERE t.requisition_id IS NULL
ORDER BY t.transaction_id
"""
_LINK = """
UPDATE pcard_transactions SET requisition_id = (
    SELECT r.requisition_id FROM pcard_requisitions r
    WHERE r.number = 'PC-' || CAST(pcard_transactions.transaction_id AS VARCHAR(12)))
WHERE requisition_id IS NULL
"""


def make_drafts(
    conn: sa.Connection, today: dt.date, override: int | None, max_listed: int
) -> tuple[int, list[tuple]]:
    """A PO draft for every transaction without one: (how many, the first ``max_listed``)."""
    start = conn.execute(
        sa.text("SELECT COALESCE(MAX(requisition_id), 0) FROM pcard_requisitions")
    ).scalar_one()
    made = conn.execute(
        sa.text(_DRAFTS).bindparams(
            sa.bindparam("today", type_=sa.Date), sa.bindparam("fiscal_year", type_=sa.Integer)
        ),
        {"today": today, "fiscal_year": override},
    ).rowcount
    conn.execute(sa.text(_LINK))
    from job_library.schemas.communications import pcard_requisitions as r
    from job_library.schemas.pcard import pcard_transactions as t

    listed = [
        tuple(row)
        for row in conn.execute(
            sa.select(
                r.c.number,
                r.c.requester,
                t.c.merchant,
                t.c.transaction_date,
                r.c.amount,
                r.c.fiscal_year,
            )
            .join(t, t.c.requisition_id == r.c.requisition_id)
            .where(r.c.requisition_id > start)
            .order_by(r.c.requisition_id)
            .limit(max_listed)
        )
    ]
    return made, listed


def loaded_result(
    summary: str,
    out: Loaded,
    drafts: list[tuple],
    drafted: int,
    counts: dict[str, int],
    max_listed: int,
) -> JobResult:
    """The run's output: what happened to each file, the rows not taken, the drafts made."""
    lines = [summary, *(f"  {f}" for f in out.files)]
    bad = out.bad[:max_listed]
    lines += [f"  {f} line {n}: {ref or '(no reference)'}: {why}" for f, n, ref, why in bad]
    if len(out.bad) > len(bad):
        lines.append(
            f"  ... and {len(out.bad) - len(bad)} more rows not taken (capped at {max_listed})."
        )
    lines += [
        f"  draft {n}: {who}, {merchant}, {day}, {amount}, FY {fy}"
        for n, who, merchant, day, amount, fy in drafts
    ]
    if drafted > len(drafts):
        lines.append(f"  ... and {drafted - len(drafts)} more drafts (capped at {max_listed}).")
    parts = "".join(f"<p>{html.escape(f)}</p>" for f in out.files)
    return JobResult(
        success=not out.failed,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{parts}"
        + html_table(("File", "Line", "Reference", "Reason"), bad)
        + html_table(("Draft", "Cardholder", "Merchant", "Date", "Amount", "Fiscal year"), drafts),
        counts=counts,
    )
