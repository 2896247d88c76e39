"""FLEID Export/Import: FLEID requests sent to the state and its answers matched back."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult, RemoteFileError, RemoteFiles
from job_library.output import html_table

OUTGOING = "/fleid/outgoing"
INCOMING = "/fleid/incoming"
FLEID = re.compile(r"^FL\d{12}$")
ZEROS = "FL000000000000"


def fleid_problem(value: str) -> str | None:
    """Why ``value`` is not a FLEID the state accepts, or None when it is."""
    if not FLEID.match(value):
        return f"FLEID {value!r} is not FL followed by 12 digits"
    if value == ZEROS:
        return "FLEID of zeros: the DOE no longer accepts zeros"
    return None


class FleidParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_indicator: Literal["K12", "WDIS"] = Field(
        default="K12",
        title="Source Indicator",
        description="K12: students of schools that are not adult education; WDIS: students "
        "of adult education schools. Also picks which answer files are imported.",
    )
    school_years: list[int] = Field(
        default_factory=list,
        title="School Years",
        description="Enrollments of these school years are exported; leave empty for the "
        "district's default school year.",
    )
    include_inactive: bool = Field(default=False, title="Include inactive students")
    dont_transmit_staff: bool = Field(default=False, title="Don't Transmit/Import Staff")
    export_record_limit: int = Field(
        default=5000,
        ge=1,
        title="Export Record Limit",
        description="The most records one export file holds (a whole number above zero).",
    )
    resend_after_days: int = Field(
        default=30,
        ge=1,
        le=365,
        title="Re-send unanswered requests after (days)",
        description="A person requested this many days ago or more, still without a FLEID "
        "and with no answer, is put in the next export again.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Records listed")


@dataclass
class Exchange:
    """What a run sent and imported."""

    exported: int = 0
    export_file: str | None = None
    waiting: int = 0  # left for a later export by the record limit
    resent: list[tuple[str, str]] = field(default_factory=list)  # who, earlier file
    refused: list[tuple[str, str]] = field(default_factory=list)  # who, why
    files: list[str] = field(default_factory=list)
    seen_before: list[str] = field(default_factory=list)
    still_changing: list[str] = field(default_factory=list)
    students_updated: int = 0
    staff_updated: int = 0
    bad_lines: list[tuple[str, str]] = field(default_factory=list)  # where, why
    finished: list[str] = field(default_factory=list)


class FleidExportImport(Job):
    key = "fleid_export_import"
    title = "FLEID Export/Import"
    description = (
        "Trades Florida Education Identifiers with the state over the SFTP connection "
        "fleid_sftp. Export: students (K-12: schools that are not adult education; WDIS: adult "
        "education schools) enrolled in the chosen school years, active on the run date "
        "unless inactive students are included, and staff unless Don't Transmit/Import Staff "
        "is ticked, who have no FLEID (an all-zero FLEID counts as none and zeros are never "
        "sent) and have no request waiting, go into one file in /fleid/outgoing, students "
        "first, at most Export Record Limit records (the rest wait for the next run). The "
        "state may never answer a request: a person still without a FLEID whose request "
        "went out at least the chosen number of days ago (30 unless set; a request exactly "
        "that old counts) is exported again, and the output lists each one with the file "
        "of the unanswered request. "
        "Import: answer files in /fleid/incoming named FLEID_<source>_*.txt of the chosen "
        "source that the FLEID history table does not list yet are read; a line whose local "
        "id, last name (and a student's birth date) match sets that person's FLEID. Every "
        "file goes in the FLEID history. Bad lines, unmatched people and FLEIDs already "
        "held by someone else are listed with the reason. The layouts are this project's "
        "(README), as the state's are not public here. The export file is written hidden "
        "first and given its name once the run is committed."
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    kind = JobKind.INTEGRATION
    params_model = FleidParams
    remote_connection = "fleid_sftp"
    remote_wait = (INCOMING, "FLEID_*.txt")
    # The export half runs on schedule whether or not an answer file has arrived.
    waits_for_file = False

    def run(self, context: JobContext, params: FleidParams) -> JobResult:
        remote = context.remote
        if remote is None:
            raise RuntimeError("FLEID Export/Import needs the SFTP connection 'fleid_sftp'")
        conn = context.connection
        years = sorted(set(params.school_years))
        if not years:
            from job_library.sis_sql import resolve_year_and_schools

            resolved = resolve_year_and_schools(conn, None, [])
            if isinstance(resolved, str):
                return JobResult.message(False, f"{resolved} Nothing was exchanged.")
            years = [resolved[0]]
        else:
            from job_library.schemas.district import school_years

            known = set(
                conn.execute(
                    sa.select(school_years.c.syear).where(school_years.c.syear.in_(years))
                ).scalars()
            )
            unknown = [y for y in years if y not in known]
            if unknown:
                return JobResult.message(
                    False,
                    f"school years {unknown}: no such school year; pick years from School "
                    "Years. Nothing was exchanged.",
                )
        exchange = Exchange()
        try:
            remote.makedirs(OUTGOING)
            remote.makedirs(INCOMING)
            _finish_earlier(conn, remote, exchange)
            import_answers(conn, remote, params, exchange, context.now())
            export_requests(context, remote, params, years, exchange)
        except RemoteFileError as exc:
            raise RuntimeError(f"FLEID exchange stopped, nothing was changed: {exc}") from exc
        return _report(exchange, params)


def _finish_earlier(conn: sa.Connection, remote: RemoteFiles, exchange: Exchange) -> None:
    """Hidden export files left by earlier runs: named when their run was committed (it is in
    the history), removed when it was rolled back."""
    from job_library.schemas.florida_reporting import fleid_history as h

    for name in remote.listdir(OUTGOING):
        if not (name.startswith(".") and name.endswith(".partial")):
            continue
        final = name[1 : -len(".partial")]
        sent = conn.execute(
            sa.select(h.c.history_id).where(h.c.direction == "export", h.c.file_name == final)
        ).first()
        if sent is not None:
            remote.rename(f"{OUTGOING}/{name}", f"{OUTGOING}/{final}")
            exchange.finished.append(final)
        else:
            remote.remove(f"{OUTGOING}/{name}")


def _people_sql(params: FleidParams) -> str:
    active = (
        ""
        if params.include_inactive
        else "AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)"
    )
    adult = "TRUE" if params.source_indicator == "WDIS" else "FALSE"
    students = f"""
