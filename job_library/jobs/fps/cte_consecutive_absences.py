"""CTE Consecutive Absences (FPS): portal alerts to chosen users about absence streaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.fps.auto_withdraw import (
    STREAK_FIELDS,
    absence_streaks_sql,
    bind_scope,
    streak_columns,
)
from job_library.output import listed_result
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

ALERT_TYPE = "cte_absences"

# A school day counts when any period of the student's school that day is marked with one
# of the chosen codes: CTE students attend one program block a day.
_ABSENT_WITH_CODE = """EXISTS (
    SELECT 1 FROM attendance_period ap
    JOIN school_periods p ON p.period_id = ap.period_id
    WHERE ap.student_id = e.student_id AND ap.school_date = c.school_date
      AND p.school_id = e.school_id AND ap.attendance_code IN :code_ids)"""

_ACTIVE_ENROLLMENTS = """e.syear = :syear
  AND e.second_school = FALSE
  AND (e.end_date IS NULL OR e.end_date >= :through)
  {school_filter}"""


def candidate_columns() -> list[sa.Column]:
    """The columns of a temporary table of students to alert (one row per student): the
    alert is not repeated to a user alerted about the student on or after ``since``."""
    return [
        sa.Column("student_id", sa.Integer, primary_key=True),
        sa.Column("school_id", sa.Integer, nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    ]


@dataclass(frozen=True)
class Alerts:
    """What an alert run created, with the first new alerts for the output."""

    students: int
    created: int
    listed: list[tuple]


def create_alerts(
    conn: sa.Connection,
    candidates: sa.Table,
    *,
    alert_type: str,
    user_ids: Sequence[int],
    now: dt.datetime,
    max_listed: int,
) -> Alerts:
    """A portal alert of ``alert_type`` to each user in ``user_ids`` for each candidate
    student, except where that user already has one about the student since ``since``."""
    from job_library.schema import users
    from job_library.schemas.enrollment import students
    from job_library.schemas.sss import portal_alerts
    from job_library.sis_sql import analyze, first_rows, scratch_table

    pairs = scratch_table(
        conn,
        f"tmp_{alert_type}_pairs",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("user_id", sa.Integer, primary_key=True),
        ],
    )
    pa = portal_alerts
    already = (
        sa.exists()
        .where(
            pa.c.student_id == candidates.c.student_id,
            pa.c.user_id == users.c.user_id,
            pa.c.alert_type == alert_type,
            pa.c.created_at >= candidates.c.since,
        )
        .correlate(candidates, users)
    )
    conn.execute(
        sa.insert(pairs).from_select(
            ["student_id", "user_id"],
            sa.select(candidates.c.student_id, users.c.user_id)
            .select_from(candidates.join(users, users.c.user_id.in_(list(user_ids))))
            .where(~already),
        )
    )
    analyze(conn, pairs)
    joined = pairs.join(candidates, candidates.c.student_id == pairs.c.student_id)
    created = conn.execute(
        sa.insert(pa).from_select(
            ["student_id", "alert_type", "user_id", "school_id", "message", "created_at"],
            sa.select(
                pairs.c.student_id,
                sa.literal(alert_type, pa.c.alert_type.type),
                pairs.c.user_id,
                candidates.c.school_id,
                candidates.c.message,
                sa.literal(now, pa.c.created_at.type),
            ).select_from(joined),
        )
    ).rowcount
    st = students
    query = (
        sa.select(
            pairs.c.student_id,
            st.c.last_name,
            st.c.first_name,
            candidates.c.school_id,
            candidates.c.detail,
            users.c.username,
        )
        .select_from(
            joined.join(st, st.c.student_id == pairs.c.student_id).join(
                users, users.c.user_id == pairs.c.user_id
            )
        )
        .order_by(candidates.c.school_id, pairs.c.student_id, users.c.username)
    )
    listed = first_rows(conn, query, max_listed)
    count = conn.execute(sa.select(sa.func.count()).select_from(candidates)).scalar_one()
    pairs.drop(conn)
    return Alerts(count, created, listed)


def unknown_users(conn: sa.Connection, user_ids: Sequence[int]) -> str | None:
    """An error naming the ids in ``user_ids`` that are no user, or None."""
    from job_library.schema import users

    known = set(
        conn.execute(sa.select(users.c.user_id).where(users.c.user_id.in_(user_ids))).scalars()
    )
    unknown = sorted(set(user_ids) - known)
    if unknown:
        return f"users {unknown}: no such user id; pick the users to alert from the Users list."
    return None


def alerts_report(
    changes: Alerts, *, what: str, scope: str, detail_title: str, cap: int
) -> JobResult:
    """The output of an alert job: who was alerted about which student."""
    if changes.created == 0:
        summary = (
            f"Found {changes.students} student(s) {what} ({scope}); every chosen user was "
            "already alerted, nothing changed."
            if changes.students
            else f"No student {what} ({scope}); nothing changed."
        )
    else:
        summary = (
            f"Created {changes.created} portal alert(s) about {changes.students} student(s) "
            f"{what} ({scope})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, detail, username in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, detail, username))
        lines.append(f"  student {student} ({name}), school {school}: {detail} -> {username}")
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", detail_title, "Alerted user"),
        rows,
        total=changes.created,
        cap=cap,
        counts={"students": changes.students, "alerts": changes.created},
    )


class CteConsecutiveAbsencesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "users"},
        min_length=1,
        title="Alert users",
        description="Ids of the users who get the alert.",
    )
    codes: list[str] = Field(
        json_schema_extra={"x-focus-lookup": "attendance_codes"},
        min_length=1,
        title="Absence codes",
        description="Short names of the absence codes that count (such as A, E).",
    )
    days: int = Field(
        default=3,
        ge=1,
        le=60,
        title="# of days",
        description="Alert after this many consecutive school days absent.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to check; leave empty for every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="New alerts listed in the output")


class CteConsecutiveAbsences(Job):
    key = "cte_consecutive_absences"
    title = "CTE Consecutive Absences"
    description = (
        "Warns the chosen users when a student has been absent a set number of school days in a "
        "row; the job names the users, the absence codes that count and the # of Days. Rules: it "
        "looks at active primary "
        "enrollments of the school year. A school day counts as absent when any period at "
        "the student's school is marked with one of the chosen codes that day (CTE students "
        "attend one program block a day); a school day without such a mark ends the run. "
        "When the run of such days ending on the last school day before the run date "
        "(today's attendance may still be open) is at least the # of days, each chosen user "
        "gets one portal alert (type cte_absences) about the student. A user is alerted "
        "once per run of absences: no new alert while the same run continues, a new one "
        "after the student has attended and starts a new run."
    )
    module = "FPS"
    school_days_only_default = True
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = CteConsecutiveAbsencesParams
    example_params = {"users": [1], "codes": ["A"], "days": 2}

    def run(self, context: JobContext, params: CteConsecutiveAbsencesParams) -> JobResult:
        from job_library.schemas.attendance import attendance_codes
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No alert was created.")
        syear, school_ids = resolved
        bad_users = unknown_users(conn, params.users)
        if bad_users:
            return JobResult.message(False, bad_users + " No alert was created.")
        ac = attendance_codes
        found = dict(
            conn.execute(
                sa.select(ac.c.short_name, ac.c.category).where(
                    ac.c.syear == syear, ac.c.short_name.in_(params.codes)
                )
            ).all()
        )
        codes = sorted(set(params.codes))
        missing = [c for c in codes if c not in found]
        if missing:
            return JobResult.message(
                False,
                f"absence codes {missing}: no attendance code with that short name in school "
                f"year {syear}; pick codes from Attendance Codes. No alert was created.",
            )
        not_absence = [c for c in codes if found[c] not in ("excused", "unexcused")]
        if not_absence:
            return JobResult.message(
                False,
                f"absence codes {not_absence}: not absence codes (they are "
                f"{', '.join(sorted({found[c] for c in not_absence}))}); pick excused or "
                "unexcused codes. No alert was created.",
            )
        through = context.now().date() - dt.timedelta(days=1)
        code_ids = list(
            conn.execute(
                sa.select(ac.c.code_id).where(ac.c.syear == syear, ac.c.short_name.in_(codes))
            ).scalars()
        )
        candidates = _streak_candidates(
            conn, syear, school_ids, through, params.days, code_ids, ", ".join(codes)
        )
        changes = create_alerts(
            conn,
            candidates,
            alert_type=ALERT_TYPE,
            user_ids=params.users,
            now=context.now(),
            max_listed=params.max_listed,
        )
        candidates.drop(conn)
        return alerts_report(
            changes,
            what=f"absent {params.days}+ consecutive school day(s) with code(s) {', '.join(codes)}",
            scope=f"school year {syear}, school days through {through:%Y-%m-%d}",
            detail_title="Absences",
            cap=params.max_listed,
        )


def _streak_candidates(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    days: int,
    code_ids: Sequence[int],
    codes_label: str,
) -> sa.Table:
    from job_library.sis_sql import analyze, in_list, scratch_table

    streaks = scratch_table(conn, "tmp_cte_absence_streaks", streak_columns())
    school_filter = in_list("e.school_id", "school_ids", school_ids)
    sql = absence_streaks_sql(
        _ABSENT_WITH_CODE,
        _ACTIVE_ENROLLMENTS.format(school_filter=school_filter),
        f"INSERT INTO {streaks.name} ({STREAK_FIELDS}) ",
    )
    clause = bind_scope(sql, school_ids).bindparams(
        sa.bindparam("code_ids", list(code_ids), expanding=True)
    )
    conn.execute(clause, {"through": through, "syear": syear, "min_streak": days})
    candidates = scratch_table(conn, "tmp_cte_absence_alerts", candidate_columns())
    # The detail and message are built in SQL so the rows never pass through Python.
    conn.execute(
        sa.text(f"""
        INSERT INTO {candidates.name} (student_id, school_id, since, detail, message)
        SELECT g.student_id, g.school_id, g.since,
               CAST(g.streak AS VARCHAR(10)) || ' day(s) since '
                   || CAST(g.since AS VARCHAR(10)),
               'CTE consecutive absences: absent ' || CAST(g.streak AS VARCHAR(10))
                   || ' consecutive school day(s) with code(s) ' || :codes || ' since '
                   || CAST(g.since AS VARCHAR(10)) || ' (through '
                   || CAST(g.until AS VARCHAR(10)) || ').'
        FROM (
            SELECT student_id, MAX(school_id) AS school_id, MAX(streak) AS streak,
                   MIN(streak_start) AS since, MAX(streak_end) AS until
            FROM {streaks.name}
            GROUP BY student_id
        ) g
        """).bindparams(sa.bindparam("codes", codes_label, type_=sa.String)),
    )
    analyze(conn, candidates)
    streaks.drop(conn)
    return candidates
