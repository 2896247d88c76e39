"""Submit LearnFare via FTP (Florida): a month's unexcused absences of school-age students."""

from __future__ import annotations

import datetime as dt
import html

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table

CONNECTION = "learnfare_ftp"
RECORD = 63

# Each student's full-day absences of the month, when at least one was unexcused.
_STUDENTS = """
SELECT s.student_id, s.last_name, s.first_name, s.birthdate,
       SUM(CASE WHEN a.absence_type = 'unexcused' THEN 1 ELSE 0 END) AS unexcused,
       SUM(CASE WHEN a.absence_type = 'excused' THEN 1 ELSE 0 END) AS excused
FROM attendance_day a
JOIN students s ON s.student_id = a.student_id
WHERE a.school_date >= :first AND a.school_date <= :last AND a.state_value = 0
  AND (s.birthdate IS NULL OR (s.birthdate <= :born_by AND s.birthdate > :born_after))
GROUP BY s.student_id, s.last_name, s.first_name, s.birthdate
HAVING SUM(CASE WHEN a.absence_type = 'unexcused' THEN 1 ELSE 0 END) >= 1
ORDER BY s.student_id
"""


class SubmitLearnFareParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(
        default=None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        title="Month",
        description="The month reported, YYYY-MM (empty: the month before the run).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Students listed")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February: 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 2, 28)


def month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    if month is None:
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


class SubmitLearnFare(Job):
    key = "submit_learnfare_via_ftp"
    title = "Submit LearnFare via FTP"
    module = "Florida State Reporting"
    needs_state = "FL"
    kind = JobKind.INTEGRATION
    description = (
        "Sends LearnFare a month of attendance over FTP, or FTPS when the 'learnfare_ftp' "
        "connection's extra says tls: true (its extra folder names where the file goes). "
        "Every student aged 6 to 19 on the month's first day (6 that day counts, 20 that day "
        "does not) with at least one full-day unexcused absence in the month is reported with "
        "the month's full-day unexcused and excused absence counts; half days are not counted. "
        "LearnFare's layout is not public, so the file follows a layout of our own described "
        "in the README: fixed width, 63 characters a line and CR LF, a trailer line with the "
        "count. A student without a birthdate is not sent and is listed with the reason. The "
        "month is the one before the run unless the job names one; the file is "
        "LEARNFARE_YYYYMM.txt, and a file equal to the one last sent under its name is not "
        "sent again (an older version that comes back is). A failed "
        "upload fails the run and leaves the file in the job's outbox; the next run sends it "
        "first, and so does a run rolled back by a database error after the upload (the "
        "server may then get the same file twice). The ledger counts a file's student lines, "
        "not its trailer."
    )
    params_model = SubmitLearnFareParams
    default_schedule = DefaultSchedule(run_time="20:00")

    def run(self, context: JobContext, params: SubmitLearnFareParams) -> JobResult:
        from job_library.jobs.florida._ftp_submit import ascii_field, submit, told

        first, last = month_bounds(params.month, context.now().date())
        rows = context.connection.execute(
            sa.text(_STUDENTS)
            .bindparams(
                *(
                    sa.bindparam(n, type_=sa.Date)
                    for n in ("first", "last", "born_by", "born_after")
                )
            )
            .columns(birthdate=sa.Date),
            {
                "first": first,
                "last": last,
                "born_by": years_before(first, 6),
                "born_after": years_before(first, 20),
            },
        ).all()
        month = first.strftime("%Y%m")
        lines, listed, not_sent = [], [], []
        for row in rows:
            who = f"{row.last_name}, {row.first_name}"
            if row.birthdate is None:
                not_sent.append((row.student_id, who, "No birthdate: not sent"))
                continue
            lines.append(
                "L"
                + f"{row.student_id:09d}"[-9:]
                + ascii_field(row.last_name, 20)
                + ascii_field(row.first_name, 15)
                + row.birthdate.strftime("%Y%m%d")
                + month
                + f"{min(int(row.unexcused), 99):02d}"
                + f"{min(int(row.excused), 99):02d}"
            )
            listed.append((row.student_id, who, int(row.unexcused), int(row.excused)))
        trailer = ("T" + f"{len(lines):06d}" + month).ljust(RECORD)
        data = "".join(f"{line}\r\n" for line in [*lines, trailer]).encode("ascii")
        name = f"LEARNFARE_{month}.txt"
        out = submit(context, CONNECTION, name, data)
        head = told(
            out,
            f"{name} ({len(lines)} student(s)) was sent before: not sent again.",
            f"{name}: {len(lines)} student(s) with unexcused absences in {first:%B %Y}.",
        )
        if not_sent:
            head += f" {len(not_sent)} student(s) not sent (listed)."
        cap = params.max_listed
        text = [head]
        text += [f"  #{sid} {who}: {u} unexcused, {e} excused" for sid, who, u, e in listed[:cap]]
        text += [f"  not sent: #{sid} {who}: {why}" for sid, who, why in not_sent[:cap]]
        more = max(0, len(listed) - cap) + max(0, len(not_sent) - cap)
        if more:
            text.append(f"  ... and {more} more (listing capped at {cap}).")
        return JobResult(
            success=out.error is None,
            summary=head,
            text="\n".join(text),
            html=f"<p>{html.escape(head)}</p>"
            + html_table(("Student id", "Student", "Unexcused", "Excused"), listed[:cap])
            + html_table(("Student id", "Student", "Not sent because"), not_sent[:cap]),
            counts={
                "students": len(lines),
                "not_sent": len(not_sent),
                "files_sent": len(out.sent),
                "files_waiting": len(out.pending),
            },
        )