SELECT 'student' AS kind, s.student_id AS person_id, s.last_name, s.first_name, s.birthdate,
       s.gender, (SELECT r.file_name FROM fleid_requests r WHERE r.person_kind = 'student'
                   AND r.person_id = s.student_id) AS earlier_file
FROM students s
WHERE (COALESCE(TRIM(s.fleid), '') = '' OR s.fleid = '{ZEROS}')
  AND EXISTS (SELECT 1 FROM student_enrollment e JOIN schools sc ON sc.school_id = e.school_id
              WHERE e.student_id = s.student_id AND sc.adult_ed = {adult}
                AND e.syear IN :years {active})
  AND NOT EXISTS (SELECT 1 FROM fleid_requests r
                  WHERE r.person_kind = 'student' AND r.person_id = s.student_id
                    AND r.sent_at > :resend_before)
"""
    staff = f"""
SELECT 'staff' AS kind, t.staff_id AS person_id, t.last_name, t.first_name, NULL AS birthdate,
       NULL AS gender, (SELECT r.file_name FROM fleid_requests r WHERE r.person_kind = 'staff'
                        AND r.person_id = t.staff_id) AS earlier_file
FROM staff t
WHERE NOT EXISTS (SELECT 1 FROM staff_fleids f WHERE f.staff_id = t.staff_id
                  AND f.fleid <> '{ZEROS}')
  AND NOT EXISTS (SELECT 1 FROM fleid_requests r
                  WHERE r.person_kind = 'staff' AND r.person_id = t.staff_id
                    AND r.sent_at > :resend_before)
