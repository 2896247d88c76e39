"""Calculate Class Rank and GPA: cumulative GPAs from course history, ranked per class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.preferences import PreferenceError
from job_library.sis_params import SchoolYear

# The students of the year: each at the school and grade of their latest primary enrollment
# of the year, unless it was ended with a drop code (withdrawn). Their cumulative GPAs are
# credit-weighted over the course history of this and earlier years that affects GPA and
# carries credit; a course without weighted points weighs its grade points. Rank within
# school and grade level by rank_value (the chosen GPA), highest first; equal GPAs share a
# rank and the next rank skips (1, 2, 2, 4). Students without a GPA are not ranked.
_GPAS = """
INSERT INTO {temp} (student_id, school_id, grade_id, gpa, weighted_gpa, rank_value,
                    class_rank, class_size)
SELECT r.student_id, r.school_id, r.grade_id, r.gpa, r.weighted_gpa, r.rank_value,
       CASE WHEN r.rank_value IS NOT NULL THEN
           RANK() OVER (PARTITION BY r.school_id, r.grade_id, r.rank_value IS NULL
                        ORDER BY r.rank_value DESC) END,
       CASE WHEN r.rank_value IS NOT NULL THEN
           COUNT(*) OVER (PARTITION BY r.school_id, r.grade_id, r.rank_value IS NULL) END
FROM (
    SELECT g.*, {rank_value} AS rank_value
    FROM (
        SELECT x.student_id AS student_id, x.school_id AS school_id, x.grade_id AS grade_id,
               ROUND(1.0 * h.points / h.credits, 3) AS gpa,
               ROUND(1.0 * h.weighted / h.credits, 3) AS weighted_gpa
        FROM (
            SELECT e.student_id AS student_id, e.school_id AS school_id,
                   e.grade_id AS grade_id, e.drop_code AS drop_code,
                   ROW_NUMBER() OVER (PARTITION BY e.student_id
                                      ORDER BY e.start_date DESC, e.id DESC) AS rn
            FROM student_enrollment e
            WHERE e.syear = :syear AND e.second_school = FALSE
        ) x
        LEFT JOIN (
            SELECT ch.student_id AS student_id,
                   SUM(ch.credits_earned) AS credits,
                   SUM(ch.grade_points * ch.credits_earned) AS points,
                   SUM(COALESCE(ch.weighted_points, ch.grade_points) * ch.credits_earned)
                       AS weighted
            FROM course_history ch
            WHERE ch.syear <= :syear
              AND ch.affects_gpa = TRUE
              AND ch.grade_points IS NOT NULL
              AND ch.credits_earned > 0
            GROUP BY ch.student_id
        ) h ON h.student_id = x.student_id
        WHERE x.rn = 1 AND x.drop_code IS NULL {school_filter}
    ) g
) r
"""

_FIELDS = ("school_id", "gpa", "weighted_gpa", "class_rank", "class_size")
RANK_BY = ("weighted", "unweighted")

# Each school's Grading preference (System Preferences, scope school): weighted | unweighted.
PREFERENCE = "class_rank_by"


class ClassRankGpaParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    rank_by: Literal["weighted", "unweighted"] = Field(
        default="weighted",
        title="Rank by",
        description="The GPA class rank is based on.",
    )
    use_school_preference: bool = Field(
        default=False,
        title="Use each School's System Preference",
        description="Rank each school by its class_rank_by System Preference (the "
        "school's own, else the district's); a school without one uses Rank by.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed students listed")


@dataclass(frozen=True)
class GpaChanges:
    """What a run calculated and wrote, with the first changed students for the output."""

    students: int
    ranked: int
    added: int
    updated: int
    listed: list[tuple]


class CalculateClassRankAndGpa(Job):
    key = "calculate_class_rank_and_gpa"
    title = "Calculate Class Rank and GPA"
    description = (
        "Runs Course History's GPA and class rank calculation on a schedule, so nobody has to "
        "start it by hand. Rules: the students are those with a primary enrollment in "
        "the school year, each counted at the school and grade level of their latest one "
        "unless it was ended with a drop code (withdrawn). GPA and weighted GPA are "
        "cumulative through the school year: the credit-weighted average of grade points "
        "(weighted points; the grade points where a course has none) over the course history "
        "of that year and earlier, at any school, that affects GPA, has grade points and "
        "carries credit (a course with 0 credits is left out), rounded to 3 decimals. Class "
        "rank orders each school's grade level by the chosen GPA (weighted by default), "
        "highest first; equal GPAs share a rank and the next rank skips; class size is the "
        "number of ranked students. With Use each School's System Preference, a school ranks "
        "by its class_rank_by System Preference (weighted or unweighted; the school's own "
        "value, else the district's) and a school without one by Rank by. A student without "
        "a GPA is not ranked and gets no new record (an existing one is cleared). Only "
        "changed student GPA records are written; records of other years and of withdrawn "
        "students are kept."
    )
    module = "SIS"
    title_template = "{title} for {syear}"
    params_model = ClassRankGpaParams

    def run(self, context: JobContext, params: ClassRankGpaParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was calculated.")
        syear, school_ids = resolved
        preferences: dict[int, str] = {}
        if params.use_school_preference:
            found = school_preferences(context)
            if isinstance(found, str):
                return JobResult.message(False, found + " Nothing was calculated.")
            preferences = found
        changes = calculate(
            conn,
            syear=syear,
            school_ids=school_ids,
            rank_by=params.rank_by,
            preferences=preferences,
            max_listed=params.max_listed,
        )
        basis = f"{params.rank_by} GPA"
        if params.use_school_preference:
            basis = f"each school's preference, else {basis}"
        return _report(changes, syear, basis, params.max_listed)


def school_preferences(context: JobContext) -> dict[int, str] | str:
    """Each school's class rank preference, {school id: weighted | unweighted} (a school
    without its own value gets the district's, when set), or an error naming a bad value."""
    from job_library.schemas.district import schools

    try:
        own = context.prefs.by_school(PREFERENCE)
        district = context.prefs.get(PREFERENCE)
    except PreferenceError as exc:
        return f"{exc}."
    if district is None:
        return own
    ids = context.connection.execute(sa.select(schools.c.school_id)).scalars()
    return {i: own.get(i, district) for i in sorted(ids)}


