"""The work the two PEER imports share: read the table files, check every row, replace tables.

Each file is one PEER table in full (FL_PEER_ACTIVE_IEPS.csv ...): after an import the Focus
table holds exactly the file's rows. A file with any row that cannot be taken is not applied
at all (its table stays as it was, the file stays on the server) and every such row is listed
with the reason; the other files are applied, in the one transaction of the run. A file
identical to the one last applied to its table is only moved away; any other file, even one
equal to an older file, is applied, so a table always holds its newest file.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import sqlalchemy as sa

from job_library.base import JobContext, JobResult, RemoteFileError
from job_library.file_drop import checksum, earlier_import, record_import, settled
from job_library.output import html_table

FOLDER = "/peer"
IMPORTED = "/peer/imported"
_CHUNK = 500  # FLEIDs looked up per query


@dataclass
class TableOutcome:
    export: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    rows: int = 0
    note: str = ""
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # line, peer_id, reason


def file_columns(export: str) -> tuple[str, ...]:
    from job_library.schemas.florida_peer import PEER_COLUMNS

    return ("peer_id", "fleid", *PEER_COLUMNS[export][1])


def _check(
    rows: list[tuple[int, dict[str, str]]], export: str, students: dict[str, int]
) -> tuple[dict[str, dict], list[tuple[int, str, str]]]:
    """The rows as table values by peer_id, and every row that cannot be taken with why."""
    from job_library.schemas.florida_peer import PEER_COLUMNS, TEXT_LENGTH

    kinds = PEER_COLUMNS[export][1]
    good: dict[str, dict] = {}
    bad: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for line, row in rows:
        peer_id = row["peer_id"]
        reason = None
        values: dict = {"peer_id": peer_id}
        if not peer_id:
            reason = "The peer_id is empty"
        elif len(peer_id) > 40:
            reason = "The peer_id is longer than 40 characters"
        elif peer_id in seen:
            reason = "The peer_id appears more than once in the file"
        elif row["fleid"] not in students:
            reason = f"No student has the Florida student id {row['fleid']!r}"
        else:
            values["student_id"] = students[row["fleid"]]
            for column, kind in kinds.items():
                value = row[column]
                if kind == "date":
                    try:
                        values[column] = dt.date.fromisoformat(value)
                    except ValueError:
                        reason = f"The {column} {value!r} is not a date (YYYY-MM-DD)"
                        break
                elif not value:
                    reason = f"The {column} is empty"
                    break
                elif len(value) > TEXT_LENGTH:
                    reason = f"The {column} is longer than {TEXT_LENGTH} characters"
                    break
                else:
                    values[column] = value
            if reason is None and "end_date" in values and values["end_date"] < values["plan_date"]:
                reason = (
                    f"The end_date {values['end_date']} is before the plan_date "
                    f"{values['plan_date']}"
                )
        seen.add(peer_id)
        if reason is None:
            good[peer_id] = values
        else:
            bad.append((line, peer_id, reason))
    return good, bad


def _replace(conn: sa.Connection, table: sa.Table, wanted: list[dict]) -> tuple[int, int, int]:
    """Make ``table`` hold exactly ``wanted``: (added, updated, removed).

    The file's rows go into a temporary table in one batch; the table is then brought in
    line with three statements where the data lives (an UPDATE from the staged rows, a
    DELETE of the rows the file no longer has, an INSERT of the new ones).
    """
    from job_library.sis_sql import analyze, scratch_table

    staged = scratch_table(
        conn,
        "peer_import_staging",
        [sa.Column(c.name, c.type, primary_key=c.primary_key) for c in table.columns],
    )
    if wanted:
        conn.execute(sa.insert(staged), wanted)
    analyze(conn, staged)
    others = [c.name for c in table.columns if c.name != "peer_id"]
    # Every column is NOT NULL, so != finds each changed row (no NULL to compare).
    updated = conn.execute(
        sa.update(table)
        .values({c: staged.c[c] for c in others})
        .where(
            table.c.peer_id == staged.c.peer_id,
            sa.or_(*(table.c[c] != staged.c[c] for c in others)),
        )
    ).rowcount
    removed = conn.execute(
        sa.delete(table).where(
            ~sa.select(staged.c.peer_id).where(staged.c.peer_id == table.c.peer_id).exists()
        )
    ).rowcount
    columns = [c.name for c in table.columns]
    added = conn.execute(
        sa.insert(table).from_select(
            columns,
            sa.select(*(staged.c[c] for c in columns)).where(
                ~sa.select(table.c.peer_id).where(table.c.peer_id == staged.c.peer_id).exists()
            ),
        )
    ).rowcount
    staged.drop(conn)
    return added, updated, removed


def _last_applied(conn: sa.Connection, export: str) -> sa.Row | None:
    """The ledger row of the file last applied to ``export``'s table, by either PEER job.

    Both jobs write the same nine tables, so the last file either of them applied is what the
    table was made to hold; only the PEER jobs move files to names under ``IMPORTED``.
    """
    from job_library.schema import processed_files

    return conn.execute(
        sa.select(processed_files.c.sha256, processed_files.c.processed_at)
        .where(processed_files.c.file_name.startswith(f"{IMPORTED}/{export}-", autoescape=True))
        .order_by(processed_files.c.processed_at.desc(), processed_files.c.id.desc())
        .limit(1)
    ).first()


def table_checksum(export: str, data: bytes) -> str:
    """The ledger key of a PEER file: its bytes together with the table it is for.

    The four accommodation tables share one header, so the same bytes (a header-only file)
    can be two tables' files; keyed by bytes alone, one table's import would overwrite the
    other's ledger row and hide which file each table last took.
    """
    return checksum(export.encode() + b"\n" + data)


def import_peer(
    context: JobContext, exports: list[str], *, test_only: bool, max_listed: int
) -> JobResult:
    """Import (or, with ``test_only``, only check) the PEER files of ``exports``."""
    from job_library.file_drop import read_csv
    from job_library.schemas.enrollment import students
    from job_library.schemas.florida_peer import PEER_TABLES

    remote = context.remote
    if remote is None:
        raise RuntimeError("The PEER imports need the SFTP connection 'peer_sftp'")
    try:
        remote.makedirs(IMPORTED)
    except RemoteFileError as exc:
        return JobResult.message(False, f"Cannot prepare {IMPORTED}: {exc}.", {"files": 0})
    present = [e for e in exports if remote.exists(f"{FOLDER}/{e}.csv")]
    ready, _ = settled(remote, [f"{FOLDER}/{e}.csv" for e in present])
    conn = context.connection
    stamp = context.now().strftime("%Y%m%d%H%M%S")
    outcomes: list[TableOutcome] = []
    failed = False
    for export in present:
        source = f"{FOLDER}/{export}.csv"
        outcome = TableOutcome(export)
        outcomes.append(outcome)
        if source not in ready:
            outcome.note = "still being written: left for the next run"
            continue
        data = remote.read(source)
        sha = table_checksum(export, data)
        target = f"{IMPORTED}/{export}-{stamp}.csv"
        # Only a file identical to the one last applied to its table is skipped: one equal to
        # an older file (A, then B, then A again) is the newest word and is applied.
        last = _last_applied(conn, export) if not test_only else None
        if last is not None and last.sha256 == sha:
            outcome.note = (
                f"identical to the file last imported into this table "
                f"({last.processed_at:%Y-%m-%d %H:%M}): not applied again; moved to {target}"
            )
            context.after_commit(lambda s=source, t=target: remote.rename(s, t))
            continue
        try:
            rows = read_csv(data, file_columns(export))
        except ValueError as exc:
            outcome.note = f"cannot be read: {exc}; nothing taken, the file stays"
            failed = True
            continue
        fleids = sorted({r["fleid"] for _, r in rows})
        known: dict[str, int] = {}
        for start in range(0, len(fleids), _CHUNK):
            known.update(
                conn.execute(
                    sa.select(students.c.fleid, students.c.student_id).where(
                        students.c.fleid.in_(fleids[start : start + _CHUNK])
                    )
                ).all()
            )
        good, outcome.bad = _check(rows, export, known)
        outcome.rows = len(rows)
        if outcome.bad:
            outcome.note = f"{len(outcome.bad)} row(s) cannot be taken: table left as it was"
            failed = True
            continue
        if test_only:
            outcome.note = "checked: every row can be imported (test only, nothing changed)"
            continue
        outcome.added, outcome.updated, outcome.removed = _replace(
            conn, PEER_TABLES[export], list(good.values())
        )
        again = earlier_import(conn, context.job_id, sha) is not None
        record_import(conn, context.job_id, target, sha, len(rows), again=again)
        context.after_commit(lambda s=source, t=target: remote.rename(s, t))
        outcome.note = f"imported; moved to {target}"
    return _result(outcomes, exports, test_only, failed, max_listed)


def _result(
    outcomes: list[TableOutcome],
    exports: list[str],
    test_only: bool,
    failed: bool,
    max_listed: int,
) -> JobResult:
    counts = {
        "files": sum(1 for o in outcomes if o.note.startswith("imported")),
        "added": sum(o.added for o in outcomes),
        "updated": sum(o.updated for o in outcomes),
        "removed": sum(o.removed for o in outcomes),
        "bad_rows": sum(len(o.bad) for o in outcomes),
    }
    if not outcomes:
        summary = f"No PEER file in {FOLDER} for the {len(exports)} table(s) chosen: nothing to do."
        return JobResult.message(True, summary, {**counts, "files": 0})
    verb = "Checked" if test_only else "Imported"
    summary = (
        f"{verb} {len(outcomes)} PEER file(s): {counts['added']} row(s) added, "
        f"{counts['updated']} updated, {counts['removed']} removed; {counts['bad_rows']} row(s) "
        "cannot be taken."
    )
    lines = [summary]
    for o in outcomes:
        lines.append(
            f"  {o.export}: {o.note}"
            + (f" (+{o.added} ~{o.updated} -{o.removed})" if o.note.startswith("imported") else "")
        )
    bad = [(o.export, line, pid, why) for o in outcomes for line, pid, why in o.bad]
    listed = bad[:max_listed]
    lines += [f"  {e} line {line}: {pid or '(no peer_id)'}: {why}" for e, line, pid, why in listed]
    if len(bad) > len(listed):
        lines.append(f"  ... and {len(bad) - len(listed)} more (listing capped at {max_listed}).")
    files = html_table(
        ("File", "Outcome", "Added", "Updated", "Removed"),
        [(o.export, o.note, o.added, o.updated, o.removed) for o in outcomes],
    )
    rows = html_table(("File", "Line", "PEER id", "Reason"), listed)
    return JobResult(
        success=not failed,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{files}{rows}",
        counts=counts,
    )
