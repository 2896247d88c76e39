"""Recalc DT Grades Fix: the stored running gradebook grades, recomputed from the gradebook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# The quarters recomputed: the year's that have begun at the chosen schools, or only those
# running today.
_SCOPE = """
INSERT INTO {scope} (marking_period_id, school_id, syear, start_date)
SELECT m.marking_period_id, m.school_id, m.syear, m.start_date
FROM marking_periods m
WHERE m.syear = :syear AND m.mp_type = 'QTR' AND m.start_date <= :today
  {school_filter} {current_filter}
"""

# Per student, section, quarter, grade type and category: points earned and possible over
# the scored work (graded, not exempt, worth points). DT: the quarter's assignments; Dy: those
# of every quarter of the school's year starting no later than it.
_CATEGORIES = """
INSERT INTO {cats} (student_id, course_period_id, marking_period_id, grade_type, category_id,
                    earned, possible)
SELECT g.student_id, a.course_period_id, m.marking_period_id, t.grade_type, a.category_id,
       SUM(g.points), SUM(a.points)
FROM {scope} m
JOIN (SELECT 'DT' AS grade_type UNION ALL SELECT 'Dy') t ON 1 = 1
JOIN marking_periods q
  ON q.school_id = m.school_id AND q.syear = m.syear AND q.mp_type = 'QTR'
 AND (q.marking_period_id = m.marking_period_id
      OR (t.grade_type = 'Dy' AND q.start_date <= m.start_date))
JOIN gradebook_assignments a ON a.marking_period_id = q.marking_period_id
JOIN gradebook_grades g ON g.assignment_id = a.assignment_id
WHERE g.points IS NOT NULL AND g.exempt = FALSE AND a.points > 0
GROUP BY g.student_id, a.course_period_id, m.marking_period_id, t.grade_type, a.category_id
"""

# The grade: earned over possible, or, in a weighted gradebook, each category's share weighted
# and divided by the weights of the categories with scored work (weight above 0). The 1.0s
# keep SQLite from dividing whole numbers as integers.
_GRADES = """
INSERT INTO {new} (student_id, course_period_id, marking_period_id, grade_type, percent)
SELECT c.student_id, c.course_period_id, c.marking_period_id, c.grade_type,
       ROUND(CASE WHEN MAX(CASE WHEN cfg.weighted = TRUE THEN 1 ELSE 0 END) = 1
                  THEN 100.0 * SUM(1.0 * w.weight * c.earned / c.possible) / SUM(w.weight)
                  ELSE 100.0 * SUM(c.earned) / SUM(c.possible) END, 2)
FROM {cats} c
JOIN gradebook_categories w ON w.category_id = c.category_id
LEFT JOIN gradebook_config cfg ON cfg.course_period_id = c.course_period_id
WHERE cfg.weighted IS NULL OR cfg.weighted = FALSE OR w.weight > 0
GROUP BY c.student_id, c.course_period_id, c.marking_period_id, c.grade_type
"""

# What changes: new or different grades, and stored grades of the scope nothing gives now.
_DIFF = """
INSERT INTO {diff} (student_id, course_period_id, marking_period_id, grade_type, old, new,
                    no_assignments)
SELECT n.student_id, n.course_period_id, n.marking_period_id, n.grade_type, r.percent,
       n.percent, 0
FROM {new} n
LEFT JOIN gradebook_running_grades r
  ON r.student_id = n.student_id AND r.course_period_id = n.course_period_id
 AND r.marking_period_id = n.marking_period_id AND r.grade_type = n.grade_type
WHERE r.percent IS NULL OR r.percent <> n.percent
UNION ALL
SELECT r.student_id, r.course_period_id, r.marking_period_id, r.grade_type, r.percent, NULL,
       CASE WHEN EXISTS (SELECT 1 FROM gradebook_assignments a
                         WHERE a.course_period_id = r.course_period_id) THEN 0 ELSE 1 END
