"""Populate Graduation Requirements Summary (SIS): credits earned per student and requirement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

DEFAULT_GRADES = ("09", "10", "11", "12")

# Students with a primary enrollment of the default year active on the run day, in one of the
# chosen grades; every graduation requirement for each; credits from all their history.
_SUMMARY = """
INSERT INTO {temp} (student_id, requirement_id, grade_level, credits_required,
                    credits_earned, credits_remaining, met)
SELECT x.student_id, x.requirement_id, x.grade_level, x.credits_required, x.earned,
       CASE WHEN x.earned >= x.credits_required THEN 0
            ELSE x.credits_required - x.earned END,
       CASE WHEN x.earned >= x.credits_required THEN TRUE ELSE FALSE END
FROM (
  SELECT s.student_id, r.requirement_id, s.grade_level, r.credits_required,
         COALESCE((SELECT SUM(h.credits_earned) FROM course_history h
                   WHERE h.student_id = s.student_id
                     AND (r.subject IS NULL OR h.grad_subject = r.subject)), 0) AS earned
  FROM (
    SELECT e.student_id, MIN(g.short_name) AS grade_level
    FROM student_enrollment e
    JOIN grade_levels g ON g.grade_id = e.grade_id
    JOIN school_years y ON y.syear = e.syear AND y.is_default = TRUE
    WHERE e.second_school = FALSE AND e.start_date <= :today
      AND (e.end_date IS NULL OR e.end_date >= :today)
      AND g.short_name IN :grades
    GROUP BY e.student_id
  ) s
  CROSS JOIN grad_requirements r
) x
"""

_UNMATCHED = """
SELECT h.grad_subject, COUNT(*) FROM course_history h
WHERE h.grad_subject IS NOT NULL
  AND h.student_id IN (SELECT student_id FROM {temp})
  AND NOT EXISTS (SELECT 1 FROM grad_requirements r WHERE r.subject = h.grad_subject)
