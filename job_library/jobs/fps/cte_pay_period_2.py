"""CTE Pay Period 2 (FPS): portal alerts to chosen users as pay period 1 nears its end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.fps.cte_consecutive_absences import (
    alerts_report,
    candidate_columns,
    create_alerts,
    unknown_users,
)
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

ALERT_TYPE = "cte_pay_period_2"

# Per active primary enrollment: its planned school days (its calendar from its start date
# to its end date, or to the end of the school year when open), pay period 1 being the
# first half of them rounded up, the last day of pay period 1 and its school days still to
# come after today. One row per student (the earliest-starting enrollment when several).
_PAY_PERIODS = """
INSERT INTO {temp} (student_id, school_id, since, detail, message)
SELECT g.student_id, g.school_id, g.since,
       'ends ' || CAST(g.pp1_end AS VARCHAR(10)) || ', ' || CAST(g.remaining AS VARCHAR(10))
           || ' of ' || CAST(g.pp1_days AS VARCHAR(10)) || ' day(s) left',
       'CTE pay period 2: pay period 1 ends ' || CAST(g.pp1_end AS VARCHAR(10)) || ' ('
           || CAST(g.remaining AS VARCHAR(10)) || ' of ' || CAST(g.pp1_days AS VARCHAR(10))
           || ' school day(s) left); prepare the second payment.'
FROM (
    SELECT p.student_id AS student_id, MIN(p.school_id) AS school_id,
           MIN(p.start_date) AS since, MIN(p.pp1_end) AS pp1_end,
           MIN(p.remaining) AS remaining, MIN(p.pp1_days) AS pp1_days
    FROM (
        SELECT dd.enrollment_id AS enrollment_id,
               MAX(dd.student_id) AS student_id,
               MAX(dd.school_id) AS school_id,
               MAX(dd.start_date) AS start_date,
               (MAX(dd.total) + 1) / 2 AS pp1_days,
               MAX(CASE WHEN dd.pos <= (dd.total + 1) / 2 THEN dd.school_date END) AS pp1_end,
               SUM(CASE WHEN dd.pos <= (dd.total + 1) / 2 AND dd.school_date > :today
                        THEN 1 ELSE 0 END) AS remaining
        FROM (
            SELECT e.id AS enrollment_id, e.student_id AS student_id,
                   e.school_id AS school_id, e.start_date AS start_date,
                   c.school_date AS school_date,
                   ROW_NUMBER() OVER (PARTITION BY e.id ORDER BY c.school_date) AS pos,
                   COUNT(*) OVER (PARTITION BY e.id) AS total
            FROM student_enrollment e
            JOIN school_years y ON y.syear = e.syear
            JOIN attendance_calendar c
              ON c.calendar_id = e.calendar_id
             AND c.school_date >= e.start_date
             AND c.school_date <= COALESCE(e.end_date, y.end_date)
            WHERE e.syear = :syear
              AND e.second_school = FALSE
              AND e.start_date <= :today
              AND (e.end_date IS NULL OR e.end_date >= :today)
              {school_filter}
        ) dd
        GROUP BY dd.enrollment_id
    ) p
    WHERE p.pp1_end >= :today
      AND p.remaining * 100 <= :margin * p.pp1_days
    GROUP BY p.student_id
) g
"""


class CtePayPeriod2Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "users"},
        min_length=1,
        title="Alert users",
        description="Ids of the users who get the alert.",
    )
    margin: int = Field(
        default=10,
        ge=0,
        le=100,
        title="Time Margin (%)",
        description="Alert when this percent of pay period 1 or less remains.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to check; leave empty for every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="New alerts listed in the output")


class CtePayPeriod2(Job):
    key = "cte_pay_period_2"
    title = "CTE Pay Period 2 Students"
    description = (
        "Warns the chosen users when a student's first pay period is about to end, so that the "
        "second pay can be prepared in time. The job names the users and the Time Margin: the "
        "percent of pay period 1 still to come at which the warning goes out. "
        "Rules: for each active primary enrollment of the school year, the planned school "
        "days are the days of its calendar from its start date to its end date (the end of "
        "the school year when it has none); pay period 1 is the first half of them, rounded "
        "up. While pay period 1 has not ended (its last day is today or later) and the "
        "school days of it left after today are at most the margin percent of its days, each "
        "chosen user gets one portal alert (type cte_pay_period_2) about the student. A user "
        "is alerted once per enrollment: no new alert to a user alerted about the student "
        "since the enrollment began. A student whose pay period 1 already ended is not "
        "alerted."
    )
    module = "FPS"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = CtePayPeriod2Params
    example_params = {"users": [1]}

    def run(self, context: JobContext, params: CtePayPeriod2Params) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No alert was created.")
        syear, school_ids = resolved
        bad_users = unknown_users(conn, params.users)
        if bad_users:
            return JobResult.message(False, bad_users + " No alert was created.")
        now = context.now()
        today = now.date()
        candidates = _candidates(conn, syear, school_ids, today, params.margin)
        changes = create_alerts(
            conn,
            candidates,
            alert_type=ALERT_TYPE,
            user_ids=params.users,
            now=now,
            max_listed=params.max_listed,
        )
        candidates.drop(conn)
        return alerts_report(
            changes,
            what=f"with {params.margin}% or less of pay period 1 left",
            scope=f"school year {syear}, as of {today:%Y-%m-%d}",
            detail_title="Pay period 1",
            cap=params.max_listed,
        )


def _candidates(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    today: dt.date,
    margin: int,
) -> sa.Table:
    from job_library.sis_sql import analyze, bind_lists, in_list, scratch_table

    candidates = scratch_table(conn, "tmp_cte_pay_period_alerts", candidate_columns())
    school_filter = in_list("e.school_id", "school_ids", school_ids)
    clause = sa.text(
        _PAY_PERIODS.format(temp=candidates.name, school_filter=school_filter)
    ).bindparams(sa.bindparam("today", type_=sa.Date))
    clause = bind_lists(clause, school_ids=school_ids)
    conn.execute(clause, {"syear": syear, "today": today, "margin": margin})
    analyze(conn, candidates)
    return candidates
