"""What the file integrations share: the processed-files ledger, safe server names, results."""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import hashlib
import html
import io
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from job_library.base import JobResult, RemoteEntry, RemoteFiles

# Left by an upload still in progress or an editor: never a vendor's finished file.
_UNFINISHED_SUFFIXES = (".partial", ".tmp")
# How often a file that keeps changing is looked at again before the run leaves it.
_SETTLE_ROUNDS = 3


def checksum(data: bytes) -> str:
    """The SHA-256 of a file's bytes: the ledger's key."""
    return hashlib.sha256(data).hexdigest()


def is_safe_name(name: str) -> bool:
    """Whether a file name listed by the server may be joined to a folder path.

    Names are the server's, so one holding a separator, a dot-dot or a control character is
    never used to build a path (remote or local).
    """
    return (
        name not in ("", ".", "..") and "/" not in name and "\\" not in name and name.isprintable()
    )


def is_unfinished(name: str) -> bool:
    """Hidden files and leftovers of an upload (``*.partial``, ``*.tmp``): always ignored."""
    return name.startswith(".") or name.lower().endswith(_UNFINISHED_SUFFIXES)


def shown(name: str | bytes) -> str:
    """A server name as output may show it: bytes that are not UTF-8 as ``\\xNN``."""
    return name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else repr(name)


def is_candidate(entry: RemoteEntry, pattern: str) -> bool:
    """Whether an entry is a finished regular file whose name matches ``pattern``.

    The file sensors and the jobs use this one rule, so a sensor never fires on what the
    job will not take (``.`` and ``..``, hidden and partial files, links, folders).
    """
    return (
        entry.kind == "file"
        and isinstance(entry.name, str)
        and is_safe_name(entry.name)
        and not is_unfinished(entry.name)
        and fnmatch.fnmatchcase(entry.name, pattern)
    )


@dataclass
class Survey:
    """A drop folder as a job sees it: the files to take and what it refused, with why."""

    files: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def survey(
    remote: RemoteFiles, folder: str, pattern: str = "*", exclude: Iterable[str] = ()
) -> Survey:
    """The files of ``folder`` a job may take, and every entry refused with the reason.

    Symbolic links are never followed (a link could point anywhere the SFTP user can
    read); names that are not UTF-8 or hold a separator or control character are left
    alone; hidden and partial files and folders are silently ignored.
    """
    excluded = set(exclude)
    result = Survey()
    for entry in remote.scan(folder):
        name = entry.name
        if isinstance(name, bytes):
            result.refused.append(
                f"{folder}/{shown(name)} has a name that is not UTF-8 (shown with \\x escapes): "
                "it was left alone."
            )
            continue
        if name in excluded or is_unfinished(name) or entry.kind == "folder":
            continue
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        if not is_safe_name(name):
            result.refused.append(f"{shown(name)} is not a usable file name; it was left alone.")
        elif entry.kind == "symlink":
            result.refused.append(
                f"{folder}/{name} is a symbolic link: refused and left alone (links are never "
                "followed; the vendor must put the file itself)."
            )
        elif entry.kind == "file":
            result.files.append(name)
        else:
            result.refused.append(f"{folder}/{name} is not a regular file: left alone.")
    return result


def settled(remote: RemoteFiles, paths: list[str]) -> tuple[list[str], list[str]]:
    """Which of ``paths`` kept their size and modification time for the settle period.

    A file still being uploaded is not taken: (ready, still changing or gone).
    """
    if not paths or remote.settle_seconds <= 0:
        return list(paths), []

    def look(path: str) -> tuple | None:
        entry = remote.stat(path)
        return None if entry is None else (entry.kind, entry.size, entry.mtime)

    before = {p: look(p) for p in paths}
    pending = [p for p in paths if before[p] is not None]
    ready: list[str] = []
    for _ in range(_SETTLE_ROUNDS):
        time.sleep(remote.settle_seconds)
        still = []
        for p in pending:
            now = look(p)
            if now is not None and now == before[p]:
                ready.append(p)
            elif now is not None:
                before[p] = now
                still.append(p)
        pending = still
        if not pending:
            break
    changing = [p for p in paths if p not in ready]
    return [p for p in paths if p in ready], changing


def earlier_import(conn: sa.Connection, job_id: str, sha256: str) -> sa.Row | None:
    """The ledger row of an earlier import of the same bytes by this job, if any."""
    from job_library.schema import processed_files

    return conn.execute(
        sa.select(processed_files.c.file_name, processed_files.c.processed_at).where(
            processed_files.c.job_id == job_id, processed_files.c.sha256 == sha256
        )
    ).first()


def ledgered_names(conn: sa.Connection, job_id: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` this job's ledger holds."""
    from job_library.schema import processed_files

    names = list(names)
    if not names:
        return set()
    return set(
        conn.execute(
            sa.select(processed_files.c.file_name).where(
                processed_files.c.job_id == job_id, processed_files.c.file_name.in_(names)
            )
        ).scalars()
    )


def record_import(
    conn: sa.Connection, job_id: str, file_name: str, sha256: str, rows: int, *, again: bool = False
) -> None:
    """Add a file to the ledger, in the same transaction as its rows.

    ``again``: the same bytes were imported once more on purpose (the ledger keeps one row
    per file content, now naming the latest import).
    """
    from job_library.schema import processed_files

    if again:
        conn.execute(
            sa.update(processed_files)
            .where(processed_files.c.job_id == job_id, processed_files.c.sha256 == sha256)
            .values(file_name=file_name, rows=rows, processed_at=dt.datetime.now(dt.UTC))
        )
        return
    conn.execute(
        sa.insert(processed_files).values(
            job_id=job_id,
            file_name=file_name,
            sha256=sha256,
            rows=rows,
            processed_at=dt.datetime.now(dt.UTC),
        )
    )


def combined(results: list[JobResult]) -> JobResult:
    """One result for a run that handled several files: every part kept, counts added up."""
    if len(results) == 1:
        return results[0]
    counts: Counter[str] = Counter()
    for r in results:
        counts.update(r.counts)
    return JobResult(
        success=all(r.success for r in results),
        summary=" ".join(r.summary for r in results),
        text="\n\n".join(r.text or r.summary for r in results),
        html="".join(r.html or f"<p>{html.escape(r.summary)}</p>" for r in results),
        counts=dict(counts),
    )


def read_csv(data: bytes, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a UTF-8 CSV file with exactly ``columns`` (any order) as its header; raises
    ValueError naming what makes the file unreadable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte offset {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if sorted(header) != sorted(columns):
        raise ValueError(f"wrong header {','.join(header)!r}: expected {','.join(columns)}")
    rows = []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise ValueError(
                f"line {reader.line_num} has {len(fields)} field(s), expected {len(header)}"
            )
        rows.append((reader.line_num, {h: f.strip() for h, f in zip(header, fields, strict=True)}))
    return rows
