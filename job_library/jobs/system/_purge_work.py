"""The work of Purge Old Files: find the due category B uploads in SQL, delete, then unlink."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.system._district_files import OutsideFolder, district_folder, inside
from job_library.output import listed_result
from job_library.schemas.enrollment import students
from job_library.schemas.system import document_text, student_uploads, upload_fields
from job_library.sis_sql import analyze, scratch_table

if TYPE_CHECKING:
    from job_library.jobs.system.purge_old_files import PurgeOldFilesParams

UPLOADS = "uploads"  # the uploads' folder under the district's files
HOLD_ALIAS = "document_hold"

# Every category B upload whose retention is over, with whether the student is on hold.
# A withdrawal date exists only for a student whose every enrollment has ended.
_DUE = """
INSERT INTO {temp} (upload_id, student_id, field_id, stored_path, file_name, basis, counted_from,
                    held)
SELECT u.upload_id, u.student_id, u.field_id, u.stored_path, u.file_name, f.retain_by,
       CASE WHEN f.retain_by = 'upload' THEN NULL ELSE w.withdrawn_on END,
       CASE WHEN EXISTS (
         SELECT 1 FROM custom_field_values v JOIN custom_fields cf ON cf.field_id = v.field_id
         WHERE cf.alias = :hold AND cf.record_table = 'students'
           AND v.record_id = u.student_id AND v.value = 'Y') THEN 1 ELSE 0 END
FROM student_uploads u
JOIN upload_fields f ON f.field_id = u.field_id
JOIN {cutoffs} c ON c.years = f.retention_years
LEFT JOIN (
  SELECT student_id, MAX(end_date) AS withdrawn_on FROM student_enrollment
  GROUP BY student_id HAVING COUNT(*) = COUNT(end_date)
) w ON w.student_id = u.student_id
WHERE f.category = 'B'
  AND ((f.retain_by = 'upload' AND u.uploaded_at < c.uploaded_before)
    OR (f.retain_by = 'withdrawal' AND w.withdrawn_on <= c.last_day))
