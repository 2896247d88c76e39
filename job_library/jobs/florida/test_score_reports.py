"""Generate Test Score Report records based on report files: the portal's download links."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.output import html_table

FOLDER = ("uploaded-assets", "test_score_reports")  # under the district's files
# <FLEID>_<TEST>_<YEAR>.pdf: FL and 12 digits, the test's short name, the school year.
NAME = re.compile(r"^(FL\d{12})_([A-Z0-9]{1,20})_(\d{4})\.PDF$", re.IGNORECASE)
# A file changed this recently may still be uploading: it waits for the next run.
SETTLE_SECONDS = 60


class ScoreReportFilesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Files listed")


@dataclass(frozen=True)
class Folder:
    """What the reports folder holds: valid settled names, every present name, refusals."""

    valid: list[tuple[str, str, str, int]]  # file name, FLEID, test, year
    present: list[str]
    ignored: list[tuple[str, str]]  # file name, why
    waiting: list[str]


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid report file name, or None when it is."""
    match = NAME.match(name)
    if match is None:
        return "the name is not <FLEID>_<TEST>_<YEAR>.pdf"
    if set(match.group(1)[2:]) == {"0"}:
        return "the FLEID is all zeros"
    return None


def read_folder(folder: str | os.PathLike, now: dt.datetime) -> Folder:
    """The report files of ``folder`` (never following a link), sorted by name."""
    valid, present, ignored, waiting = [], [], [], []
    newest = now.timestamp() - SETTLE_SECONDS
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if name.startswith(".") or name.lower().endswith((".partial", ".tmp")):
                continue
            if entry.is_symlink():
                ignored.append((name, "a symbolic link: links are never followed"))
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            present.append(name)
            problem = name_problem(name) if name.isprintable() else "not a printable name"
            if problem is not None:
                ignored.append((name, problem))
            elif entry.stat(follow_symlinks=False).st_mtime > newest:
                waiting.append(name)
            else:
                match = NAME.match(name)
                valid.append(
                    (name, match.group(1).upper(), match.group(2).upper(), int(match.group(3)))
                )
    return Folder(valid, present, ignored, waiting)


