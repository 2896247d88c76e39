"""Outgoing MSIX FASTER Responses: pending responses for migrant students, for FASTER to send."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import html_table, listed_result
from job_library.sis_params import SchoolYear


def years_before(day: dt.date, years: int) -> dt.date:
    """``day`` moved back ``years`` calendar years; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class MsixFasterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qad_within_years: int = Field(
        default=3,
        ge=1,
        le=20,
        title="Qualifying Arrival Date (QAD) within [X] Years",
        description="A student qualifies when the QAD is on or after the run date moved back "
        "this many years (and not after the run date).",
    )
    only_missing_msix_id: bool = Field(
        default=False,
        title="Only pull students missing MSIX ID",
        description="Leave out students whose migrant record already has an MSIX ID.",
    )
    msix_syear: SchoolYear = Field(
        default=None,
        title="MSIX School Year",
        description="The school year whose Fed/State Migrant entries are read; leave empty for "
        "the district's default school year.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Responses listed")


class OutgoingMsixFasterResponses(Job):
    key = "outgoing_msix_faster_responses"
    title = "Outgoing MSIX FASTER Responses"
    description = (
        "Queues a FASTER response to MSIX (table faster_responses, status pending) for each "
        "migrant student whose Fed/State Migrant entry in the chosen MSIX school year has a "
        "Qualifying Arrival Date from X years before the run date up to the run date, both "
        "ends included (X is a whole number of years; 29 February counts back to 28 "
        "February). The FASTER process later picks the pending responses up and sends them. "
        "With the MSIX ID option only entries without an MSIX ID (none or blank) are used. A "
        "student already queued for the same year and arrival date is not queued again, so a "
        "second run adds nothing. Entries of the year with no arrival date or one after the "
        "run date are listed with the reason and left out."
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = MsixFasterParams
    title_template = "{title} for {msix_syear}"

    def run(self, context: JobContext, params: MsixFasterParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.msix_syear, [])
        if isinstance(resolved, str):
            return JobResult.message(False, f"MSIX {resolved} No response was created.")
        syear, _ = resolved
        today = context.now().date()
        since = years_before(today, params.qad_within_years)
        created, listed, skipped = queue_responses(
            conn, syear, since, today, params.only_missing_msix_id, context.now(), params.max_listed
        )
        return _report(created, listed, skipped, syear, since, today, params)


def queue_responses(
    conn: sa.Connection,
    syear: int,
    since: dt.date,
    today: dt.date,
    only_missing: bool,
    now: dt.datetime,
    cap: int,
) -> tuple[int, list[tuple], list[tuple]]:
    """Insert the responses in one statement; (created, first ``cap`` created, skipped)."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.florida_reporting import faster_responses as f
    from job_library.schemas.florida_reporting import migrant_records as m
    from job_library.sis_sql import first_rows

    qad = m.c.qualifying_arrival_date
    wanted = [m.c.syear == syear, qad.is_not(None), qad >= since, qad <= today]
    if only_missing:
        wanted.append(sa.func.coalesce(sa.func.trim(m.c.msix_id), "") == "")
    already = sa.exists().where(
        f.c.student_id == m.c.student_id,
        f.c.syear == m.c.syear,
        f.c.qualifying_arrival_date == qad,
    )
    new = sa.select(m.c.student_id, m.c.syear, qad, m.c.msix_id).where(*wanted, ~already)
    st = students
    listed = first_rows(
        conn,
        sa.select(m.c.student_id, st.c.last_name, st.c.first_name, qad, m.c.msix_id)
        .join(st, st.c.student_id == m.c.student_id)
        .where(*wanted, ~already)
        .order_by(m.c.student_id),
        cap,
    )
    created = conn.execute(
        sa.insert(f).from_select(
            ["student_id", "syear", "qualifying_arrival_date", "msix_id", "created_at"],
            new.add_columns(sa.literal(now, sa.DateTime(timezone=True))),
        )
    ).rowcount
    skipped = [
        (
            sid,
            f"{last}, {first}",
            "no qualifying arrival date"
            if day is None
            else f"qualifying arrival date {day:%Y-%m-%d} is after the run date",
        )
        for sid, last, first, day in conn.execute(
            sa.select(m.c.student_id, st.c.last_name, st.c.first_name, qad)
            .join(st, st.c.student_id == m.c.student_id)
            .where(m.c.syear == syear, sa.or_(qad.is_(None), qad > today))
            .order_by(m.c.student_id)
        )
    ]
    return created, listed, skipped


def _report(
    created: int,
    listed: list[tuple],
    skipped: list[tuple],
    syear: int,
    since: dt.date,
    today: dt.date,
    params: MsixFasterParams,
) -> JobResult:
    scope = f"MSIX school year {syear}, arrival {since:%Y-%m-%d} to {today:%Y-%m-%d}" + (
        ", missing MSIX ID only" if params.only_missing_msix_id else ""
    )
    summary = f"Queued {created} outgoing MSIX FASTER response(s) ({scope})."
    if skipped:
        summary += f" {len(skipped)} migrant entr(ies) left out (listed)."
    lines = [summary]
    rows = []
    for sid, last, first, day, msix in listed:
        rows.append((sid, f"{last}, {first}", f"{day:%Y-%m-%d}", msix or ""))
        lines.append(
            f"  student {sid} ({last}, {first}): QAD {day:%Y-%m-%d}, MSIX ID {msix or 'none'}"
        )
    cap = params.max_listed
    lines += [f"  left out: student {sid} ({name}): {why}" for sid, name, why in skipped[:cap]]
    result = listed_result(
        summary,
        lines,
        ("Student", "Name", "QAD", "MSIX ID"),
        rows,
        total=created,
        cap=params.max_listed,
        counts={"created": created, "left_out": len(skipped)},
    )
    if skipped:
        result = JobResult(
            success=True,
            summary=result.summary,
            text=result.text,
            html=result.html + html_table(("Left out", "Name", "Reason"), skipped[:cap]),
            counts=result.counts,
        )
    return result