"""
    union = students if params.dont_transmit_staff else f"{students} UNION ALL {staff}"
    return (
        f"SELECT * FROM ({union}) p "
        "ORDER BY CASE p.kind WHEN 'student' THEN 0 ELSE 1 END, p.person_id"
    )


def export_requests(
    context: JobContext,
    remote: RemoteFiles,
    params: FleidParams,
    years: list[int],
    exchange: Exchange,
) -> None:
    """Build the export file from the people without a FLEID; sent once committed."""
    from job_library.fixed_width import LayoutError
    from job_library.jobs.florida._doe_layouts import FLEID_REQUEST
    from job_library.schemas.florida_reporting import fleid_history, fleid_requests

    conn = context.connection
    district = conn.execute(sa.text("SELECT MIN(district_number) FROM schools")).scalar() or "00"
    sent_at = fleid_requests.c.sent_at.type
    query = sa.text(_people_sql(params) + " LIMIT :limit").bindparams(
        sa.bindparam("years", expanding=True), sa.bindparam("resend_before", type_=sent_at)
    )
    now = context.now()
    values = {
        "years": years,
        "limit": params.export_record_limit,
        # A request exactly resend_after_days old is due again (sent_at > cutoff waits).
        "resend_before": now - dt.timedelta(days=params.resend_after_days),
    }
    if not params.include_inactive:
        values["today"] = context.now().date()
    lines, sent = [], []
    for row in conn.execute(query, values).mappings():
        birth = row["birthdate"]
        if isinstance(birth, str):  # SQLite hands dates back as text through a raw query
            birth = dt.date.fromisoformat(birth)
        try:
            lines.append(
                FLEID_REQUEST.record(
                    {
                        "record_type": "S" if row["kind"] == "student" else "T",
                        "source": params.source_indicator,
                        "district_number": district,
                        "local_id": row["person_id"],
                        "last_name": (row["last_name"] or "")[:25],
                        "first_name": (row["first_name"] or "")[:15],
                        "birth_date": birth.strftime("%Y%m%d") if birth else None,
                        "gender": row["gender"],
                        "fleid": None,
                    }
                )
            )
        except LayoutError as exc:
            exchange.refused.append((f"{row['kind']} {row['person_id']}", str(exc)))
            continue
        sent.append((row["kind"], row["person_id"], row["last_name"], row["first_name"]))
        if row["earlier_file"] is not None:
            exchange.resent.append((f"{row['kind']} {row['person_id']}", row["earlier_file"]))
    count = conn.execute(
        sa.text(f"SELECT COUNT(*) FROM ({_people_sql(params)}) c").bindparams(
            sa.bindparam("years", expanding=True), sa.bindparam("resend_before", type_=sent_at)
        ),
        {k: v for k, v in values.items() if k != "limit"},
    ).scalar_one()
    exchange.waiting = max(0, count - params.export_record_limit)
    if not sent:
        return
    name = f"FLEID_{params.source_indicator}_{now:%Y%m%d%H%M%S}.txt"
    data = "".join(f"{line}\r\n" for line in lines).encode("ascii")
    hidden = f"{OUTGOING}/.{name}.partial"
    remote.write(hidden, data)
    r = fleid_requests.c
    # A re-sent person's earlier request is replaced by this one (one statement, many keys).
    conn.execute(
        sa.delete(fleid_requests).where(
            r.person_kind == sa.bindparam("kind"), r.person_id == sa.bindparam("id")
        ),
        [dict(kind=k, id=i) for k, i, _, _ in sent],
    )
    conn.execute(
        sa.insert(fleid_requests),
        [dict(person_kind=k, person_id=i, file_name=name, sent_at=now) for k, i, _, _ in sent],
    )
    conn.execute(
        sa.insert(fleid_history).values(
            direction="export",
            source=params.source_indicator,
            file_name=name,
            records=len(sent),
            processed_at=now,
        )
    )
    context.after_commit(lambda: remote.rename(hidden, f"{OUTGOING}/{name}"))
    exchange.exported = len(sent)
    exchange.export_file = f"{OUTGOING}/{name}"


def import_answers(
    conn: sa.Connection,
    remote: RemoteFiles,
    params: FleidParams,
    exchange: Exchange,
    now: dt.datetime,
) -> None:
    """Read the answer files the history does not list; set the matched people's FLEIDs."""
    import fnmatch

    from job_library.file_drop import checksum, settled
    from job_library.fixed_width import LayoutError
    from job_library.jobs.florida._doe_layouts import FLEID_RESPONSE
    from job_library.schemas.florida_reporting import fleid_history as h
    from job_library.sis_sql import scratch_table

    pattern = f"FLEID_{params.source_indicator}_*.txt"
    names = [n for n in remote.listdir(INCOMING) if fnmatch.fnmatchcase(n, pattern)]
    done = set(
        conn.execute(
            sa.select(h.c.file_name).where(h.c.direction == "import", h.c.file_name.in_(names))
        ).scalars()
    )
    exchange.seen_before = [n for n in names if n in done]
    ready, changing = settled(remote, [f"{INCOMING}/{n}" for n in names if n not in done])
    exchange.still_changing = [p.rsplit("/", 1)[1] for p in changing]
    if not ready:
        return
    temp = scratch_table(
        conn,
        "tmp_fleid_answers",
        [
            sa.Column("line_id", sa.Integer, primary_key=True),
            sa.Column("place", sa.String(300), nullable=False),
            sa.Column("kind", sa.String(7), nullable=False),
            sa.Column("person_id", sa.Integer, nullable=False),
            sa.Column("last_name", sa.String(25), nullable=False),
            sa.Column("birth_date", sa.String(8), nullable=False),
            sa.Column("fleid", sa.String(14), nullable=False),
        ],
    )
    rows = []
    for path in ready:
        name = path.rsplit("/", 1)[1]
        data = remote.read(path)
        lines = data.decode("ascii", "replace").splitlines()
        for number, line in enumerate(lines, 1):
            place = f"{name} line {number}"
            if not line.strip():
                continue
            try:
                record = FLEID_RESPONSE.parse(line)
            except LayoutError as exc:
                exchange.bad_lines.append((place, str(exc)))
                continue
            problem = (
                f"record type {record['record_type']!r} is not S (student) or T (staff)"
                if record["record_type"] not in ("S", "T")
                else f"local id {record['local_id']!r} is not a number"
                if not record["local_id"].isdigit()
                else fleid_problem(record["fleid"])
            )
            if problem is None and record["record_type"] == "T" and params.dont_transmit_staff:
                problem = "staff record not imported (Don't Transmit/Import Staff is ticked)"
            if problem is not None:
                exchange.bad_lines.append((place, problem))
                continue
            rows.append(
                dict(
                    line_id=len(rows) + 1,
                    place=place,
                    kind="student" if record["record_type"] == "S" else "staff",
                    person_id=int(record["local_id"]),
                    last_name=record["last_name"],
                    birth_date=record["birth_date"],
                    fleid=record["fleid"],
                )
            )
        conn.execute(
            sa.insert(h).values(
                direction="import",
                source=params.source_indicator,
                file_name=name,
                sha256=checksum(data),
                records=len(lines),
                processed_at=now,
            )
        )
        exchange.files.append(name)
    if rows:
        conn.execute(sa.insert(temp), rows)
    _apply_answers(conn, temp, exchange)
    temp.drop(conn)


