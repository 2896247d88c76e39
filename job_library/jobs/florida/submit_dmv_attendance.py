"""Submit DMV Attendance via FTP (Florida): students under 18 out of attendance compliance."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.output import html_table
from job_library.sis_params import SchoolYear

CONNECTION = "dmv_ftp"
FTE_CONNECTION = "district_fte_ftp"
FTE_LANE = "fte"  # the FTE file's own outbox: <file store>/<job id>/fte/outbox
WINDOW_DAYS = 90
RECORD = 80

# Each student's full-day unexcused absences in the window, with the school of the latest one.
_STUDENTS = """
SELECT x.student_id, x.fleid, x.last_name, x.first_name, x.birthdate, x.days,
       sc.district_number, sc.school_number
FROM (
    SELECT s.student_id AS student_id, s.fleid AS fleid, s.last_name AS last_name,
           s.first_name AS first_name, s.birthdate AS birthdate, COUNT(*) AS days,
           MAX(a.school_date) AS last_day
    FROM attendance_day a
    JOIN students s ON s.student_id = a.student_id
    WHERE a.school_date >= :start AND a.school_date <= :as_of
      AND a.state_value = 0 AND a.absence_type = 'unexcused'
      AND (s.birthdate IS NULL OR s.birthdate > :born_after)
    GROUP BY s.student_id, s.fleid, s.last_name, s.first_name, s.birthdate
    HAVING COUNT(*) >= :threshold
) x
JOIN attendance_day l ON l.student_id = x.student_id AND l.school_date = x.last_day
JOIN schools sc ON sc.school_id = l.school_id
ORDER BY x.last_name, x.first_name, x.student_id
"""


class SubmitDmvAttendanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(
        default=None,
        title="As of",
        description="The last day of the 90-day window (empty: the day the job runs).",
    )
    unexcused_days: int = Field(
        default=15,
        ge=1,
        le=WINDOW_DAYS,
        title="Unexcused absences",
        description="Full-day unexcused absences in the window that put a student in the file.",
    )
    send_fte: bool = Field(
        default=True,
        title="Send the FTE to the district",
        description="Also send the district's submitted FTE file (PK-12 survey records).",
    )
    fte_syear: SchoolYear = None
    fte_survey: Literal["1", "2", "3", "4", "5"] | None = Field(
        default=None,
        title="FTE survey period",
        description="Empty: the latest survey the DOE extracts hold for the school year.",
    )
    fte_connection: str = Field(
        default=FTE_CONNECTION,
        min_length=1,
        max_length=250,
        pattern=r"^[A-Za-z0-9_.-]+$",
        title="FTE connection",
        description="The Airflow FTP connection of the district's FTE server.",
    )
    fte_folder: str | None = Field(
        default=None,
        max_length=250,
        title="FTE folder",
        description="The server folder the FTE file goes to (empty: the connection's folder).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Students listed")


def eighteenth_birthday_cutoff(as_of: dt.date) -> dt.date:
    """Students born after this day are under 18 on ``as_of`` (29 February: 1 March)."""
    try:
        return as_of.replace(year=as_of.year - 18)
    except ValueError:
        return dt.date(as_of.year - 18, 3, 1) - dt.timedelta(days=1)


def record(row, as_of: dt.date) -> str:
    """One 80-character detail record (layout in the README and the job description)."""
    from job_library.jobs.florida._ftp_submit import ascii_field

    return (
        str(row.district_number).strip().rjust(2, "0")[-2:]
        + str(row.school_number).strip().rjust(4, "0")[-4:]
        + ascii_field(row.fleid, 14)
        + ascii_field(row.last_name, 25)
        + ascii_field(row.first_name, 15)
        + row.birthdate.strftime("%Y%m%d")
        + f"{min(row.days, 999):03d}"
        + as_of.strftime("%Y%m%d")
        + "A"
    )


class SubmitDmvAttendance(Job):
    key = "submit_dmv_attendance_via_ftp"
    title = "Submit DMV Attendance via FTP"
    module = "Florida State Reporting"
    needs_state = "FL"
    kind = JobKind.INTEGRATION
    description = (
        "Builds the driver-licence attendance file for Florida's motor vehicle department and "
        "sends it over FTP, or FTPS when the 'dmv_ftp' connection's extra says tls: true (its "
        "extra folder names where the file goes). A student is in the file when, in the 90 "
        "days ending on the As of day (that day and the 89 before it), they have at least the "
        "chosen number of full-day unexcused absences (15 by default) and are still under 18 "
        "on that day (a student turning 18 that day is left out). The department's layout is "
        "not public, so the file follows a layout of our own described in the README: fixed "
        "width, 80 characters a line and CR LF, one line per student then a trailer line "
        "with the count. A student without a Florida student id or a birthdate is not sent and "
        "is listed with the reason. The file is named DMV_ATTENDANCE_YYYYMMDD.txt after the "
        "As of day. With 'Send the FTE to the district' on (the default), the same run also "
        "hands the district its submitted FTE: the PK-12 records the Florida DOE Extracts job "
        "keeps for the chosen school year (default: the district's) and survey (default: the "
        "latest one there), in the DOE's 160-character layout, one CR LF line per record in "
        "school then student order and no trailer, as FTE_<fiscal year>_SURVEY<n>.txt (for "
        "example FTE_2627_SURVEY2.txt). It goes over the 'district_fte_ftp' connection (or "
        "the one the job names), into the job's FTE folder when one is set, else the "
        "connection's folder; with no records there, or no such connection in Airflow, it is "
        "not sent, the output says why and the run stands on the DMV file. Each file has its "
        "own outbox; a file equal to the one last sent under its name is not sent again (an "
        "older version that comes back is). If an "
        "upload fails, the run fails and the file waits in its outbox; the next run sends it "
        "first, and so does a run rolled back by a database error after the upload (the "
        "server may then get the same file twice). The ledger counts data lines only."
    )
    params_model = SubmitDmvAttendanceParams
    default_schedule = DefaultSchedule(run_time="19:00", weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: SubmitDmvAttendanceParams) -> JobResult:
        from job_library.jobs.florida._ftp_submit import every_line, submit

        as_of = params.as_of or context.now().date()
        rows = context.connection.execute(
            sa.text(_STUDENTS)
            .bindparams(
                sa.bindparam("start", type_=sa.Date),
                sa.bindparam("as_of", type_=sa.Date),
                sa.bindparam("born_after", type_=sa.Date),
            )
            .columns(birthdate=sa.Date),
            {
                "start": as_of - dt.timedelta(days=WINDOW_DAYS - 1),
                "as_of": as_of,
                "born_after": eighteenth_birthday_cutoff(as_of),
                "threshold": params.unexcused_days,
            },
        ).all()
        lines, not_sent, listed = [], [], []
        for row in rows:
            name = f"{row.last_name}, {row.first_name}"
            if not row.fleid:
                not_sent.append((row.student_id, name, "No Florida student id: not sent"))
            elif row.birthdate is None:
                not_sent.append((row.student_id, name, "No birthdate: not sent"))
            else:
                lines.append(record(row, as_of))
                listed.append((row.fleid, name, row.days))
        trailer = ("T" + f"{len(lines):06d}" + as_of.strftime("%Y%m%d")).ljust(RECORD)
        data = "".join(f"{line}\r\n" for line in [*lines, trailer]).encode("ascii")
        name = f"DMV_ATTENDANCE_{as_of:%Y%m%d}.txt"
        fte = _fte_file(context.connection, params) if params.send_fte else None
        if isinstance(fte, Fte) and (missing := _no_connection(context, params.fte_connection)):
            fte = missing  # the DMV file still goes: a district without an FTE server is told
        out = submit(context, CONNECTION, name, data)
        fte_out = None
        if isinstance(fte, Fte):
            fte_out = submit(
                context,
                params.fte_connection,
                fte.name,
                fte.data,
                lane=FTE_LANE,
                folder=params.fte_folder,
                data_rows=every_line,
            )
        result = _result(out, name, listed, not_sent, as_of, params)
        return _with_fte(result, fte, fte_out) if params.send_fte else result


@dataclass(frozen=True)
class Fte:
    """The district's submitted FTE for one school year and survey."""

    name: str
    data: bytes
    records: int
    syear: int
    survey: str


