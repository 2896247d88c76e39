"""Class Size Averages (Florida): average core-class size per school and grade group."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

GRADE_GROUPS = ("PK-3", "4-8", "9-12")
# Florida's class size grade groups by grade level short name; other grades are not counted.
_GROUP_OF = """CASE
    WHEN UPPER(TRIM(g.short_name)) IN ('PK', 'KG', 'K', '00', '01', '02', '03', '1', '2', '3')
        THEN 1
    WHEN UPPER(TRIM(g.short_name)) IN ('04', '05', '06', '07', '08', '4', '5', '6', '7', '8')
        THEN 2
    WHEN UPPER(TRIM(g.short_name)) IN ('09', '10', '11', '12', '9') THEN 3
END"""

# Each core section of the year at a school in scope with its students on :as_of: students
# scheduled in it that day whose enrollment at the section's school is open that day, each
# with the grade group of that enrollment's grade. A section belongs to the grade group of
# most of its students, the lower group on a tie (the stricter cap).
_SECTIONS = f"""
INSERT INTO {{temp}} (course_period_id, school_id, grade_group, students)
SELECT z.course_period_id, z.school_id, z.grade_group, z.section_students
FROM (
    SELECT y.*, ROW_NUMBER() OVER (PARTITION BY y.course_period_id
                                   ORDER BY y.group_students DESC, y.grade_group) AS rn
    FROM (
        SELECT x.course_period_id AS course_period_id, x.school_id AS school_id,
               x.grade_group AS grade_group, COUNT(*) AS group_students,
               SUM(COUNT(*)) OVER (PARTITION BY x.course_period_id) AS section_students
        FROM (
            SELECT DISTINCT cp.course_period_id AS course_period_id,
                   cp.school_id AS school_id, sc.student_id AS student_id,
                   {_GROUP_OF} AS grade_group
            FROM course_periods cp
            JOIN courses c ON c.course_id = cp.course_id AND c.class_size_core = TRUE
            JOIN schedule sc
              ON sc.course_period_id = cp.course_period_id
             AND sc.start_date <= :as_of
             AND (sc.end_date IS NULL OR sc.end_date >= :as_of)
            JOIN student_enrollment e
              ON e.student_id = sc.student_id
             AND e.school_id = cp.school_id
             AND e.syear = cp.syear
             AND e.start_date <= :as_of
             AND (e.end_date IS NULL OR e.end_date >= :as_of)
            JOIN grade_levels g ON g.grade_id = e.grade_id
            WHERE cp.syear = :syear {{school_filter}}
        ) x
        WHERE x.grade_group IS NOT NULL
        GROUP BY x.course_period_id, x.school_id, x.grade_group
    ) y
) z
WHERE z.rn = 1
"""


class ClassSizeAveragesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_current_date: bool = Field(
        default=True,
        title="Current Date",
        description="Calculate as of the run date; uncheck to give an effective date.",
    )
    effective_date: dt.date | None = Field(
        default=None,
        title="Effective date",
        description="The date to calculate as of, when Current Date is unchecked.",
    )
    save_separate: bool = Field(
        default=False,
        title="Save Separate Records for Given Effective Date",
        description="Store the records under the effective date, apart from the run's "
        "own records (only with a given effective date).",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed records listed")

    @model_validator(mode="after")
    def _date_choice(self) -> Self:
        if self.use_current_date and self.effective_date is not None:
            raise ValueError(
                f"effective_date {self.effective_date}: given while Current Date is checked; "
                "uncheck Current Date or clear the date"
            )
        if not self.use_current_date and self.effective_date is None:
            raise ValueError(
                "effective_date: required when Current Date is unchecked; give a date or "
                "check Current Date"
            )
        if self.save_separate and self.use_current_date:
            raise ValueError(
                "save_separate: only for a given effective date; uncheck Current Date and "
                "give a date, or uncheck Save Separate Records"
            )
        return self


@dataclass(frozen=True)
class ClassSizeChanges:
    """What a run calculated and wrote, with the first changed records for the output."""

    records: int
    added: int
    updated: int
    removed: int
    listed: list[tuple]


class ClassSizeAverages(Job):
    key = "class_size_averages"
    title = "Class Size Averages"
    description = (
        "Works out average class sizes and stores them in the FLORIDA_CLASSSIZE_COUNTS table. A "
        "date may be given instead of ticking Current Date; for a given date, Save Separate "
        "Records for Given Effective Date keeps that date's results as a set of their own. Rules: "
        "the calculation is as of the run date "
        "(Current Date) or the given effective date, which must fall in the school year. It "
        "counts the school year's sections of core-curricula courses; a section's students "
        "are those scheduled in it on that date whose enrollment at the section's school is "
        "open that date, each in the grade group of that enrollment's grade (PK-3: PK, KG, "
        "01-03; 4-8; 9-12; other grades are not counted). A section belongs to the grade "
        "group of most of its students (the lower group on a tie, the stricter cap) and "
        "counts all of them; a section without students that day is left out. Per school "
        "and grade group: the sections, their students and the average (students / sections, "
        "2 decimals). The records are stored under the run date, replacing that date's "
        "records of the school (a group without sections any more is removed), so each "
        "night keeps its own dated set; with Save Separate Records they are stored under the "
        "given effective date instead, leaving the run date's records alone. Only changed "
        "records are written."
    )
    module = "Florida State Reporting"
    params_model = ClassSizeAveragesParams

    def run(self, context: JobContext, params: ClassSizeAveragesParams) -> JobResult:
        from job_library.schemas.district import school_years
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No record was written.")
        syear, school_ids = resolved
        today = context.now().date()
        as_of = params.effective_date or today
        start, end = conn.execute(
            sa.select(school_years.c.start_date, school_years.c.end_date).where(
                school_years.c.syear == syear
            )
        ).one()
        if not start <= as_of <= end:
            which = "effective date" if params.effective_date else "current date"
            return JobResult.message(
                False,
                f"{which} {as_of}: outside school year {syear} ({start} to {end}); give a "
                "date in the school year or pick its year. No record was written.",
            )
        stored = as_of if params.save_separate else today
        changes = calculate(
            conn,
            syear=syear,
            school_ids=school_ids,
            as_of=as_of,
            stored=stored,
            max_listed=params.max_listed,
        )
        return _report(changes, syear, as_of, stored, params.max_listed)


def calculate(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    as_of: dt.date,
    stored: dt.date,
    max_listed: int,
) -> ClassSizeChanges:
    """Store the class size counts as of ``as_of`` under effective date ``stored``."""
    from job_library.schemas.district import schools
    from job_library.schemas.florida import florida_classsize_counts
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    sections = scratch_table(
        conn,
        "tmp_classsize_sections",
        [
            sa.Column("course_period_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("grade_group", sa.Integer, nullable=False),
            sa.Column("students", sa.Integer, nullable=False),
        ],
    )
    sql = _SECTIONS.format(
        temp=sections.name, school_filter=in_list("cp.school_id", "school_ids", school_ids)
    )
    clause = sa.text(sql).bindparams(sa.bindparam("as_of", type_=sa.Date))
    conn.execute(bind_lists(clause, school_ids=school_ids), {"syear": syear, "as_of": as_of})
    analyze(conn, sections)
    counts = scratch_table(
        conn,
        "tmp_classsize_counts",
        [
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("grade_group", sa.String(10), primary_key=True),
            sa.Column("sections", sa.Integer, nullable=False),
            sa.Column("students", sa.Integer, nullable=False),
            sa.Column("average", sa.Numeric(6, 2), nullable=False),
        ],
    )
    group_name = sa.case(
        *((sections.c.grade_group == i + 1, name) for i, name in enumerate(GRADE_GROUPS))
    )
    conn.execute(
        sa.insert(counts).from_select(
            ["school_id", "grade_group", "sections", "students", "average"],
            sa.select(
                sections.c.school_id,
                group_name,
                sa.func.count(),
                sa.func.sum(sections.c.students),
                sa.func.round(
                    sa.cast(sa.func.sum(sections.c.students), sa.Numeric(10, 4)) / sa.func.count(),
                    2,
                ),
            ).group_by(sections.c.school_id, sections.c.grade_group),
        )
    )
    analyze(conn, counts)
    fc = florida_classsize_counts
    mine = [fc.c.syear == syear, fc.c.effective_date == stored]
    if school_ids is not None:
        mine.append(fc.c.school_id.in_(school_ids))
    same_key = sa.and_(
        fc.c.school_id == counts.c.school_id, fc.c.grade_group == counts.c.grade_group
    )
    differs = sa.or_(
        fc.c.sections != counts.c.sections,
        fc.c.students != counts.c.students,
        fc.c.average != counts.c.average,
    )
    missing = ~sa.exists().where(same_key, *mine)
    gone = sa.and_(*mine, ~sa.exists().where(same_key))
    listed: list[tuple] = []
    if max_listed:
        queries = (
            sa.select(
                counts.c.school_id,
                schools.c.title,
                counts.c.grade_group,
                sa.literal("updated"),
                fc.c.sections,
                counts.c.sections,
                fc.c.students,
                counts.c.students,
                fc.c.average,
                counts.c.average,
            )
            .join_from(counts, fc, sa.and_(same_key, *mine))
            .join(schools, schools.c.school_id == counts.c.school_id)
            .where(differs),
            sa.select(
                counts.c.school_id,
                schools.c.title,
                counts.c.grade_group,
                sa.literal("added"),
                sa.null(),
                counts.c.sections,
                sa.null(),
                counts.c.students,
                sa.null(),
                counts.c.average,
            )
            .join_from(counts, schools, schools.c.school_id == counts.c.school_id)
            .where(missing),
            sa.select(
                fc.c.school_id,
                schools.c.title,
                fc.c.grade_group,
                sa.literal("removed"),
                fc.c.sections,
                sa.null(),
                fc.c.students,
                sa.null(),
                fc.c.average,
                sa.null(),
            )
            .join_from(fc, schools, schools.c.school_id == fc.c.school_id)
            .where(gone),
        )
        for query in queries:
            listed += first_rows(conn, query, max_listed)
        order = {name: i for i, name in enumerate(GRADE_GROUPS)}
        listed = sorted(listed, key=lambda r: (r[0], order.get(r[2], 9)))[:max_listed]
    removed = conn.execute(sa.delete(fc).where(gone)).rowcount
    updated = conn.execute(
        sa.update(fc)
        .where(same_key, *mine, differs)
        .values(sections=counts.c.sections, students=counts.c.students, average=counts.c.average)
    ).rowcount
    added = conn.execute(
        sa.insert(fc).from_select(
            [
                "school_id",
                "syear",
                "effective_date",
                "grade_group",
                "sections",
                "students",
                "average",
            ],
            sa.select(
                counts.c.school_id,
                sa.literal(syear, sa.Integer),
                sa.literal(stored, sa.Date),
                counts.c.grade_group,
                counts.c.sections,
                counts.c.students,
                counts.c.average,
            ).where(missing),
        )
    ).rowcount
    records = conn.execute(sa.select(sa.func.count()).select_from(counts)).scalar_one()
    counts.drop(conn)
    sections.drop(conn)
    return ClassSizeChanges(records, added, updated, removed, listed)


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}" if not isinstance(value, int) else str(value)


def _report(
    changes: ClassSizeChanges, syear: int, as_of: dt.date, stored: dt.date, cap: int
) -> JobResult:
    scope = f"school year {syear}, as of {as_of:%Y-%m-%d}, stored under {stored:%Y-%m-%d}"
    total = changes.added + changes.updated + changes.removed
    if total == 0:
        summary = (
            f"Calculated {changes.records} school/grade group record(s) ({scope}); all were "
            "already stored, nothing changed."
        )
    else:
        summary = (
            f"Calculated {changes.records} school/grade group record(s) ({scope}); added "
            f"{changes.added}, updated {changes.updated}, removed {changes.removed}."
        )
    lines = [summary]
    rows = []
    for school, title, group, change, o_sec, n_sec, o_stu, n_stu, o_avg, n_avg in changes.listed:
        sections = f"{_num(o_sec)} -> {_num(n_sec)}"
        students = f"{_num(o_stu)} -> {_num(n_stu)}"
        average = f"{_num(o_avg)} -> {_num(n_avg)}"
        rows.append((school, title, group, change, sections, students, average))
        lines.append(
            f"  school {school} ({title}), grades {group}: {change}; sections {sections}, "
            f"students {students}, average {average}"
        )
    return listed_result(
        summary,
        lines,
        ("School", "Title", "Grade group", "Change", "Sections", "Students", "Average"),
        rows,
        total=total,
        cap=cap,
        counts={
            "records": changes.records,
            "added": changes.added,
            "updated": changes.updated,
            "removed": changes.removed,
        },
    )
