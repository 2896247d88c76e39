"""Set Next School: the rollover school of active enrollments, from the Address Catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.sis.set_zoned_school import ACTIVE, match_catalog, resolve_grades
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# Active primary enrollments with the grade each student rolls into: the same grade when
# retained, else the grade's next grade; that grade must be used for zoning and open to
# students rolling in. Students marked do-not-enroll are left out.
_SCOPE = f"""
INSERT INTO {{scope}} (enrollment_id, student_id, grade_id)
SELECT e.id, e.student_id, tg.grade_id
FROM student_enrollment e
JOIN grade_levels g ON g.grade_id = e.grade_id
JOIN grade_levels tg
  ON tg.grade_id = CASE WHEN e.rolling_retention = 'retain' THEN e.grade_id
                        ELSE g.next_grade_id END
WHERE {ACTIVE}
  AND e.second_school = FALSE
  AND (e.rolling_retention IS NULL OR e.rolling_retention <> 'do_not_enroll')
  AND tg.used_for_zoning = TRUE
  AND tg.can_roll_into = TRUE
  {{filters}}
"""


class SetNextSchoolParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the enrolled schools to update; leave empty for every school.",
    )
    grades: list[str] = Field(
        json_schema_extra={"x-focus-lookup": "grade_levels"},
        default_factory=list,
        title="Grade levels",
        description="Short names of the students' current grade levels to run for; leave "
        "empty for every grade.",
    )
    only_blank: bool = Field(
        default=False,
        title="Only records without a next school",
        description="Leave records that already have a next school as they are.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed enrollments listed in the output"
    )


@dataclass(frozen=True)
class NextSchoolChanges:
    """What a run found and changed, with the first changed records for the output."""

    catalog_year: int
    checked: int
    matched: int
    no_school: int
    not_offered: int
    updated: int
    listed: list[tuple]


class SetNextSchool(Job):
    key = "set_next_school"
    title = "Set Next School"
    description = (
        "Fills in next_school on active student_enrollment records from the Address Catalog, "
        "taking into account the school year and whether the next grade level is offered. Only "
        'grade levels flagged "Students can roll into this grade level" as well as "Used for '
        'Zoning" (Setup > Grade Levels) take part. A catalog record without a zoned school is '
        "passed over when another matching record has one. Rules: active records are the school "
        "year's primary enrollments "
        "not ended before today (second-school records and students marked Do Not Enroll are "
        "left out). The grade rolled into is the next grade level, or the same grade for a "
        "retained student; it must carry both flags. The chosen grade levels are the "
        "students' current grades. The address is matched as in Set Zoned School (first "
        "parsed address; street, directions, type, 5-digit zipcode, house number range and "
        "parity, grade range) against the catalog of the next school year when the district "
        "has loaded one, else of this school year; a record with a zoned school wins over "
        "one without, then the narrowest house range. The next school is set only when the "
        "zoned school offers the grade rolled into (School Grade Levels); otherwise, and "
        "when the address matches nothing or only records without a zoned school, the "
        "record keeps its next school."
    )
    module = "SIS"
    params_model = SetNextSchoolParams

    def run(self, context: JobContext, params: SetNextSchoolParams) -> JobResult:
        from job_library.schemas.addresses import address_catalog
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was changed.")
        syear, school_ids = resolved
        grade_ids = None
        if params.grades:
            grades = resolve_grades(conn, params.grades)
            if isinstance(grades, str):
                return JobResult.message(False, grades + " Nothing was changed.")
            closed = _grades_without_zoned_next(conn, grades)
            if closed:
                return JobResult.message(
                    False,
                    f"grades {closed}: their next grade level is missing or not marked both "
                    "Used for Zoning and Students can roll into this grade level; fix it in "
                    "Setup > Grade Levels or leave them out. Nothing was changed.",
                )
            grade_ids = sorted(g["grade_id"] for g in grades.values())
        has_next = conn.execute(
            sa.select(address_catalog.c.catalog_id)
            .where(address_catalog.c.syear == syear + 1)
            .limit(1)
        ).first()
        today = context.now().date()
        changes = set_next_schools(
            conn,
            syear=syear,
            catalog_year=syear + 1 if has_next else syear,
            school_ids=school_ids,
            grade_ids=grade_ids,
            today=today,
            only_blank=params.only_blank,
            max_listed=params.max_listed,
        )
        return _report(changes, syear, today, params.max_listed)


def _grades_without_zoned_next(conn: sa.Connection, grades: dict[str, dict]) -> list[str]:
    """The chosen grades whose next grade is missing or lacks a zoning flag."""
    from job_library.schemas.district import grade_levels

    g = grade_levels
    ids = [row["next_grade_id"] for row in grades.values() if row["next_grade_id"] is not None]
    open_ids = set(
        conn.execute(
            sa.select(g.c.grade_id).where(
                g.c.grade_id.in_(ids),
                g.c.used_for_zoning == sa.true(),
                g.c.can_roll_into == sa.true(),
            )
        ).scalars()
    )
    return sorted(n for n, row in grades.items() if row["next_grade_id"] not in open_ids)


def set_next_schools(
    conn: sa.Connection,
    *,
    syear: int,
    catalog_year: int,
    school_ids: Sequence[int] | None,
    grade_ids: Sequence[int] | None,
    today: dt.date,
    only_blank: bool,
    max_listed: int,
) -> NextSchoolChanges:
    """Write the zoned school of the grade rolled into as next_school, where it offers it."""
    from job_library.schemas.district import grade_levels, school_grade_levels
    from job_library.schemas.enrollment import student_enrollment, students
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    scope = scratch_table(
        conn,
        "tmp_next_school_scope",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("grade_id", sa.Integer, nullable=False),
            sa.Column("matched", sa.Integer, nullable=False, server_default="0"),
            sa.Column("zoned_school_id", sa.Integer),
            sa.Column("next_school", sa.Integer),
        ],
    )
    filters = " ".join(
        (
            in_list("e.school_id", "school_ids", school_ids),
            in_list("e.grade_id", "grade_ids", grade_ids),
            "AND e.next_school IS NULL" if only_blank else "",
        )
    )
    clause = bind_lists(
        sa.text(_SCOPE.format(scope=scope.name, filters=filters)).bindparams(
            sa.bindparam("today", type_=sa.Date)
        ),
        school_ids=school_ids,
        grade_ids=grade_ids,
    )
    conn.execute(clause, {"syear": syear, "today": today})
    analyze(conn, scope)
    matches = match_catalog(conn, scope, catalog_year)
    conn.execute(
        sa.update(scope)
        .where(scope.c.enrollment_id == matches.c.enrollment_id)
        .values(matched=1, zoned_school_id=matches.c.zoned_school_id)
    )
    sgl = school_grade_levels
    conn.execute(
        sa.update(scope)
        .where(
            sa.exists().where(
                sgl.c.school_id == scope.c.zoned_school_id, sgl.c.grade_id == scope.c.grade_id
            )
        )
        .values(next_school=scope.c.zoned_school_id)
    )
    matches.drop(conn)

    def count(*where) -> int:
        return conn.execute(
            sa.select(sa.func.count()).select_from(scope).where(*where)
        ).scalar_one()

    checked = count()
    matched = count(scope.c.matched == 1)
    no_school = count(scope.c.matched == 1, scope.c.zoned_school_id.is_(None))
    not_offered = count(scope.c.zoned_school_id.is_not(None), scope.c.next_school.is_(None))
    se = student_enrollment
    keys = [
        se.c.id == scope.c.enrollment_id,
        scope.c.next_school.is_not(None),
        se.c.next_school.is_distinct_from(scope.c.next_school),
    ]
    query = (
        sa.select(
            se.c.student_id,
            students.c.last_name,
            students.c.first_name,
            se.c.school_id,
            se.c.id,
            grade_levels.c.short_name,
            se.c.next_school,
            scope.c.next_school,
        )
        .join_from(se, scope, se.c.id == scope.c.enrollment_id)
        .join(students, students.c.student_id == se.c.student_id)
        .join(grade_levels, grade_levels.c.grade_id == scope.c.grade_id)
        .where(*keys)
        .order_by(se.c.school_id, se.c.student_id, se.c.id)
    )
    listed = first_rows(conn, query, max_listed)
    updated = conn.execute(
        sa.update(se).where(*keys).values(next_school=scope.c.next_school)
    ).rowcount
    scope.drop(conn)
    return NextSchoolChanges(
        catalog_year, checked, matched, no_school, not_offered, updated, listed
    )


def _report(changes: NextSchoolChanges, syear: int, today: dt.date, cap: int) -> JobResult:
    scope = (
        f"school year {syear}, active on {today:%Y-%m-%d}, Address Catalog of "
        f"{changes.catalog_year}"
    )
    unmatched = changes.checked - changes.matched
    tally = (
        f"Checked {changes.checked} active enrollment record(s): {unmatched} matched no "
        f"Address Catalog record, {changes.no_school} only records without a zoned school, "
        f"{changes.not_offered} a school without the grade rolled into"
    )
    if changes.updated == 0:
        summary = f"{tally} ({scope}); every next school was already set, nothing changed."
    else:
        summary = f"{tally}; set the next school of {changes.updated} ({scope})."
    lines = [summary]
    rows = []
    for student, last, first, school, enrollment, grade, old, new in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, enrollment, grade, old, new))
        lines.append(
            f"  student {student} ({name}), school {school} (enrollment {enrollment}): "
            f"next school {old or '-'} -> {new} (grade {grade})"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Enrollment", "Next grade", "Next school before", "After"),
        rows,
        total=changes.updated,
        cap=cap,
        counts={
            "checked": changes.checked,
            "unmatched": unmatched,
            "no_zoned_school": changes.no_school,
            "grade_not_offered": changes.not_offered,
            "updated": changes.updated,
        },
    )