def calculate(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    rank_by: str,
    preferences: dict[int, str],
    max_listed: int,
) -> GpaChanges:
    """Write the GPAs, class ranks and class sizes of ``syear``'s students where they differ."""
    from job_library.schemas.district import grade_levels
    from job_library.schemas.enrollment import students
    from job_library.schemas.grades import student_gpa
    from job_library.sis_sql import bind_lists, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_class_rank_gpa",
        [
            # no key index: one row per student by construction, and every read is a scan
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("grade_id", sa.Integer, nullable=False),
            sa.Column("gpa", sa.Numeric(5, 3)),
            sa.Column("weighted_gpa", sa.Numeric(5, 3)),
            sa.Column("class_rank", sa.Integer),
            sa.Column("class_size", sa.Integer),
            sa.Column("rank_value", sa.Numeric(5, 3)),
        ],
    )
    others = sorted(s for s, by in preferences.items() if by != rank_by)
    other = "unweighted" if rank_by == "weighted" else "weighted"
    column = {"weighted": "g.weighted_gpa", "unweighted": "g.gpa"}
    rank_value = column[rank_by]
    if others:
        rank_value = f"CASE WHEN g.school_id IN :others THEN {column[other]} ELSE {rank_value} END"
    sql = _GPAS.format(
        temp=temp.name,
        rank_value=rank_value,
        school_filter=in_list("x.school_id", "school_ids", school_ids),
    )
    clause = bind_lists(sa.text(sql), school_ids=school_ids, others=others or None)
    conn.execute(clause, {"syear": syear})
    # No ANALYZE of the scratch table: every statement below reads all of it once, and the
    # listing joins the names only to the rows it shows, so no plan hinges on its statistics.
    sg = student_gpa
    key = sa.and_(sg.c.student_id == temp.c.student_id, sg.c.syear == syear)
    differs = sa.or_(*(sg.c[f].is_distinct_from(temp.c[f]) for f in _FIELDS))
    missing = sa.and_(temp.c.gpa.is_not(None), ~sa.exists().where(key))
    unranked = temp.c.class_rank.is_(None)  # unranked last on both databases
    changed = (
        sa.select(
            temp.c.student_id,
            temp.c.school_id,
            temp.c.grade_id,
            sg.c.gpa.label("old_gpa"),
            temp.c.gpa,
            sg.c.weighted_gpa.label("old_weighted_gpa"),
            temp.c.weighted_gpa,
            sg.c.class_rank.label("old_class_rank"),
            temp.c.class_rank,
            temp.c.class_size,
            unranked.label("unranked"),
        )
        .select_from(temp)
        .outerjoin(sg, key)
        .where(
            sa.or_(
                sa.and_(sg.c.student_id.is_(None), temp.c.gpa.is_not(None)),
                sa.and_(sg.c.student_id.is_not(None), differs),
            )
        )
        .order_by(temp.c.school_id, temp.c.grade_id, unranked, temp.c.class_rank, temp.c.student_id)
        .limit(max_listed)
        .subquery()
    )
    query = (
        sa.select(
            changed.c.student_id,
            students.c.last_name,
            students.c.first_name,
            changed.c.school_id,
            grade_levels.c.short_name,
            changed.c.old_gpa,
            changed.c.gpa,
            changed.c.old_weighted_gpa,
            changed.c.weighted_gpa,
            changed.c.old_class_rank,
            changed.c.class_rank,
            changed.c.class_size,
        )
        .select_from(changed)
        .join(students, students.c.student_id == changed.c.student_id)
        .join(grade_levels, grade_levels.c.grade_id == changed.c.grade_id)
        .order_by(
            changed.c.school_id,
            changed.c.grade_id,
            changed.c.unranked,
            changed.c.class_rank,
            changed.c.student_id,
        )
    )
    listed = [tuple(r) for r in conn.execute(query)] if max_listed else []
    updated = conn.execute(
        sa.update(sg).where(key, differs).values({f: temp.c[f] for f in _FIELDS})
    ).rowcount
    added = conn.execute(
        sa.insert(sg).from_select(
            ["student_id", "syear", *_FIELDS],
            sa.select(
                temp.c.student_id,
                sa.literal(syear, sa.Integer),
                *(temp.c[f] for f in _FIELDS),
            ).where(missing),
        )
    ).rowcount
    total, ranked = conn.execute(
        sa.select(sa.func.count(), sa.func.count(temp.c.class_rank)).select_from(temp)
    ).one()
    temp.drop(conn)
    return GpaChanges(total, ranked, added, updated, listed)