FROM gradebook_running_grades r
JOIN {scope} m ON m.marking_period_id = r.marking_period_id
WHERE r.grade_type IN ('DT', 'Dy')
  AND NOT EXISTS (SELECT 1 FROM {new} n
                  WHERE n.student_id = r.student_id AND n.course_period_id = r.course_period_id
                    AND n.marking_period_id = r.marking_period_id
                    AND n.grade_type = r.grade_type)
"""

KEY = ("student_id", "course_period_id", "marking_period_id", "grade_type")


class RecalcDtGradesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose sections are recomputed; leave empty for all.",
    )
    current_quarters_only: bool = Field(
        default=False,
        title="Current quarters of the selected schools only",
        description="Recompute only the quarter each chosen school is in on the run day.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed grades listed")


@dataclass(frozen=True)
class GradeChanges:
    """What a run recomputed and changed, with the first changed grades for the output."""

    quarters: int
    computed: int
    inserted: int
    updated: int
    deleted: int
    no_assignments: int
    listed: list[tuple]


class RecalcDtGrades(Job):
    key = "recalc_dt_grades_fix"
    title = "Recalc DT Grades Fix"
    description = (
        "Rebuilds the stored running grades of the teachers' gradebooks: DT, a quarter's "
        "running grade, and Dy, the year's running grade through that quarter, per student "
        "and section, so they match the assignments and scores. Rules: only quarters (QTR "
        "marking periods) of the school year and schools chosen that have begun by the run day "
        "are recomputed, or with the current-quarters option only the quarter that includes "
        "the run day at each school. "
        "Scored work is a graded, not exempt score on an assignment worth points. A grade is "
        "points earned over points possible, as a percent with two decimals; in a gradebook "
        "weighted by category, each category's earned-over-possible counts with its weight, "
        "divided by the weights of the categories that have scored work. A stored DT or Dy "
        "grade that the gradebook no longer gives is deleted: all of them for a section "
        "without any assignment, counted apart. Grades already right are not touched."
    )
    module = "SIS"
    params_model = RecalcDtGradesParams

    def run(self, context: JobContext, params: RecalcDtGradesParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was changed.")
        syear, school_ids = resolved
        now = context.now()
        changes = recalculate(
            conn,
            syear=syear,
            school_ids=school_ids,
            today=now.date(),
            current_only=params.current_quarters_only,
            now=now,
            cap=params.max_listed,
        )
        return _report(changes, syear, params)


def recalculate(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    today: dt.date,
    current_only: bool,
    now: dt.datetime,
    cap: int,
) -> GradeChanges:
    """Replace the scope's stored DT and Dy grades by those the gradebook gives now."""
    from job_library.schemas.grades import gradebook_running_grades
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    def key_columns() -> list[sa.Column]:
        return [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("course_period_id", sa.Integer, primary_key=True),
            sa.Column("marking_period_id", sa.Integer, primary_key=True),
            sa.Column("grade_type", sa.String(2), primary_key=True),
        ]

    scope = scratch_table(
        conn,
        "tmp_dt_scope",
        [
            sa.Column("marking_period_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("syear", sa.Integer, nullable=False),
            sa.Column("start_date", sa.Date, nullable=False),
        ],
    )
    cats = scratch_table(
        conn,
        "tmp_dt_categories",
        [
            *key_columns(),
            sa.Column("category_id", sa.Integer, primary_key=True),
            sa.Column("earned", sa.Numeric(12, 4), nullable=False),
            sa.Column("possible", sa.Numeric(12, 4), nullable=False),
        ],
    )
    new = scratch_table(
        conn, "tmp_dt_new", [*key_columns(), sa.Column("percent", sa.Numeric(6, 2))]
    )
    diff = scratch_table(
        conn,
        "tmp_dt_diff",
        [
            *key_columns(),
            sa.Column("old", sa.Numeric(6, 2)),
            sa.Column("new", sa.Numeric(6, 2)),
            sa.Column("no_assignments", sa.Integer, nullable=False),
        ],
    )
    current = "AND m.end_date >= :today" if current_only else ""
    clause = sa.text(
        _SCOPE.format(
            scope=scope.name,
            school_filter=in_list("m.school_id", "school_ids", school_ids),
            current_filter=current,
        )
    )
    clause = bind_lists(
        clause.bindparams(sa.bindparam("today", type_=sa.Date)), school_ids=school_ids
    )
    conn.execute(clause, {"syear": syear, "today": today})
    analyze(conn, scope)
    names = {"scope": scope.name, "cats": cats.name, "new": new.name, "diff": diff.name}
    for sql, filled in ((_CATEGORIES, cats), (_GRADES, new), (_DIFF, diff)):
        conn.execute(sa.text(sql.format(**names)))
        analyze(conn, filled)
    quarters = conn.execute(sa.select(sa.func.count()).select_from(scope)).scalar_one()
    computed = conn.execute(sa.select(sa.func.count()).select_from(new)).scalar_one()
    listed = first_rows(
        conn,
        sa.select(
            *(diff.c[k] for k in KEY), diff.c.old, diff.c.new, diff.c.no_assignments
        ).order_by(*(diff.c[k] for k in KEY)),
        cap,
    )

    def count(*where) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(diff).where(*where)).scalar_one()

    no_assignments = count(diff.c.no_assignments == 1)
    r = gradebook_running_grades
    same_key = sa.and_(*(r.c[k] == diff.c[k] for k in KEY))
    deleted = conn.execute(
        sa.delete(r).where(sa.exists().where(same_key, diff.c.new.is_(None)))
    ).rowcount
    updated = conn.execute(
        sa.update(r)
        .where(sa.exists().where(same_key, diff.c.old.is_not(None), diff.c.new.is_not(None)))
        .values(
            percent=sa.select(diff.c.new).where(same_key).scalar_subquery(),
            calculated_at=now,
        )
    ).rowcount
    inserted = conn.execute(
        sa.insert(r).from_select(
            [*KEY, "percent", "calculated_at"],
            sa.select(
                *(diff.c[k] for k in KEY),
                diff.c.new,
                sa.literal(now, sa.DateTime(timezone=True)),
            ).where(diff.c.old.is_(None)),
        )
    ).rowcount
    for table in (diff, new, cats, scope):
        table.drop(conn)
    return GradeChanges(quarters, computed, inserted, updated, deleted, no_assignments, listed)


