"""Submit DMV Attendance via FTP (Florida): students under 18 out of attendance compliance."""

from __future__ import annotations

import datetime as dt
import html

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.output import html_table

CONNECTION = "dmv_ftp"
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
        "As of day; the same file is never sent twice. If the upload fails, the run fails and "
        "the file waits in the job's outbox; the next run sends it first."
    )
    params_model = SubmitDmvAttendanceParams
    default_schedule = DefaultSchedule(run_time="19:00", weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: SubmitDmvAttendanceParams) -> JobResult:
        from job_library.jobs.florida._ftp_submit import submit

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
        out = submit(context, CONNECTION, name, data, len(lines))
        return _result(out, name, listed, not_sent, as_of, params)


def _result(out, name, listed, not_sent, as_of, params) -> JobResult:
    cap = params.max_listed
    counts = {
        "students": len(listed),
        "not_sent": len(not_sent),
        "files_sent": len(out.sent),
        "files_waiting": len(out.pending),
    }
    if out.already and not out.sent and out.error is None:
        head = f"{name} ({len(listed)} student(s)) was sent before: not sent again."
    else:
        head = (
            f"{name}: {len(listed)} student(s) under 18 with {params.unexcused_days} or more "
            f"unexcused absences in the 90 days to {as_of}."
        )
    if out.sent:
        head += f" Sent {', '.join(out.sent)}."
    if out.error is not None:
        head += (
            f" The upload failed ({out.error}); waiting in the outbox for the next run: "
            f"{', '.join(out.pending)}."
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
