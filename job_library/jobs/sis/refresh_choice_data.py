"""Refresh Choice Data: School Choice applications' enrollment facts, with an audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

# Each student's primary enrollment of a year: the one that started last.
_LATEST = """
SELECT x.student_id, x.school_id, x.grade_id, x.zoned_school_id FROM (
  SELECT e.student_id, e.school_id, e.grade_id, e.zoned_school_id,
         ROW_NUMBER() OVER (PARTITION BY e.student_id ORDER BY e.start_date DESC, e.id DESC) AS rn
  FROM student_enrollment e
  WHERE e.syear = {year} AND e.second_school = FALSE
) x WHERE x.rn = 1
"""

# The chosen applications with what they hold and what the enrollment records say; a fact
# the enrollment cannot give (no record that year) keeps the application's value.
_SCOPE = f"""
INSERT INTO {{temp}} (status_id, student_id, program_id, status, enrolled,
                    old_school, old_grade, old_zoned, old_next_zoned,
                    new_school, new_grade, new_zoned, new_next_zoned)
SELECT a.id, a.student_id, a.program_id, a.status,
       CASE WHEN c.student_id IS NULL THEN 0 ELSE 1 END,
       a.current_school_id, a.current_grade_id, a.zoned_school_id, a.next_zoned_school_id,
       CASE WHEN c.student_id IS NULL THEN a.current_school_id ELSE c.school_id END,
       CASE WHEN c.student_id IS NULL THEN a.current_grade_id ELSE c.grade_id END,
       CASE WHEN c.student_id IS NULL THEN a.zoned_school_id ELSE c.zoned_school_id END,
       CASE WHEN n.student_id IS NULL THEN a.next_zoned_school_id ELSE n.zoned_school_id END