_MATCH = """
FROM {temp} a
LEFT JOIN students s ON a.kind = 'student' AND s.student_id = a.person_id
     AND UPPER(TRIM(s.last_name)) = UPPER(a.last_name)
     AND COALESCE({birth}, '00000000') = a.birth_date
LEFT JOIN staff t ON a.kind = 'staff' AND t.staff_id = a.person_id
     AND UPPER(TRIM(t.last_name)) = UPPER(a.last_name)
"""


def _apply_answers(conn: sa.Connection, temp: sa.Table, exchange: Exchange) -> None:
    """Set-based: list the lines that cannot apply, then update students and staff."""
    birth = (
        "STRFTIME('%Y%m%d', s.birthdate)"
        if conn.dialect.name == "sqlite"
        else "TO_CHAR(s.birthdate, 'YYYYMMDD')"
    )
    match = _MATCH.format(temp=temp.name, birth=birth)
    # Why a line does not apply: first reason that holds.
    reasons = f"""
SELECT a.line_id, a.place, CASE
  WHEN (SELECT COUNT(*) FROM {temp.name} b WHERE b.fleid = a.fleid) > 1
    THEN 'the same FLEID is given to more than one line'
  WHEN (SELECT COUNT(*) FROM {temp.name} b WHERE b.kind = a.kind
        AND b.person_id = a.person_id) > 1
    THEN 'the same person has more than one line'
  WHEN s.student_id IS NULL AND t.staff_id IS NULL
    THEN 'no ' || a.kind || ' matches this id, last name' ||
         CASE WHEN a.kind = 'student' THEN ' and birth date' ELSE '' END
  WHEN EXISTS (SELECT 1 FROM students o WHERE o.fleid = a.fleid
               AND NOT (a.kind = 'student' AND o.student_id = a.person_id))
    OR EXISTS (SELECT 1 FROM staff_fleids o WHERE o.fleid = a.fleid
               AND NOT (a.kind = 'staff' AND o.staff_id = a.person_id))
    THEN 'FLEID ' || a.fleid || ' already belongs to someone else'
END AS reason
{match}
"""
    bad = conn.execute(
        sa.text(
            f"SELECT x.line_id, x.place, x.reason FROM ({reasons}) x "
            "WHERE x.reason IS NOT NULL ORDER BY x.line_id"
        )
    ).all()
    exchange.bad_lines += [(place, reason) for _, place, reason in bad]
    if bad:
        conn.execute(sa.delete(temp).where(temp.c.line_id.in_([line_id for line_id, _, _ in bad])))
    exchange.students_updated = conn.execute(
        sa.text(
            f"UPDATE students SET fleid = (SELECT a.fleid FROM {temp.name} a "
            "WHERE a.kind = 'student' AND a.person_id = students.student_id) "
            f"WHERE EXISTS (SELECT 1 FROM {temp.name} a WHERE a.kind = 'student' "
            "AND a.person_id = students.student_id "
            "AND (students.fleid IS NULL OR students.fleid <> a.fleid))"
        )
    ).rowcount
    changed_staff = conn.execute(
        sa.text(
            f"UPDATE staff_fleids SET fleid = (SELECT a.fleid FROM {temp.name} a "
            "WHERE a.kind = 'staff' AND a.person_id = staff_fleids.staff_id) "
            f"WHERE EXISTS (SELECT 1 FROM {temp.name} a WHERE a.kind = 'staff' "
            "AND a.person_id = staff_fleids.staff_id AND staff_fleids.fleid <> a.fleid)"
        )
    ).rowcount
    added_staff = conn.execute(
        sa.text(
            f"INSERT INTO staff_fleids (staff_id, fleid) SELECT a.person_id, a.fleid "
            f"FROM {temp.name} a WHERE a.kind = 'staff' AND NOT EXISTS "
            "(SELECT 1 FROM staff_fleids f WHERE f.staff_id = a.person_id)"
        )
    ).rowcount
    exchange.staff_updated = changed_staff + added_staff
    conn.execute(
        sa.text(
            f"DELETE FROM fleid_requests WHERE EXISTS (SELECT 1 FROM {temp.name} a "
            "WHERE a.kind = fleid_requests.person_kind AND a.person_id = fleid_requests.person_id)"
        )
    )


