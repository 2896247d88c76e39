"""What the two District Assessments imports share: taking the CSV files of a drop folder on
the vendor's SFTP server through the file-job machinery (survey, settle period, ledger), and
moving each applied file to the folder's processed/ once its rows are committed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from job_library.base import JobContext, JobResult, RemoteFileError
from job_library.file_drop import (
    checksum,
    earlier_import,
    read_csv,
    record_import,
    settled,
    survey,
)
from job_library.output import listed_result


@dataclass(frozen=True)
class BadRow:
    """A row that was not imported, with the reason."""

    file: str
    line: int
    reason: str


@dataclass
class Applied:
    """What applying one file did: counts, changes to list and the rows refused."""

    rows: int
    counts: dict[str, int]
    changes: list[tuple] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    # How many changes there were when ``changes`` holds only the first of them (None: all).
    changes_total: int | None = None


def import_drop(
    context: JobContext,
    *,
    title: str,
    folder: str,
    columns: Sequence[str],
    apply: Callable[[str, list[tuple[int, dict[str, str]]]], Applied],
    headers: Sequence[str],
    cap: int,
) -> JobResult:
    """Apply every finished CSV file of ``folder`` with ``apply`` (in name order), ledger it
    and move it to ``folder``/processed after the commit; report files, changes and refusals."""
    remote = context.remote
    if remote is None:
        raise RuntimeError(f"{title} needs its SFTP connection")
    processed = f"{folder}/processed"
    try:
        remote.makedirs(processed)
    except RemoteFileError as exc:
        return JobResult.message(
            False, f"{title} cannot prepare {processed}: {exc}. Nothing was read.", {"files": 0}
        )
    drop = survey(remote, folder, "*.csv")
    notes = list(drop.refused)
    ready, waiting = settled(remote, [f"{folder}/{n}" for n in sorted(drop.files)])
    notes += [f"{p} is still being written: left for the next run." for p in waiting]
    stamp = context.now().strftime("%Y%m%d%H%M%S")
    conn = context.connection
    counts: dict[str, int] = {"files": 0, "rows": 0, "rows_not_imported": 0}
    changes: list[tuple] = []
    changes_total = 0
    bad: list[BadRow] = []
    unreadable = 0
    for path in ready:
        name = path.rsplit("/", 1)[1]
        target = f"{processed}/{stamp}-{name}"
        try:
            data = remote.read(path)
        except RemoteFileError as exc:
            notes.append(f"{exc}; left where it is for the next run.")
            continue
        sha = checksum(data)
        earlier = earlier_import(conn, context.job_id, sha)
        if earlier is not None:
            context.after_commit(lambda p=path, t=target: remote.rename(p, t))
            notes.append(
                f"{path} is identical to {earlier.file_name}, imported "
                f"{earlier.processed_at:%Y-%m-%d %H:%M}: not applied again; moved to {target}."
            )
            continue
        try:
            rows = read_csv(data, columns)
        except ValueError as exc:
            notes.append(f"{path} cannot be read: {exc}. None of it was used; it stays in place.")
            unreadable += 1
            continue
        done = apply(path, rows)
        record_import(conn, context.job_id, target, sha, len(rows))
        context.after_commit(lambda p=path, t=target: remote.rename(p, t))
        counts["files"] += 1
        counts["rows"] += done.rows
        counts["rows_not_imported"] += len(done.bad)
        for key, value in done.counts.items():
            counts[key] = counts.get(key, 0) + value
        changes += done.changes
        changes_total += len(done.changes) if done.changes_total is None else done.changes_total
        bad += done.bad
        notes.append(
            f"{path}: {done.rows} row(s), {len(done.bad)} not imported; moved to {target}."
        )
    detail = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if k != "files")
    summary = f"{title}: {counts['files']} file(s) applied ({detail})."
    if not ready and not drop.refused and not waiting:
        summary = f"{title}: no file in {folder}; nothing to do."
    lines = [summary] + [f"  {n}" for n in notes]
    lines += [f"  not imported: {b.file} line {b.line}: {b.reason}" for b in bad[:cap]]
    if len(bad) > cap:
        lines.append(f"  ... and {len(bad) - cap} more rows not imported.")
    lines += [
        "  "
        + ", ".join(
            f"{h.lower()} {'-' if v is None else v}" for h, v in zip(headers, c, strict=True)
        )
        for c in changes[:cap]
    ]
    if unreadable:
        summary += f" {unreadable} file(s) could not be read and stay in {folder}."
        lines[0] = summary
    result = listed_result(
        summary,
        lines,
        headers,
        changes[:cap],
        total=changes_total,
        cap=cap,
        counts={**counts, "unreadable_files": unreadable},
    )
    # A file nobody can read needs a person: the run says so by failing.
    return dataclasses.replace(result, success=not unreadable)