"""


@dataclass(frozen=True)
class _Due:
    upload_id: int
    student_id: int
    name: str
    field: str
    file_name: str
    stored_path: str
    basis: str
    counted_from: dt.date | None
    held: bool
    uploaded_at: dt.datetime


def _years_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def purge(context: JobContext, params: PurgeOldFilesParams) -> JobResult:
    conn = context.connection
    now = context.now()
    today = now.date()
    years = sorted(
        y
        for y in conn.execute(
            sa.select(upload_fields.c.retention_years)
            .where(upload_fields.c.category == "B", upload_fields.c.retention_years >= 0)
            .distinct()
        ).scalars()
        if y is not None
    )
    cutoffs = scratch_table(
        conn,
        "tmp_purge_cutoffs",
        [
            sa.Column("years", sa.Integer, primary_key=True),
            sa.Column("last_day", sa.Date, nullable=False),
            sa.Column("uploaded_before", sa.DateTime(timezone=True), nullable=False),
        ],
    )
    rows = []
    for y in years:
        last_day = _years_back(today, y)
        # Uploaded on last_day or before (district time): before the next day's midnight.
        start_next = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), now.tzinfo)
        rows.append(
            {"years": y, "last_day": last_day, "uploaded_before": start_next.astimezone(dt.UTC)}
        )
    if rows:
        conn.execute(sa.insert(cutoffs), rows)
    temp = scratch_table(
        conn,
        "tmp_purge_due",
        [
            sa.Column("upload_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("field_id", sa.Integer, nullable=False),
            sa.Column("stored_path", sa.String(500), nullable=False),
            sa.Column("file_name", sa.String(255), nullable=False),
            sa.Column("basis", sa.String(10), nullable=False),
            sa.Column("counted_from", sa.Date),
            sa.Column("held", sa.Integer, nullable=False),
        ],
    )
    conn.execute(
        sa.text(_DUE.format(temp=temp.name, cutoffs=cutoffs.name)).bindparams(hold=HOLD_ALIAS)
    )
    analyze(conn, temp)
    due = [
        _Due(
            r.upload_id,
            r.student_id,
            f"{r.last_name}, {r.first_name}",
            r.title,
            r.file_name,
            r.stored_path,
            r.basis,
            r.counted_from,
            bool(r.held),
            # SQLite gives back the stored UTC time without its zone.
            r.uploaded_at if r.uploaded_at.tzinfo else r.uploaded_at.replace(tzinfo=dt.UTC),
        )
        for r in conn.execute(
            sa.select(
                temp,
                students.c.last_name,
                students.c.first_name,
                upload_fields.c.title,
                student_uploads.c.uploaded_at,
            )
            .join(students, students.c.student_id == temp.c.student_id)
            .join(student_uploads, student_uploads.c.upload_id == temp.c.upload_id)
            .join(upload_fields, upload_fields.c.field_id == temp.c.field_id)
            .order_by(temp.c.student_id, temp.c.upload_id)
        )
    ]
    folder = district_folder(context, UPLOADS)
    bad: list[tuple[_Due, str]] = []
    files: list[Path] = []
    purge_ids: list[int] = []
    for item in due:
        if item.held:
            continue
        try:
            files.append(inside(folder, item.stored_path))
        except OutsideFolder as exc:
            bad.append((item, f"not purged: {exc}"))
            continue
        purge_ids.append(item.upload_id)
    deleted = 0
    if purge_ids and not params.dry_run:
        chosen = sa.select(temp.c.upload_id).where(temp.c.upload_id.in_(purge_ids))
        conn.execute(sa.delete(document_text).where(document_text.c.upload_id.in_(chosen)))
        deleted = conn.execute(
            sa.delete(student_uploads).where(student_uploads.c.upload_id.in_(chosen))
        ).rowcount
        context.after_commit(lambda: _unlink(files))
    temp.drop(conn)
    cutoffs.drop(conn)
    return _report(due, bad, purge_ids, deleted, params, now.tzinfo)


def _unlink(files: list[Path]) -> None:
    for path in files:
        path.unlink(missing_ok=True)


def _report(
    due: list[_Due],
    bad: list[tuple[_Due, str]],
    purge_ids: list[int],
    deleted: int,
    params: PurgeOldFilesParams,
    tz: dt.tzinfo | None,
) -> JobResult:
    held = [d for d in due if d.held]
    chosen = set(purge_ids)
    if params.dry_run:
        summary = f"Dry run: {len(purge_ids)} file(s) are due to be purged; nothing was deleted."
    elif deleted:
        summary = f"Purged {deleted} category B file(s) past their retention."
    else:
        summary = "No category B file is past its retention; nothing was deleted."
    if held:
        summary += f" {len(held)} file(s) kept for students on Document Hold."
    if bad:
        summary += f" {len(bad)} file(s) not purged (see below)."
    verb = "would purge" if params.dry_run else "purged"
    # One listing under one cap: the files not purged first (they need someone), then the
    # purged ones, then those kept on hold; everything past the cap is counted in "... more".
    entries: list[tuple[str, tuple]] = []
    for d, reason in bad:
        entries.append(
            (
                f"  student {d.student_id} ({d.name}): {d.file_name}: {reason}",
                (d.student_id, d.name, d.field, d.file_name, "", reason),
            )
        )
    for d in (d for d in due if d.upload_id in chosen):
        since = (
            f"uploaded {d.uploaded_at.astimezone(tz).date()}"
            if d.basis == "upload"
            else f"withdrawn {d.counted_from}"
        )
        entries.append(
            (
                f"  {verb}: student {d.student_id} ({d.name}), {d.field}: {d.file_name} ({since})",
                (d.student_id, d.name, d.field, d.file_name, since, verb),
            )
        )
    for d in held:
        entries.append(
            (
                f"  kept (Document Hold): student {d.student_id} ({d.name}): {d.file_name}",
                (d.student_id, d.name, d.field, d.file_name, "", "kept: Document Hold"),
            )
        )
    listed = entries[: params.max_listed]
    lines = [summary, *(line for line, _ in listed)]
    rows = [row for _, row in listed]
    result = listed_result(
        summary,
        lines,
        ("Student", "Name", "Upload field", "File", "Counted from", "Action"),
        rows,
        total=len(entries),
        cap=params.max_listed,
        counts={
            "purged": deleted,
            "due": len(purge_ids),
            "held": len(held),
            "not_purged": len(bad),
        },
    )
    return result
