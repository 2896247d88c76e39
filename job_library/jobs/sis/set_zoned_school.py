"""Set Zoned School: zoned school and district on active enrollments, from the Address Catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear


def _same(column: str) -> str:
    """Catalog and parsed address agree on ``column``: case and spaces ignored, NULL = ''."""
    return f"UPPER(TRIM(COALESCE(ac.{column}, ''))) = UPPER(TRIM(COALESCE(p.{column}, '')))"


# Per enrollment of the scope table, the Address Catalog row its student's address falls in
# for the scope's grade: the student's address is their first parsed address (lowest id);
# street, directions and type must agree, the zipcode on its first five characters, the house
# number within the segment and of its parity, the grade within the row's grade range. Rows
# with a zoned school win over blank ones, then the narrowest house range, then the lowest id.
_MATCHES = f"""
INSERT INTO {{temp}} (enrollment_id, catalog_id, zoned_school_id, zoned_district)
SELECT r.enrollment_id, r.catalog_id, r.zoned_school_id, r.zoned_district
FROM (
    SELECT sc.enrollment_id AS enrollment_id,
           ac.catalog_id AS catalog_id,
           ac.zoned_school_id AS zoned_school_id,
           COALESCE(NULLIF(TRIM(ac.zoned_district), ''), zs.district_number) AS zoned_district,
           ROW_NUMBER() OVER (
               PARTITION BY sc.enrollment_id
               ORDER BY CASE WHEN ac.zoned_school_id IS NULL THEN 1 ELSE 0 END,
                        ac.house_number_high - ac.house_number_low,
                        ac.catalog_id) AS rn
    FROM {{scope}} sc
    JOIN grade_levels g ON g.grade_id = sc.grade_id
    JOIN address_parsed p ON p.address_id = (
        SELECT MIN(p1.address_id)
        FROM address_parsed p1
        JOIN student_addresses a1 ON a1.address_id = p1.address_id
        WHERE a1.student_id = sc.student_id)
    JOIN address_catalog ac
      ON ac.syear = :catalog_year
     AND {_same("street_name")}
     AND {_same("pre_direction")}
     AND {_same("street_type")}
     AND {_same("post_direction")}
     AND SUBSTR(TRIM(ac.zipcode), 1, 5) = SUBSTR(TRIM(COALESCE(p.zipcode, '')), 1, 5)
     AND p.house_number BETWEEN ac.house_number_low AND ac.house_number_high
     AND (ac.parity = 'both'
          OR (ac.parity = 'odd' AND p.house_number % 2 = 1)
          OR (ac.parity = 'even' AND p.house_number % 2 = 0))
    JOIN grade_levels lo ON lo.grade_id = ac.low_grade_id
    JOIN grade_levels hi ON hi.grade_id = ac.high_grade_id
    LEFT JOIN schools zs ON zs.school_id = ac.zoned_school_id
    WHERE g.sort_order BETWEEN lo.sort_order AND hi.sort_order
) r
WHERE r.rn = 1
"""

# Active enrollments of the year: not ended before today (future records included).
ACTIVE = "e.syear = :syear AND (e.end_date IS NULL OR e.end_date >= :today)"


def match_catalog(conn: sa.Connection, scope: sa.Table, catalog_year: int) -> sa.Table:
    """A temporary table of the catalog row matched per enrollment of ``scope`` (columns
    enrollment_id, student_id, grade_id: the grade to zone for) in ``catalog_year``."""
    from job_library.sis_sql import analyze, scratch_table

    temp = scratch_table(
        conn,
        "tmp_zoning_matches",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            sa.Column("catalog_id", sa.Integer, nullable=False),
            sa.Column("zoned_school_id", sa.Integer),
            sa.Column("zoned_district", sa.String(10)),
        ],
    )
    conn.execute(
        sa.text(_MATCHES.format(temp=temp.name, scope=scope.name)), {"catalog_year": catalog_year}
    )
    analyze(conn, temp)
    return temp


def resolve_grades(conn: sa.Connection, names: Sequence[str]) -> dict[str, dict] | str:
    """The grade levels named by short name, {name: row mapping}, or an error naming the
    unknown ones."""
    from job_library.schemas.district import grade_levels

    wanted = sorted(set(names))
    g = grade_levels
    rows = {
        r.short_name: dict(r._mapping)
        for r in conn.execute(sa.select(g).where(g.c.short_name.in_(wanted)))
    }
    unknown = [n for n in wanted if n not in rows]
    if unknown:
        return f"grades {unknown}: no grade level with that short name; pick from Grade Levels."
    return rows


class SetZonedSchoolParams(BaseModel):
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
        description="Short names of grade levels marked Used for Zoning; leave empty for "
        "every such grade.",
    )
    clear_unmatched: bool = Field(
        default=False,
        title="Clear when the address matches no catalog record",
        description="Blank the zoned school and district of records whose address matches "
        "nothing (off: they keep their values).",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed enrollments listed in the output"
    )


@dataclass(frozen=True)
class ZoningChanges:
    """What a run changed, with the first changed records for the output."""

    checked: int
    matched: int
    updated: int
    listed: list[tuple]


class SetZonedSchool(Job):
    key = "set_zoned_school"
    title = "Set Zoned School"
    description = (
        "Writes the zoned school and zoned district of each active enrollment record, looked up "
        "from the student's address in the Address Catalog (which the district must have loaded). "
        "The next school that Rollover uses is left alone: that is Set Next School's work. Rules: "
        "active records are the school year's "
        "enrollments (primary and second school) not ended before today, in grade levels "
        "marked Used for Zoning. The student's address is their first parsed address (run "
        "Parse Addresses first). It matches an Address Catalog record of the same school year "
        "when street name, pre/post direction, street type (case and spaces ignored) and the "
        "5-digit zipcode agree, the house number is within the record's range and of its "
        "parity (odd/even/both), and the enrollment's grade is within the record's grade "
        "range. A record with a zoned school wins over one without; then the narrowest house "
        "range. The zoned district is the record's, else its zoned school's district number; "
        "a matching record with no zoned school (an out-of-zone address) sets the district "
        "and blanks the school. A record whose address matches nothing keeps its values "
        "unless 'Clear when the address matches no catalog record' is on."
    )
    module = "SIS"
    params_model = SetZonedSchoolParams

    def run(self, context: JobContext, params: SetZonedSchoolParams) -> JobResult:
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
            not_zoning = [n for n, g in grades.items() if not g["used_for_zoning"]]
            if not_zoning:
                return JobResult.message(
                    False,
                    f"grades {not_zoning}: not marked Used for Zoning; mark them in Setup > "
                    "Grade Levels or leave them out. Nothing was changed.",
                )
            grade_ids = sorted(g["grade_id"] for g in grades.values())
        today = context.now().date()
        changes = set_zoned_schools(
            conn,
            syear=syear,
            school_ids=school_ids,
            grade_ids=grade_ids,
            today=today,
            clear_unmatched=params.clear_unmatched,
            max_listed=params.max_listed,
        )
        return _report(changes, syear, today, params.max_listed)


def set_zoned_schools(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    grade_ids: Sequence[int] | None,
    today: dt.date,
    clear_unmatched: bool,
    max_listed: int,
) -> ZoningChanges:
    """Write the catalog's zoned school and district on every active enrollment in scope."""
    from job_library.schemas.enrollment import student_enrollment, students
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    scope = scratch_table(
        conn,
        "tmp_zoned_scope",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("grade_id", sa.Integer, nullable=False),
            sa.Column("matched", sa.Integer, nullable=False, server_default="0"),
            sa.Column("zoned_school_id", sa.Integer),
            sa.Column("zoned_district", sa.String(10)),
        ],
    )
    sql = (
        f"INSERT INTO {scope.name} (enrollment_id, student_id, grade_id) "
        "SELECT e.id, e.student_id, e.grade_id FROM student_enrollment e "
        "JOIN grade_levels g ON g.grade_id = e.grade_id "
        f"WHERE {ACTIVE} AND g.used_for_zoning = TRUE "
        f"{in_list('e.school_id', 'school_ids', school_ids)} "
        f"{in_list('e.grade_id', 'grade_ids', grade_ids)}"
    )
    clause = bind_lists(
        sa.text(sql).bindparams(sa.bindparam("today", type_=sa.Date)),
        school_ids=school_ids,
        grade_ids=grade_ids,
    )
    conn.execute(clause, {"syear": syear, "today": today})
    analyze(conn, scope)
    matches = match_catalog(conn, scope, syear)
    conn.execute(
        sa.update(scope)
        .where(scope.c.enrollment_id == matches.c.enrollment_id)
        .values(
            matched=1,
            zoned_school_id=matches.c.zoned_school_id,
            zoned_district=matches.c.zoned_district,
        )
    )
    checked = conn.execute(sa.select(sa.func.count()).select_from(scope)).scalar_one()
    matched = conn.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one()
    se = student_enrollment
    differs = sa.or_(
        se.c.zoned_school_id.is_distinct_from(scope.c.zoned_school_id),
        se.c.zoned_district.is_distinct_from(scope.c.zoned_district),
    )
    keys = [se.c.id == scope.c.enrollment_id, differs]
    if not clear_unmatched:
        keys.append(scope.c.matched == 1)
    query = (
        sa.select(
            se.c.student_id,
            students.c.last_name,
            students.c.first_name,
            se.c.school_id,
            se.c.id,
            se.c.zoned_school_id,
            scope.c.zoned_school_id,
            se.c.zoned_district,
            scope.c.zoned_district,
        )
        .join(students, students.c.student_id == se.c.student_id)
        .where(*keys)
        .order_by(se.c.school_id, se.c.student_id, se.c.id)
    )
    listed = first_rows(conn, query, max_listed)
    updated = conn.execute(
        sa.update(se)
        .where(*keys)
        .values(zoned_school_id=scope.c.zoned_school_id, zoned_district=scope.c.zoned_district)
    ).rowcount
    matches.drop(conn)
    scope.drop(conn)
    return ZoningChanges(checked, matched, updated, listed)