FROM school_choice_application_status a
LEFT JOIN ({_LATEST.format(year=":current_year")}) c ON c.student_id = a.student_id
LEFT JOIN ({_LATEST.format(year=":next_year")}) n ON n.student_id = a.student_id
WHERE a.syear = :syear AND a.status IN :statuses
"""

FACTS = (
    ("school", "current school"),
    ("grade", "current grade"),
    ("zoned", "zoned school"),
    ("next_zoned", "next year zoned school"),
)


class RefreshChoiceDataParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statuses: list[str] = Field(
        default_factory=lambda: ["Waiting"],
        min_length=1,
        json_schema_extra={"x-focus-lookup": "choice_statuses"},
        title="Application statuses",
        description="Only applications in these statuses are refreshed.",
    )
    year: Literal["default", "next"] = Field(
        default="default",
        title="Application year",
        description="The district's default school year, or the year after it.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed applications listed")

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        cleaned = sorted({s.strip() for s in value if s.strip()})
        if not cleaned:
            raise ValueError("name at least one application status, e.g. Waiting")
        return cleaned


@dataclass(frozen=True)
class ChoiceRefresh:
    """What a run checked and changed, with the first changed applications."""

    syear: int
    checked: int
    not_enrolled: int
    changed: int
    unused_statuses: list[str]
    listed: list[tuple]


class RefreshChoiceData(Job):
    key = "refresh_choice_data"
    title = "Refresh Choice Data"
    description = (
        "Brings the enrollment facts of School Choice applications up to date: current "
        "school, current grade level, zoned school and next year zoned school, for the "
        "application statuses the job names (Waiting unless told otherwise) in the district's "
        "default school year or the year after it. Rules: the current facts come from the "
        "student's primary enrollment of the default school year and the next year zoned "
        "school from the primary enrollment of the following year (in each, the record "
        "that started last); a student with no record in one of those years keeps what the "
        "application says for it. Each application that really changes gets one row in the "
        "School Choice audit log listing the old and new values, and its refresh time; an "
        "application already current is neither changed nor logged. A status no "
        "application of the year has is named in the output."
    )
    module = "SIS"
    params_model = RefreshChoiceDataParams

    def run(self, context: JobContext, params: RefreshChoiceDataParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, None, [])
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was changed.")
        default_year = resolved[0]
        syear = default_year + (1 if params.year == "next" else 0)
        changes = refresh(
            conn,
            syear=syear,
            current_year=default_year,
            statuses=params.statuses,
            now=context.now(),
            who=f"job {context.job_id}",
            cap=params.max_listed,
        )
        return _report(changes, params)


def refresh(
    conn: sa.Connection,
    *,
    syear: int,
    current_year: int,
    statuses: list[str],
    now: dt.datetime,
    who: str,
    cap: int,
) -> ChoiceRefresh:
    """Write the enrollment facts of the chosen applications that differ, logging each."""
    from job_library.schemas.choice import school_choice_application_status
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, bind_lists, differs_sql, first_rows, scratch_table

    temp = scratch_table(
        conn,
        "tmp_choice_refresh",
        [
            sa.Column("status_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("program_id", sa.Integer, nullable=False),
            sa.Column("status", sa.String(30), nullable=False),
            sa.Column("enrolled", sa.Integer, nullable=False),
            sa.Column("changed", sa.Integer, nullable=False, server_default="0"),
            sa.Column("changes", sa.Text),
            *(
                sa.Column(f"{age}_{fact}", sa.Integer)
                for age in ("old", "new")
                for fact, _ in FACTS
            ),
        ],
    )
    conn.execute(
        bind_lists(sa.text(_SCOPE.format(temp=temp.name)), statuses=statuses),
        {"syear": syear, "current_year": current_year, "next_year": current_year + 1},
    )
    # One text per application naming every fact that changes: "; current school 3 -> 4".
    parts = []
    for fact, label in FACTS:
        old, new = f"old_{fact}", f"new_{fact}"
        parts.append(
            f"CASE WHEN {differs_sql(conn, old, new)} THEN '; {label} ' || "
            f"COALESCE(CAST({old} AS VARCHAR(10)), '-') || ' -> ' || "
            f"COALESCE(CAST({new} AS VARCHAR(10)), '-') ELSE '' END"
        )
    any_change = " OR ".join(differs_sql(conn, f"old_{f}", f"new_{f}") for f, _ in FACTS)
    conn.execute(
        sa.text(
            f"UPDATE {temp.name} SET changed = 1, changes = SUBSTR({' || '.join(parts)}, 3) "
            f"WHERE {any_change}"
        )
    )
    analyze(conn, temp)
    st = students
    listed = first_rows(
        conn,
        sa.select(
            temp.c.status_id,
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.program_id,
            temp.c.status,
            temp.c.changes,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .where(temp.c.changed == 1)
        .order_by(temp.c.student_id, temp.c.status_id),
        cap,
    )

    def count(*where) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(temp).where(*where)).scalar_one()

    checked, not_enrolled = count(), count(temp.c.enrolled == 0)
    changed = count(temp.c.changed == 1)
    found = set(conn.execute(sa.select(temp.c.status).distinct()).scalars())
    conn.execute(
        sa.text(
            "INSERT INTO school_choice_audit_log (status_id, student_id, changes, logged_at, "
            f"logged_by) SELECT status_id, student_id, changes, :now, :who FROM {temp.name} "
            "WHERE changed = 1"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        {"now": now, "who": who},
    )
    a = school_choice_application_status
    mine = temp.c.status_id == a.c.id
    conn.execute(
        sa.update(a)
        .where(a.c.id.in_(sa.select(temp.c.status_id).where(temp.c.changed == 1)))
        .values(
            current_school_id=sa.select(temp.c.new_school).where(mine).scalar_subquery(),
            current_grade_id=sa.select(temp.c.new_grade).where(mine).scalar_subquery(),
            zoned_school_id=sa.select(temp.c.new_zoned).where(mine).scalar_subquery(),
            next_zoned_school_id=sa.select(temp.c.new_next_zoned).where(mine).scalar_subquery(),
            refreshed_at=now,
        )
    )
    temp.drop(conn)
    unused = [s for s in statuses if s not in found]
    return ChoiceRefresh(syear, checked, not_enrolled, changed, unused, listed)


def _report(changes: ChoiceRefresh, params: RefreshChoiceDataParams) -> JobResult:
    scope = f"application year {changes.syear}, statuses {', '.join(params.statuses)}"
    tally = f"Checked {changes.checked} application(s) ({scope})"
    if changes.not_enrolled:
        tally += f", {changes.not_enrolled} of students without an enrollment this year"
    if changes.changed == 0:
        summary = f"{tally}; every one was current, nothing changed."
    else:
        summary = f"{tally}; refreshed {changes.changed}, each logged in the audit log."
    lines = [summary]
    if changes.unused_statuses:
        lines.append(
            f"  No application of {changes.syear} has the status(es) "
            f"{', '.join(changes.unused_statuses)}: check the spelling against the School "
            "Choice statuses."
        )
    rows = []
    for status_id, student, last, first, program, status, text in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, status_id, program, status, text))
        lines.append(
            f"  student {student} ({name}), application {status_id} (program {program}, "
            f"{status}): {text}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Application", "Program", "Status", "Changes"),
        rows,
        total=changes.changed,
        cap=params.max_listed,
        counts={
            "checked": changes.checked,
            "not_enrolled": changes.not_enrolled,
            "refreshed": changes.changed,
            "audit_rows": changes.changed,
        },
    )
