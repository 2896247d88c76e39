"""SAP Alert: Satisfactory Academic Progress status from the Student Academic Report, alerted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.site import AddOn

ALERT_TYPE = "sap"

# Each calculated row against the minimums: GPA at least the minimum, credits earned at
# least the minimum share of credits attempted, credits attempted at most the maximum share
# of the program's length. A row missing a figure is not judged.
_JUDGE = """
INSERT INTO {temp} (progress_id, problem, reasons)
SELECT p.progress_id,
       CASE WHEN p.gpa IS NULL THEN 'no GPA calculated'
            WHEN p.attempted_credits IS NULL OR p.earned_credits IS NULL
                THEN 'no attempted or earned credits calculated'
            WHEN p.program_credits IS NULL OR p.program_credits <= 0
                THEN 'no program length in credits' END,
       RTRIM(CASE WHEN p.gpa < :min_gpa THEN 'GPA below minimum; ' ELSE '' END
          || CASE WHEN p.attempted_credits > 0
                   AND p.earned_credits * 100 < :min_pct * p.attempted_credits
                  THEN 'completion rate below minimum; ' ELSE '' END
          || CASE WHEN p.attempted_credits * 100 > :max_pct * p.program_credits
                  THEN 'past maximum time frame; ' ELSE '' END, '; ')
FROM sap_academic_progress p
"""

# A student's latest calculation that is below the minimums; a user alerted about the
# student since that calculation is not alerted again.
_CANDIDATES = """
INSERT INTO {candidates} (student_id, school_id, since, detail, message)
SELECT p.student_id, p.school_id, p.calculated_on, p.term || ': ' || p.sap_reasons,
       'Satisfactory Academic Progress: below the minimum requirements for ' || p.term
           || ' (' || p.sap_reasons || ').'
FROM sap_academic_progress p
WHERE p.sap_status = 'below'
  AND NOT EXISTS (
    SELECT 1 FROM sap_academic_progress q
    WHERE q.student_id = p.student_id
      AND (q.calculated_on > p.calculated_on
           OR (q.calculated_on = p.calculated_on AND q.progress_id > p.progress_id)))