def _report(changes: GradeChanges, syear: int, params: RecalcDtGradesParams) -> JobResult:
    which = "current quarter(s)" if params.current_quarters_only else "quarter(s)"
    tally = (
        f"Recomputed {changes.computed} running grade(s) in {changes.quarters} {which} of {syear}"
    )
    total = changes.inserted + changes.updated + changes.deleted
    if total == 0:
        summary = f"{tally}; every stored DT and Dy grade was right, nothing changed."
    else:
        summary = (
            f"{tally}: {changes.inserted} added, {changes.updated} corrected, "
            f"{changes.deleted} deleted ({changes.no_assignments} of sections without "
            "assignments)."
        )
    lines = [summary]
    rows = []
    for student, section, mp, kind, old, new, bare in changes.listed:
        after = "deleted (no assignments)" if bare else ("deleted" if new is None else new)
        rows.append((student, section, mp, kind, old, after))
        lines.append(
            f"  student {student}, section {section}, marking period {mp}, {kind}: "
            f"{'-' if old is None else old} -> {after}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Section", "Marking period", "Grade", "Before", "After"),
        rows,
        total=total,
        cap=params.max_listed,
        counts={
            "quarters": changes.quarters,
            "computed": changes.computed,
            "inserted": changes.inserted,
            "updated": changes.updated,
            "deleted": changes.deleted,
            "deleted_without_assignments": changes.no_assignments,
        },
    )