def _gpa(value) -> str:
    return "-" if value is None else f"{float(value):.3f}"


def _report(changes: GpaChanges, syear: int, basis: str, cap: int) -> JobResult:
    scope = f"school year {syear}, ranked by {basis}"
    tally = f"{changes.students} student(s), {changes.ranked} with a GPA and ranked"
    total = changes.added + changes.updated
    if total == 0:
        summary = f"{tally} ({scope}); every GPA and rank was already stored, nothing changed."
    else:
        summary = (
            f"{tally} ({scope}); added {changes.added} and updated {changes.updated} GPA record(s)."
        )
    lines = [summary]
    rows = []
    for row in changes.listed:
        student, last, first, school, grade, o_g, n_g, o_w, n_w, o_r, n_r, size = row
        name = f"{last}, {first}"
        gpa = f"{_gpa(o_g)} -> {_gpa(n_g)}"
        weighted = f"{_gpa(o_w)} -> {_gpa(n_w)}"
        rank = f"{o_r or '-'} -> {n_r or '-'}" + (f" of {size}" if n_r else "")
        rows.append((student, name, school, grade, gpa, weighted, rank))
        lines.append(
            f"  student {student} ({name}), school {school} grade {grade}: GPA {gpa}, "
            f"weighted {weighted}, rank {rank}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Grade", "GPA", "Weighted GPA", "Class rank"),
        rows,
        total=total,
        cap=cap,
        counts={
            "students": changes.students,
            "ranked": changes.ranked,
            "added": changes.added,
            "updated": changes.updated,
        },
    )