GROUP BY h.grad_subject ORDER BY h.grad_subject
"""


class GraduationSummaryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grades: list[str] = Field(
        default_factory=list,
        title="Grades",
        description="Short names of the grade levels (09, 10 ...); leave empty for 09 to 12.",
        json_schema_extra={"x-focus-lookup": "grade_levels"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed summary rows listed")


@dataclass(frozen=True)
class SummaryChanges:
    """What a run wrote, with the first changed rows and the subjects no requirement counts."""

    students: int
    inserted: int
    updated: int
    listed: list[tuple]
    unmatched: list[tuple]


class PopulateGraduationRequirementsSummary(Job):
    key = "populate_graduation_requirements_summary"
    title = "Populate Graduation Requirements Summary"
    description = (
        "Fills grad_requirements_summary, a table district reports can be built on: for each "
        "student and each of the district's graduation requirements, the credits required, "
        "earned and still missing, and whether the requirement is met. Rules: the students "
        "are those with a primary enrollment in the default school year active on the run "
        "day, in one of the chosen grade levels (09 through 12 when none are chosen); the "
        "credits earned toward a subject requirement are the sum of the student's course "
        "history credits recorded for that graduation subject, in every year, and a "
        "requirement without a subject counts every credit; a requirement is met once the "
        "credits earned reach the credits required (exactly equal counts). Rows of the "
        "students in scope are inserted or updated; rows already right are left alone. "
        "History subjects that no requirement names are listed."
    )
    module = "SIS"
    params_model = GraduationSummaryParams

    def run(self, context: JobContext, params: GraduationSummaryParams) -> JobResult:
        conn = context.connection
        grades = sorted(set(params.grades)) or list(DEFAULT_GRADES)
        known = set(conn.execute(sa.text("SELECT short_name FROM grade_levels")).scalars())
        unknown = [g for g in grades if g not in known]
        if unknown:
            return JobResult.message(
                False,
                f"grades {unknown}: no such grade level; pick short names from Grade Levels. "
                "No summary row was written.",
            )
        changes = populate(conn, grades, context.now().date(), params.max_listed)
        return _report(changes, grades, params)


def populate(conn: sa.Connection, grades: list[str], today: dt.date, cap: int) -> SummaryChanges:
    """Write the summary rows of the students in ``grades`` on ``today``."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.grades import grad_requirements, grad_requirements_summary
    from job_library.sis_sql import analyze, bind_lists, first_rows, scratch_table

    summary = grad_requirements_summary
    temp = scratch_table(
        conn,
        "tmp_grad_summary",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("requirement_id", sa.Integer, primary_key=True),
            sa.Column("grade_level", sa.String(5)),
            sa.Column("credits_required", summary.c.credits_required.type),
            sa.Column("credits_earned", summary.c.credits_earned.type),
            sa.Column("credits_remaining", summary.c.credits_remaining.type),
            sa.Column("met", sa.Boolean),
            sa.Column("old_earned", summary.c.credits_earned.type),
            sa.Column("state", sa.String(10)),
        ],
    )
    conn.execute(
        bind_lists(sa.text(_SUMMARY.format(temp=temp.name)), grades=grades), {"today": today}
    )
    key = sa.and_(
        summary.c.student_id == temp.c.student_id,
        summary.c.requirement_id == temp.c.requirement_id,
    )
    same = sa.and_(
        summary.c.grade_level == temp.c.grade_level,
        summary.c.credits_required == temp.c.credits_required,
        summary.c.credits_earned == temp.c.credits_earned,
        summary.c.credits_remaining == temp.c.credits_remaining,
        summary.c.met == temp.c.met,
    )
    old = sa.select(summary.c.credits_earned).where(key).scalar_subquery()
    conn.execute(
        sa.update(temp).values(
            old_earned=old,
            state=sa.case(
                (~sa.exists().where(key), "new"),
                (sa.exists().where(key, same), "same"),
                else_="changed",
            ),
        )
    )
    analyze(conn, temp)
    st, r = students, grad_requirements
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.grade_level,
            r.c.title,
            temp.c.old_earned,
            temp.c.credits_earned,
            temp.c.credits_required,
            temp.c.met,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .join(r, r.c.requirement_id == temp.c.requirement_id)
        .where(temp.c.state != "same")
        .order_by(temp.c.student_id, r.c.sort_order, r.c.requirement_id)
    )
    listed = first_rows(conn, query, cap)
    students_count = conn.execute(
        sa.select(sa.func.count(sa.distinct(temp.c.student_id)))
    ).scalar_one()
    columns = ("grade_level", "credits_required", "credits_earned", "credits_remaining", "met")
    changed = temp.c.state == "changed"
    updated = conn.execute(
        sa.update(summary)
        .where(
            sa.exists().where(key, changed),
        )
        .values({c: sa.select(temp.c[c]).where(key).scalar_subquery() for c in columns})
    ).rowcount
    inserted = conn.execute(
        sa.insert(summary).from_select(
            ["student_id", "requirement_id", *columns],
            sa.select(
                temp.c.student_id, temp.c.requirement_id, *(temp.c[c] for c in columns)
            ).where(temp.c.state == "new"),
        )
    ).rowcount
    unmatched = [tuple(x) for x in conn.execute(sa.text(_UNMATCHED.format(temp=temp.name)))]
    temp.drop(conn)
    return SummaryChanges(students_count, inserted, updated, listed, unmatched)


def _credits(value) -> str:
    return "-" if value is None else f"{float(value):g}"


def _report(
    changes: SummaryChanges, grades: list[str], params: GraduationSummaryParams
) -> JobResult:
    scope = f"{changes.students} student(s) in grades {', '.join(grades)}"
    total = changes.inserted + changes.updated
    if total == 0:
        summary = f"The summary of {scope} was already up to date; nothing changed."
    else:
        summary = (
            f"Graduation requirements summary of {scope}: {changes.inserted} row(s) added, "
            f"{changes.updated} updated."
        )
    lines = [summary]
    rows = []
    for student, last, first, grade, req, old, earned, required, met in changes.listed:
        name = f"{last}, {first}"
        state = "met" if met else "not met"
        rows.append(
            (student, name, grade, req, _credits(old), _credits(earned), _credits(required), state)
        )
        lines.append(
            f"  student {student} ({name}, grade {grade}) {req}: earned {_credits(old)} -> "
            f"{_credits(earned)} of {_credits(required)}, {state}"
        )
    for subject, count in changes.unmatched:
        lines.append(
            f"  {count} course history record(s) of subject {subject!r} count toward no "
            "subject requirement: no graduation requirement names that subject."
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Grade", "Requirement", "Earned before", "Earned", "Required", "Met"),
        rows,
        total=total,
        cap=params.max_listed,
        counts={
            "students": changes.students,
            "inserted": changes.inserted,
            "updated": changes.updated,
            "unmatched_subjects": len(changes.unmatched),
        },
    )