class GenerateTestScoreReportRecords(Job):
    key = "generate_test_score_report_records"
    title = "Generate Test Score Report records based on report files"
    description = (
        "Keeps the test_score_reports table, which the Student/Parent Portal reads to offer "
        "score report downloads, in step with the PDF files in the uploaded-assets/"
        "test_score_reports folder of the district's files (every kind of score report, not "
        "only progress monitoring). A file named <FLEID>_<TEST>_<YEAR>.pdf (FL and twelve "
        "digits, the test's short name in letters and digits, the school year in four digits; "
        "any letter case) that is new gets a row for the student with that FLEID; a row whose "
        "file is gone is removed. Files with another name, an all-zero FLEID, a FLEID no "
        "student has, or that are symbolic links are left out and listed with the reason. A "
        "file changed in the last minute is taken by the next run. Without the folder the run "
        "fails and changes nothing. Starts as a weekday evening job."
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = ScoreReportFilesParams
    default_schedule = DefaultSchedule(run_time="19:00", weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: ScoreReportFilesParams) -> JobResult:
        from job_library.jobs.system._district_files import district_folder

        folder = district_folder(context, *FOLDER)
        if not folder.is_dir() or folder.is_symlink():
            summary = (
                f"The report folder {'/'.join(FOLDER)} does not exist in the district's files "
                "(or is a link): create it and upload the reports there. Nothing changed."
            )
            return JobResult.message(False, summary, {"added": 0, "removed": 0})
        found = read_folder(folder, context.now())
        added, removed, unknown = synchronise(context.connection, found, context.now())
        return _report(found, added, removed, unknown, params.max_listed)


def synchronise(
    conn: sa.Connection, found: Folder, now: dt.datetime
) -> tuple[list[tuple], list[tuple], list[str]]:
    """Add the new valid files and remove the rows of files gone, in three statements;
    (added, removed, valid names no student has)."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.florida_reporting import test_score_reports as r
    from job_library.sis_sql import scratch_table

    temp = scratch_table(
        conn,
        "tmp_report_files",
        [
            sa.Column("file_name", sa.String(255), primary_key=True),
            sa.Column("fleid", sa.String(14)),
            sa.Column("test_name", sa.String(20)),
            sa.Column("report_year", sa.Integer),
        ],
    )
    valid = {v[0]: v for v in found.valid}
    rows = [
        dict(zip(("file_name", "fleid", "test_name", "report_year"), valid[n], strict=True))
        if n in valid
        else dict(file_name=n, fleid=None, test_name=None, report_year=None)
        for n in found.present
    ]
    if rows:
        conn.execute(sa.insert(temp), rows)
    st = students
    gone = sa.select(r.c.report_id).where(~r.c.file_name.in_(sa.select(temp.c.file_name)))
    removed = [
        tuple(x)
        for x in conn.execute(
            sa.select(r.c.file_name, r.c.student_id, st.c.last_name, st.c.first_name)
            .join(st, st.c.student_id == r.c.student_id)
            .where(r.c.report_id.in_(gone))
            .order_by(r.c.file_name)
        )
    ]
    conn.execute(sa.delete(r).where(r.c.report_id.in_(gone)))
    new = (
        sa.select(temp.c.file_name, st.c.student_id, temp.c.test_name, temp.c.report_year)
        .join(st, st.c.fleid == temp.c.fleid)
        .where(temp.c.fleid.is_not(None), ~temp.c.file_name.in_(sa.select(r.c.file_name)))
    )
    listed = new.subquery()
    added = [
        tuple(x)
        for x in conn.execute(
            sa.select(listed.c.file_name, listed.c.student_id, st.c.last_name, st.c.first_name)
            .join(st, st.c.student_id == listed.c.student_id)
            .order_by(listed.c.file_name)
        )
    ]
    conn.execute(
        sa.insert(r).from_select(
            ["file_name", "student_id", "test_name", "report_year", "added_at"],
            new.add_columns(sa.literal(now, sa.DateTime(timezone=True))),
        )
    )
    unknown = list(
        conn.execute(
            sa.select(temp.c.file_name)
            .outerjoin(st, st.c.fleid == temp.c.fleid)
            .where(temp.c.fleid.is_not(None), st.c.student_id.is_(None))
            .order_by(temp.c.file_name)
        ).scalars()
    )
    temp.drop(conn)
    return added, removed, unknown


def _report(
    found: Folder, added: list[tuple], removed: list[tuple], unknown: list[str], cap: int
) -> JobResult:
    ignored = sorted([*found.ignored, *((n, "no student has this FLEID") for n in unknown)])
    summary = (
        f"Added {len(added)} and removed {len(removed)} test score report record(s); "
        f"{len(ignored)} file(s) ignored"
        + (f", {len(found.waiting)} still being uploaded (next run)" if found.waiting else "")
        + "."
    )
    changes = [
        *(("added", n, f"{last}, {first}", sid) for n, sid, last, first in added),
        *(("removed", n, f"{last}, {first}", sid) for n, sid, last, first in removed),
    ]
    lines = [summary]
    lines += [
        f"  {action}: {name} (student {sid}, {who})" for action, name, who, sid in changes[:cap]
    ]
    lines += [f"  ignored: {name}: {why}" for name, why in ignored[:cap]]
    lines += [f"  waiting: {name}" for name in found.waiting[:cap]]
    more = max(0, len(changes) - cap) + max(0, len(ignored) - cap)
    if more:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(
            ("Change", "File", "Student", "Name"),
            [(a, n, sid, who) for a, n, who, sid in changes[:cap]],
        )
        + html_table(("Ignored file", "Reason"), ignored[:cap])
        + (f"<p>{more} more not listed.</p>" if more else "")
    )
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=page,
        counts={
            "added": len(added),
            "removed": len(removed),
            "ignored": len(ignored),
            "waiting": len(found.waiting),
        },
    )
