"""Retitle Sections: section titles rebuilt from their period, short name and teacher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# A section's title as Focus builds it when a section is saved: period, section short name
# and teacher ("P2 - 02 - Jones, Bo"); a section without a teacher ends at its short name.
# Cut at the column's 200 characters.
_TITLES = """
INSERT INTO {temp} (course_period_id, title)
SELECT cp.course_period_id,
       SUBSTR(TRIM(p.short_name) || ' - ' || TRIM(cp.short_name)
              || COALESCE(' - ' || TRIM(st.last_name) || ', ' || TRIM(st.first_name), ''),
              1, 200)
FROM course_periods cp
JOIN school_periods p ON p.period_id = cp.period_id
LEFT JOIN staff st ON st.staff_id = cp.teacher_id
WHERE cp.syear = :syear {school_filter}
"""


class RetitleSectionsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose sections to retitle; leave empty for every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Renamed sections listed")


@dataclass(frozen=True)
class Retitled:
    """What a run renamed, with the first renamed sections for the output."""

    checked: int
    renamed: int
    listed: list[tuple]


class RetitleSections(Job):
    key = "retitle_sections"
    title = "Retitle Sections"
    description = (
        "Brings section titles back in line after sections were edited with Run Query. Rules: "
        "every section "
        "(course period) of the school year gets the title Focus gives a section when it is "
        "saved: its period's short name, the section's short name and its teacher as "
        "'Last, First', joined by ' - ' (for example 'P2 - 02 - Jones, Bo'); a section "
        "without a teacher ends at its short name (titles are cut at 200 characters). Only "
        "sections whose title differs are written, so a change made with Run Query to a "
        "section's period, short name or teacher shows in its title after the next run."
    )
    module = "SIS"
    params_model = RetitleSectionsParams

    def run(self, context: JobContext, params: RetitleSectionsParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No section was renamed.")
        syear, school_ids = resolved
        changes = retitle(conn, syear=syear, school_ids=school_ids, max_listed=params.max_listed)
        return _report(changes, syear, params.max_listed)


def retitle(
    conn: sa.Connection, *, syear: int, school_ids: Sequence[int] | None, max_listed: int
) -> Retitled:
    """Give every section of ``syear`` (at ``school_ids``, or all) its built title."""
    from job_library.schemas.scheduling import course_periods, courses
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_section_titles",
        [
            sa.Column("course_period_id", sa.Integer, primary_key=True),
            sa.Column("title", sa.String(200), nullable=False),
        ],
    )
    sql = _TITLES.format(
        temp=temp.name, school_filter=in_list("cp.school_id", "school_ids", school_ids)
    )
    conn.execute(bind_lists(sa.text(sql), school_ids=school_ids), {"syear": syear})
    analyze(conn, temp)
    cp = course_periods
    keys = [cp.c.course_period_id == temp.c.course_period_id, cp.c.title != temp.c.title]
    query = (
        sa.select(cp.c.school_id, courses.c.title, cp.c.course_period_id, cp.c.title, temp.c.title)
        .join_from(cp, temp, keys[0])
        .join(courses, courses.c.course_id == cp.c.course_id)
        .where(keys[1])
        .order_by(cp.c.school_id, cp.c.course_period_id)
    )
    listed = first_rows(conn, query, max_listed)
    renamed = conn.execute(sa.update(cp).where(*keys).values(title=temp.c.title)).rowcount
    checked = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    temp.drop(conn)
    return Retitled(checked, renamed, listed)


def _report(changes: Retitled, syear: int, cap: int) -> JobResult:
    if changes.renamed == 0:
        summary = (
            f"Checked {changes.checked} section(s) of school year {syear}; every title was "
            "already right, nothing changed."
        )
    else:
        summary = (
            f"Renamed {changes.renamed} of {changes.checked} section(s) of school year {syear}."
        )
    lines = [summary]
    rows = []
    for school, course, section, old, new in changes.listed:
        rows.append((school, course, section, old, new))
        lines.append(f"  school {school}, {course} (section {section}): {old!r} -> {new!r}")
    return listed_result(
        summary,
        lines,
        ("School", "Course", "Section", "Old title", "New title"),
        rows,
        total=changes.renamed,
        cap=cap,
        counts={"checked": changes.checked, "renamed": changes.renamed},
    )