def _fte_file(conn: sa.Connection, params: SubmitDmvAttendanceParams) -> Fte | str:
    """The FTE file built from the PK-12 extract records, or why there is none."""
    from job_library.jobs.florida._doe_layouts import fiscal_year
    from job_library.schemas.florida_reporting import florida_pk12_initial as t
    from job_library.sis_sql import resolve_year_and_schools

    resolved = resolve_year_and_schools(conn, params.fte_syear, [])
    if isinstance(resolved, str):
        return f"FTE not sent: {resolved}"
    syear = resolved[0]
    survey = (
        params.fte_survey
        or conn.execute(sa.select(sa.func.max(t.c.survey)).where(t.c.syear == syear)).scalar()
    )
    records = []
    if survey is not None:
        records = list(
            conn.execute(
                sa.select(t.c.record)
                .where(t.c.syear == syear, t.c.survey == survey)
                .order_by(t.c.school_id, t.c.student_id)
            ).scalars()
        )
    if not records:
        which = f"survey {survey}" if survey else "any survey"
        return (
            f"FTE not sent: no PK-12 records of {which} for school year {syear}; run "
            "Florida DOE Extracts and Verification Reports first."
        )
    data = "".join(f"{r}\r\n" for r in records).encode("ascii")
    return Fte(f"FTE_{fiscal_year(syear)}_SURVEY{survey}.txt", data, len(records), syear, survey)