def _report(changes: ZoningChanges, syear: int, today: dt.date, cap: int) -> JobResult:
    scope = f"school year {syear}, active on {today:%Y-%m-%d}"
    unmatched = changes.checked - changes.matched
    tally = (
        f"{changes.matched} of {changes.checked} active enrollment record(s) matched the "
        f"Address Catalog, {unmatched} did not"
    )
    if changes.updated == 0:
        summary = f"{tally} ({scope}); every zoned school was already set, nothing changed."
    else:
        summary = f"{tally}; updated the zoned school/district of {changes.updated} ({scope})."
    lines = [summary]
    rows = []
    for student, last, first, school, enrollment, old_s, new_s, old_d, new_d in changes.listed:
        name = f"{last}, {first}"
        before = f"{old_s or '-'}/{old_d or '-'}"
        after = f"{new_s or '-'}/{new_d or '-'}"
        rows.append((student, name, school, enrollment, before, after))
        lines.append(
            f"  student {student} ({name}), school {school} (enrollment {enrollment}): "
            f"zoned school/district {before} -> {after}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Enrollment", "Zoned school/district before", "After"),
        rows,
        total=changes.updated,
        cap=cap,
        counts={
            "checked": changes.checked,
            "matched": changes.matched,
            "unmatched": unmatched,
            "updated": changes.updated,
        },
    )
