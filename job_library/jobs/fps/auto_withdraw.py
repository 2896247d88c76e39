"""AutoWithdraw (FPS): withdraw adult education students after 5, 6 or 7 consecutive absences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

# Per enrollment picked by ``{enrollments}`` (a condition on ``e``, with ``s`` its school),
# the run of absent school days that ends on the last school day through ``:through``: its
# length, first and last day, and the last school day before it that was not absent (NULL
# when every school day of the enrollment so far was absent). ``{absent}`` is a condition on
# ``e`` and ``c.school_date`` saying the student was absent that day. School days are the
# days of the enrollment's calendar from its start date through its end date.
_STREAKS = """
SELECT m.enrollment_id AS enrollment_id,
       MAX(m.student_id) AS student_id,
       MAX(m.school_id) AS school_id,
       COUNT(*) AS streak,
       MIN(m.school_date) AS streak_start,
       MAX(m.school_date) AS streak_end,
       MAX(m.last_present) AS last_present
FROM (
    SELECT dd.*,
           MIN(CASE WHEN dd.absent = 0 THEN dd.rn END)
               OVER (PARTITION BY dd.enrollment_id) AS first_present_rn,
           MAX(CASE WHEN dd.absent = 0 THEN dd.school_date END)
               OVER (PARTITION BY dd.enrollment_id) AS last_present
    FROM (
        SELECT e.id AS enrollment_id,
               e.student_id AS student_id,
               e.school_id AS school_id,
               c.school_date AS school_date,
               ROW_NUMBER() OVER (PARTITION BY e.id ORDER BY c.school_date DESC) AS rn,
               CASE WHEN {absent} THEN 1 ELSE 0 END AS absent
        FROM student_enrollment e
        JOIN schools s ON s.school_id = e.school_id
        JOIN attendance_calendar c
          ON c.calendar_id = e.calendar_id
         AND c.school_date >= e.start_date
         AND c.school_date <= :through
         AND (e.end_date IS NULL OR c.school_date <= e.end_date)
        WHERE {enrollments}
          AND e.id IN (
            -- Only an enrollment absent on its last school day has a run: the days of the
            -- others are never read (the absence test per day is what costs).
            SELECT e.id
            FROM student_enrollment e
            JOIN schools s ON s.school_id = e.school_id
            JOIN attendance_calendar c
              ON c.calendar_id = e.calendar_id
             AND c.school_date = (
                SELECT MAX(l.school_date) FROM attendance_calendar l
                WHERE l.calendar_id = e.calendar_id
                  AND l.school_date >= e.start_date
                  AND l.school_date <= :through
                  AND (e.end_date IS NULL OR l.school_date <= e.end_date))
            WHERE {enrollments} AND {absent}
          )
    ) dd
) m
WHERE m.first_present_rn IS NULL OR m.rn < m.first_present_rn
GROUP BY m.enrollment_id
HAVING COUNT(*) >= :min_streak
"""


def absence_streaks_sql(absent: str, enrollments: str, prefix: str = "") -> str:
    """The SELECT of current absence streaks of at least ``:min_streak`` school days through
    ``:through`` (columns enrollment_id, student_id, school_id, streak, streak_start,
    streak_end, last_present), after ``prefix`` (such as an INSERT INTO)."""
    return prefix + _STREAKS.format(absent=absent, enrollments=enrollments)


def streak_columns() -> list[sa.Column]:
    """The columns of a temporary table holding ``absence_streaks_sql`` rows."""
    return [
        sa.Column("enrollment_id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, nullable=False),
        sa.Column("school_id", sa.Integer, nullable=False),
        sa.Column("streak", sa.Integer, nullable=False),
        sa.Column("streak_start", sa.Date, nullable=False),
        sa.Column("streak_end", sa.Date, nullable=False),
        sa.Column("last_present", sa.Date),
    ]


STREAK_FIELDS = (
    "enrollment_id, student_id, school_id, streak, streak_start, streak_end, last_present"
)

# A full-day absence: the day's attendance_day is 0.0 (a half day counts as attended).
_ABSENT_ALL_DAY = """EXISTS (
    SELECT 1 FROM attendance_day ad
    WHERE ad.student_id = e.student_id AND ad.school_date = c.school_date
      AND ad.state_value = 0)"""

# Active primary enrollments at adult education schools of the year.
_ADULT_ENROLLMENTS = """e.syear = :syear
  AND e.second_school = FALSE
  AND s.adult_ed = TRUE
  AND (e.end_date IS NULL OR e.end_date >= :through)
  {school_filter}"""


class AutoWithdrawParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    absences: Literal[5, 6, 7] = Field(
        default=6,
        title="Consecutive absences",
        description="Withdraw after this many consecutive school days absent (5, 6 or 7).",
    )
    drop_code: str = Field(
        json_schema_extra={"x-focus-lookup": "drop_codes"},
        min_length=1,
        max_length=10,
        title="Drop code",
        description="Short name of the Drop enrollment code set on the withdrawn records.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of adult education schools; leave empty for every adult school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Withdrawn students listed in the output"
    )


@dataclass(frozen=True)
class Withdrawals:
    """What a run withdrew, with the first withdrawn records for the output."""

    checked: int
    withdrawn: int
    listed: list[tuple]


class AutoWithdraw(Job):
    key = "auto_withdraw"
    title = "AutoWithdraw"
    description = (
        "Withdraws an adult education student who has missed a chosen number of school days in a "
        "row: 5, 6 or 7, the choices the state's rules allow. Rules: it looks at active primary "
        "enrollments (no end date, or one on or after yesterday) at adult education schools "
        "of the school year. A school day is an absence when the student's attendance_day "
        "for it is 0.0 (absent all day, excused or unexcused); a half day counts as attended "
        "and a school day without an attendance_day record counts as present. When the last "
        "N school days of the enrollment's calendar up to yesterday (today's attendance may "
        "still be open) were all absences, the enrollment is ended: its end date becomes the "
        "student's last day of attendance (the last school day before the absences; the start "
        "date when the student never attended) and its drop code the chosen Drop code. An "
        "earlier run of absences followed by attendance never withdraws. Second-school "
        "enrollments and class schedules are left as they are."
    )
    module = "FPS"
    school_days_only_default = True
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = AutoWithdrawParams
    example_params = {"drop_code": "W26", "absences": 5}

    def run(self, context: JobContext, params: AutoWithdrawParams) -> JobResult:
        from job_library.schemas.district import schools
        from job_library.schemas.enrollment import student_enrollment_codes
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nobody was withdrawn.")
        syear, school_ids = resolved
        if school_ids is not None:
            not_adult = list(
                conn.execute(
                    sa.select(schools.c.school_id)
                    .where(schools.c.school_id.in_(school_ids), schools.c.adult_ed == sa.false())
                    .order_by(schools.c.school_id)
                ).scalars()
            )
            if not_adult:
                return JobResult.message(
                    False,
                    f"schools {not_adult}: not adult education schools; AutoWithdraw applies "
                    "to adult education only (pick adult schools or leave Schools empty). "
                    "Nobody was withdrawn.",
                )
        codes = student_enrollment_codes
        drop_code_id = conn.execute(
            sa.select(codes.c.code_id).where(
                codes.c.syear == syear,
                codes.c.short_name == params.drop_code,
                codes.c.type == "Drop",
            )
        ).scalar()
        if drop_code_id is None:
            return JobResult.message(
                False,
                f"drop code {params.drop_code!r}: no Drop enrollment code with that short name "
                f"in school year {syear}; add it under Enrollment Codes or pick another. "
                "Nobody was withdrawn.",
            )
        through = context.now().date() - dt.timedelta(days=1)
        changes = withdraw(
            conn,
            syear=syear,
            school_ids=school_ids,
            through=through,
            absences=params.absences,
            drop_code_id=drop_code_id,
            max_listed=params.max_listed,
        )
        return _report(changes, params, syear, through)


def bind_scope(sql: str, school_ids: Sequence[int] | None) -> sa.TextClause:
    """``sql`` with ``:through`` bound as a date and ``:school_ids`` (when given) expanded."""
    from job_library.sis_sql import bind_lists

    clause = sa.text(sql).bindparams(sa.bindparam("through", type_=sa.Date))
    return bind_lists(clause, school_ids=school_ids)


def withdraw(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    absences: int,
    drop_code_id: int,
    max_listed: int,
) -> Withdrawals:
    """End every active adult enrollment whose last ``absences`` school days through
    ``through`` were all absences, on the last day attended, with ``drop_code_id``."""
    from job_library.schemas.enrollment import student_enrollment, students
    from job_library.sis_sql import analyze, first_rows, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_auto_withdraw",
        [*streak_columns(), sa.Column("withdraw_date", sa.Date)],
    )
    school_filter = in_list("e.school_id", "school_ids", school_ids)
    enrollments = _ADULT_ENROLLMENTS.format(school_filter=school_filter)
    sql = absence_streaks_sql(
        _ABSENT_ALL_DAY, enrollments, f"INSERT INTO {temp.name} ({STREAK_FIELDS}) "
    )
    binds = {"through": through, "syear": syear}
    conn.execute(bind_scope(sql, school_ids), {**binds, "min_streak": absences})
    se = student_enrollment
    conn.execute(
        sa.update(temp).values(
            withdraw_date=sa.func.coalesce(
                temp.c.last_present,
                sa.select(se.c.start_date).where(se.c.id == temp.c.enrollment_id).scalar_subquery(),
            )
        )
    )
    analyze(conn, temp)
    checked = conn.execute(
        bind_scope(
            "SELECT COUNT(*) FROM student_enrollment e "
            f"JOIN schools s ON s.school_id = e.school_id WHERE {enrollments}",
            school_ids,
        ),
        binds,
    ).scalar_one()
    st = students
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.school_id,
            temp.c.enrollment_id,
            temp.c.streak,
            temp.c.streak_start,
            temp.c.withdraw_date,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.school_id, temp.c.student_id)
    )
    listed = first_rows(conn, query, max_listed)
    withdrawn = conn.execute(
        sa.update(se)
        .where(se.c.id == temp.c.enrollment_id)
        .values(end_date=temp.c.withdraw_date, drop_code=drop_code_id)
    ).rowcount
    temp.drop(conn)
    return Withdrawals(checked, withdrawn, listed)


def _report(
    changes: Withdrawals, params: AutoWithdrawParams, syear: int, through: dt.date
) -> JobResult:
    scope = (
        f"{params.absences} consecutive absences through {through:%Y-%m-%d}, school year {syear}"
    )
    if changes.withdrawn == 0:
        summary = (
            f"Checked {changes.checked} active adult enrollment(s) ({scope}); nobody had "
            "reached the limit, nothing changed."
        )
    else:
        summary = (
            f"Withdrew {changes.withdrawn} of {changes.checked} active adult enrollment(s) "
            f"with drop code {params.drop_code} ({scope})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, enrollment, streak, start, until in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, enrollment, streak, start, until))
        lines.append(
            f"  student {student} ({name}), school {school} (enrollment {enrollment}): "
            f"absent {streak} school day(s) since {start:%Y-%m-%d}, withdrawn as of "
            f"{until:%Y-%m-%d}"
        )
    return listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "School",
            "Enrollment",
            "Consecutive absences",
            "Absent since",
            "Withdrawal date",
        ),
        rows,
        total=changes.withdrawn,
        cap=params.max_listed,
        counts={"checked": changes.checked, "withdrawn": changes.withdrawn},
    )