def _report(exchange: Exchange, params: FleidParams) -> JobResult:
    cap = params.max_listed
    sent = (
        f"exported {exchange.exported} record(s) to {exchange.export_file}"
        if exchange.export_file
        else "nothing to export"
    )
    if exchange.resent:
        sent += (
            f", {len(exchange.resent)} of them re-sent (unanswered for "
            f"{params.resend_after_days} days or more)"
        )
    if exchange.waiting:
        sent += f" ({exchange.waiting} more wait for the next run: Export Record Limit)"
    summary = (
        f"FLEID {params.source_indicator}: {sent}; imported {len(exchange.files)} file(s), "
        f"{exchange.students_updated} student and {exchange.staff_updated} staff FLEID(s) set, "
        f"{len(exchange.bad_lines)} line(s) not applied."
    )
    lines = [summary]
    lines += [f"  not applied: {where}: {why}" for where, why in exchange.bad_lines[:cap]]
    lines += [f"  not exported: {who}: {why}" for who, why in exchange.refused[:cap]]
    lines += [f"  re-sent: {who}: no answer to {earlier}" for who, earlier in exchange.resent[:cap]]
    lines += [f"  already imported (FLEID history): {n}" for n in exchange.seen_before[:cap]]
    lines += [f"  still being written (next run): {n}" for n in exchange.still_changing]
    lines += [f"  finished the earlier export {n}" for n in exchange.finished]
    more = (
        max(0, len(exchange.bad_lines) - cap)
        + max(0, len(exchange.refused) - cap)
        + max(0, len(exchange.resent) - cap)
    )
    if more:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(("Line", "Not applied because"), exchange.bad_lines[:cap])
        + html_table(("Person", "Not exported because"), exchange.refused[:cap])
        + html_table(("Person", "Re-sent: no answer to"), exchange.resent[:cap])
        + (f"<p>{more} more not listed.</p>" if more else "")
    )
    return JobResult(
        True,
        summary,
        "\n".join(lines),
        page,
        {
            "exported": exchange.exported,
            "waiting": exchange.waiting,
            "resent": len(exchange.resent),
            "files_imported": len(exchange.files),
            "students_updated": exchange.students_updated,
            "staff_updated": exchange.staff_updated,
            "not_applied": len(exchange.bad_lines),
            "not_exported": len(exchange.refused),
        },
    )