def _no_connection(context: JobContext, conn_id: str) -> str | None:
    """Why the FTE cannot go out when Airflow has no connection ``conn_id``, else None.

    A district that never set up an FTE server would otherwise get a failed run every day
    and a file that waits in the outbox for ever; it is told instead, and the run stands on
    the DMV file alone.
    """
    if context.connections is None:
        return None  # the upload reports it: no connection can be looked up in this run
    try:
        context.connections(conn_id)
    except LookupError:
        return (
            f"FTE not sent: Airflow has no connection {conn_id!r} for the district's FTE "
            "server; create it, or turn off Send the FTE to the district."
        )
    return None


def _with_fte(result: JobResult, fte: Fte | str | None, out) -> JobResult:
    """``result`` with what happened to the FTE file."""
    from job_library.jobs.florida._ftp_submit import told

    counts = dict(result.counts)
    if isinstance(fte, str) or fte is None:
        note = fte or ""
        counts["fte_records"] = 0
        success = result.success
    else:
        counts["fte_records"] = fte.records
        counts["files_sent"] += len(out.sent)
        counts["files_waiting"] += len(out.pending)
        what = f"{fte.name} ({fte.records} FTE record(s), survey {fte.survey} of {fte.syear})"
        note = told(
            out, f"{what} was sent before: not sent again.", f"{what}.",
            upload="FTE upload", box="FTE outbox", to=" to the district",
        )  # fmt: skip
        success = result.success and out.error is None
    return JobResult(
        success=success,
        summary=f"{result.summary} {note}",
        text=f"{result.summary} {note}" + result.text[len(result.summary) :],
        html=result.html + f"<p>{html.escape(note)}</p>",
        counts=counts,
    )


def _result(out, name, listed, not_sent, as_of, params) -> JobResult:
    from job_library.jobs.florida._ftp_submit import told

    cap = params.max_listed
    counts = {
        "students": len(listed),
        "not_sent": len(not_sent),
        "files_sent": len(out.sent),
        "files_waiting": len(out.pending),
    }
    head = told(
        out,
        f"{name} ({len(listed)} student(s)) was sent before: not sent again.",
        f"{name}: {len(listed)} student(s) under 18 with {params.unexcused_days} or more "
        f"unexcused absences in the 90 days to {as_of}.",
    )
    if not_sent:
        head += f" {len(not_sent)} student(s) not sent (listed)."
    text = [head]
    text += [f"  {fleid} {who}: {days} day(s)" for fleid, who, days in listed[:cap]]
    text += [f"  not sent: #{sid} {who}: {why}" for sid, who, why in not_sent[:cap]]
    more = max(0, len(listed) - cap) + max(0, len(not_sent) - cap)
    if more:
        text.append(f"  ... and {more} more (listing capped at {cap}).")
    return JobResult(
        success=out.error is None,
        summary=head,
        text="\n".join(text),
        html=f"<p>{html.escape(head)}</p>"
        + html_table(("FLEID", "Student", "Unexcused days"), listed[:cap])
        + html_table(("Student id", "Student", "Not sent because"), not_sent[:cap]),
        counts=counts,
    )