"""


class SapAlertParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "users"},
        min_length=1,
        title="Alert users",
        description="Ids of the users alerted about students below the minimums.",
    )
    min_gpa: Decimal = Field(
        default=Decimal("2.00"), ge=0, le=5, decimal_places=2, title="Minimum GPA"
    )
    min_completion_percent: Decimal = Field(
        default=Decimal("67"),
        ge=0,
        le=100,
        decimal_places=2,
        title="Minimum completion rate (%)",
        description="Credits earned as a share of credits attempted.",
    )
    max_timeframe_percent: Decimal = Field(
        default=Decimal("150"),
        ge=100,
        le=300,
        decimal_places=2,
        title="Maximum time frame (%)",
        description="Credits attempted as a share of the program's length in credits.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Alerts listed")


@dataclass(frozen=True)
class StatusChanges:
    checked: int
    changed: int
    below: int
    incomplete: int
    problems: list[tuple]


def judge(context: JobContext, params: SapAlertParams) -> StatusChanges:
    """Write meets/below and the reasons on every complete calculation; log each change."""
    from job_library.finance_audit import actor_of, json_object, record_audit
    from job_library.schemas.enrollment import students
    from job_library.schemas.erp_hr import sap_academic_progress
    from job_library.sis_sql import analyze, differs_sql, first_rows, scratch_table

    conn = context.connection
    temp = scratch_table(
        conn,
        "tmp_sap_judged",
        [
            sa.Column("progress_id", sa.Integer, primary_key=True),
            sa.Column("problem", sa.String(100)),
            sa.Column("reasons", sa.String(300)),
            sa.Column("status", sa.String(10)),
        ],
    )
    t = temp.name
    money = sa.Numeric(8, 2)
    conn.execute(
        sa.text(_JUDGE.format(temp=t)).bindparams(
            sa.bindparam("min_gpa", type_=money),
            sa.bindparam("min_pct", type_=money),
            sa.bindparam("max_pct", type_=money),
        ),
        {
            "min_gpa": params.min_gpa,
            "min_pct": params.min_completion_percent,
            "max_pct": params.max_timeframe_percent,
        },
    )
    conn.execute(
        sa.text(
            f"UPDATE {t} SET reasons = CASE WHEN problem IS NULL AND reasons <> '' THEN reasons "
            "END, status = CASE WHEN problem IS NOT NULL THEN NULL "
            "WHEN reasons = '' THEN 'meets' ELSE 'below' END"
        )
    )
    analyze(conn, temp)
    join = f"FROM sap_academic_progress p JOIN {t} ON {t}.progress_id = p.progress_id"
    changed_where = (
        f"{t}.problem IS NULL AND ({differs_sql(conn, 'p.sap_status', f'{t}.status')} "
        f"OR {differs_sql(conn, 'p.sap_reasons', f'{t}.reasons')})"
    )
    p = sap_academic_progress.alias("p")
    record_audit(
        conn,
        actor_of(context, SapAlert.key),
        table="sap_academic_progress",
        change="update",
        rows=sa.select(
            p.c.progress_id,
            json_object(conn, sap_status=p.c.sap_status, sap_reasons=p.c.sap_reasons),
            json_object(conn, sap_status=temp.c.status, sap_reasons=temp.c.reasons),
        )
        .select_from(p.join(temp, temp.c.progress_id == p.c.progress_id))
        .where(sa.text(changed_where)),
    )
    sets = ", ".join(
        f"{col} = (SELECT {t}.{src} FROM {t} WHERE {t}.progress_id = "
        "sap_academic_progress.progress_id)"
        for col, src in (("sap_status", "status"), ("sap_reasons", "reasons"))
    )
    changed = conn.execute(
        sa.text(
            f"UPDATE sap_academic_progress SET {sets} WHERE progress_id IN "
            f"(SELECT p.progress_id {join} WHERE {changed_where})"
        )
    ).rowcount
    p, st = sap_academic_progress, students
    problems = first_rows(
        conn,
        sa.select(p.c.progress_id, p.c.student_id, st.c.last_name, st.c.first_name, p.c.term)
        .add_columns(temp.c.problem)
        .select_from(
            temp.join(p, p.c.progress_id == temp.c.progress_id).join(
                st, st.c.student_id == p.c.student_id
            )
        )
        .where(temp.c.problem.is_not(None))
        .order_by(p.c.progress_id),
        params.max_listed,
    )
    checked, below, incomplete = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.status == "below", 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.problem.is_not(None), 1), else_=0)), 0),
        ).select_from(temp)
    ).one()
    temp.drop(conn)
    return StatusChanges(checked, changed, int(below), int(incomplete), problems)


def report(status: StatusChanges, alerts, cap: int) -> JobResult:
    from job_library.jobs.fps.cte_consecutive_absences import alerts_report
    from job_library.output import html_table

    result = alerts_report(
        alerts,
        what="below the SAP minimums",
        scope="latest calculation",
        detail_title="Term: reasons",
        cap=cap,
    )
    line = (
        f"Judged {status.checked} calculation(s): {status.below} below the minimums, "
        f"{status.changed} status(es) changed, {status.incomplete} incomplete."
    )
    extra = [
        f"  not judged: calculation {pid} (student {sid}, {last}, {first}, {term}): {why}"
        for pid, sid, last, first, term, why in status.problems
    ]
    if status.incomplete > len(status.problems):
        extra.append(
            f"  ... and {status.incomplete - len(status.problems)} more not judged "
            f"(listing capped at {cap})."
        )
    problems = html_table(
        ("Calculation", "Student", "Name", "Term", "Why it was not judged"),
        [(pid, sid, f"{la}, {fi}", term, why) for pid, sid, la, fi, term, why in status.problems],
    )
    return JobResult(
        result.success,
        f"{line} {result.summary}",
        "\n".join([line, result.text, *extra]),
        f"<p>{line}</p>{result.html}{problems}",
        {
            **result.counts,
            "checked": status.checked,
            "below": status.below,
            "status_changed": status.changed,
            "incomplete": status.incomplete,
        },
    )


class SapAlert(Job):
    key = "sap_alert"
    title = "SAP Alert"
    module = "ERP"
    description = (
        "Judges Satisfactory Academic Progress from the figures of the Student Academic "
        "Report (Billing) and alerts the chosen users about students who fall short; the "
        "status and its reasons are kept on each calculation for the SAP Minimum "
        "Requirements report. Rules: a calculation meets the minimums when the GPA is at "
        "least the minimum (2.00 unless set), credits earned are at least the minimum share "
        "of credits attempted (67% unless set) and credits attempted are at most the maximum "
        "share of the program's credits (150% unless set), each limit itself passing. A "
        "calculation missing a figure is listed and not judged. Each status change goes to "
        "the finance audit; each user gets one portal alert per student and calculation, "
        "only about the student's latest one."
    )
    params_model = SapAlertParams
    needs_add_ons = frozenset({AddOn.ERP, AddOn.FPS})

    def run(self, context: JobContext, params: SapAlertParams) -> JobResult:
        from job_library.jobs.fps.cte_consecutive_absences import (
            candidate_columns,
            create_alerts,
            unknown_users,
        )
        from job_library.sis_sql import analyze, scratch_table

        conn = context.connection
        error = unknown_users(conn, params.users)
        if error:
            return JobResult.message(False, f"{error} Nothing changed.", {"alerts": 0})
        status = judge(context, params)
        candidates = scratch_table(conn, "tmp_sap_candidates", candidate_columns())
        conn.execute(sa.text(_CANDIDATES.format(candidates=candidates.name)))
        analyze(conn, candidates)
        alerts = create_alerts(
            conn,
            candidates,
            alert_type=ALERT_TYPE,
            user_ids=params.users,
            now=context.now(),
            max_listed=params.max_listed,
        )
        candidates.drop(conn)
        return report(status, alerts, params.max_listed)
