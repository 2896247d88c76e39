"""Online Course Req. Populate Student Field (SIS): No, Yes or Exempt into a Student Field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

DEFAULT_GRADES = ("09", "10", "11", "12")
WAIVER = "online_course"  # graduation_waivers.requirement of the online course requirement

# Yes beats Exempt: a completed online course meets the requirement whatever the waiver.
_VALUES = """
INSERT INTO {temp} (student_id, old_value, new_value)
SELECT s.student_id, v.value,
  CASE
    WHEN EXISTS (SELECT 1 FROM course_history h
                 WHERE h.student_id = s.student_id AND h.online = TRUE
                   AND h.credits_earned > 0) THEN 'Yes'
    WHEN EXISTS (SELECT 1 FROM graduation_waivers w
                 WHERE w.student_id = s.student_id AND w.requirement = :waiver
                   AND w.granted_on <= :today) THEN 'Exempt'
    ELSE 'No'
  END
FROM (
  SELECT DISTINCT e.student_id
  FROM student_enrollment e
  JOIN grade_levels g ON g.grade_id = e.grade_id
  JOIN school_years y ON y.syear = e.syear AND y.is_default = TRUE
  WHERE e.second_school = FALSE AND e.start_date <= :today
    AND (e.end_date IS NULL OR e.end_date >= :today)
    AND g.short_name IN :grades
) s
LEFT JOIN custom_field_values v ON v.field_id = :field_id AND v.record_id = s.student_id
"""


class OnlineCourseReqParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        default="online_course_req",
        min_length=1,
        title="Student Field",
        description="Alias (or custom_<number>) of the text Student Field that gets the value.",
    )
    grades: list[str] = Field(
        default_factory=list,
        title="Grades",
        description="Short names of the grade levels; leave empty for 09 to 12.",
        json_schema_extra={"x-focus-lookup": "grade_levels"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed students listed")


@dataclass(frozen=True)
class FieldChanges:
    """What a run wrote, with the first changed students and the number of each value."""

    students: int
    changed: int
    values: dict[str, int]
    listed: list[tuple]


class OnlineCourseReqPopulateStudentField(Job):
    key = "online_course_req_populate_student_field"
    title = "Online Course Req. Populate Student Field"
    description = (
        "Writes each high school student's standing on the online course graduation "
        "requirement (the value report cards and the graduation requirements report show) "
        "into a text Student Field, so that it can be searched, exported and reported. "
        "Rules: Yes when the student's course history, in any year and at any school, holds "
        "an online course with credits earned above zero; otherwise Exempt when the student "
        "has an online course waiver granted on or before the run day; otherwise No. The "
        "students are those with a primary enrollment of the default school year active on "
        "the run day in the chosen grade levels (09 through 12 when none are chosen); other "
        "students' values are left as they are. The field must exist in the field catalog "
        "as a text field, or the run fails saying so and writes nothing."
    )
    module = "SIS"
    params_model = OnlineCourseReqParams

    def run(self, context: JobContext, params: OnlineCourseReqParams) -> JobResult:
        from job_library.student_fields import FieldType, StudentFieldError

        conn = context.connection
        fields = context.student_fields
        try:
            field = fields.field(params.field)
        except StudentFieldError as exc:
            return JobResult.message(False, f"{exc}. No student was updated.")
        if field.type is not FieldType.TEXT:
            return JobResult.message(
                False,
                f"student field {field.alias} ({field.column}) is a {field.type} field and "
                "cannot hold No, Yes or Exempt; pick a text field. No student was updated.",
            )
        grades = sorted(set(params.grades)) or list(DEFAULT_GRADES)
        known = set(conn.execute(sa.text("SELECT short_name FROM grade_levels")).scalars())
        unknown = [g for g in grades if g not in known]
        if unknown:
            return JobResult.message(
                False,
                f"grades {unknown}: no such grade level; pick short names from Grade Levels. "
                "No student was updated.",
            )
        changes = populate(
            conn,
            fields,
            field.field_id,
            field.alias,
            grades,
            context.now().date(),
            params.max_listed,
        )
        return _report(changes, field.alias, params)


def populate(
    conn: sa.Connection,
    fields,
    field_id: int,
    alias: str,
    grades: list[str],
    today: dt.date,
    cap: int,
) -> FieldChanges:
    """Work out every in-scope student's value and write the ones that differ."""
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, bind_lists, differs_sql, first_rows, scratch_table

    temp = scratch_table(
        conn,
        "tmp_online_course_req",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("old_value", sa.Text),
            sa.Column("new_value", sa.String(10)),
        ],
    )
    conn.execute(
        bind_lists(sa.text(_VALUES.format(temp=temp.name)), grades=grades),
        {"today": today, "waiver": WAIVER, "field_id": field_id},
    )
    analyze(conn, temp)
    differs = sa.text(differs_sql(conn, "old_value", "new_value"))
    st = students
    listed = first_rows(
        conn,
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.old_value,
            temp.c.new_value,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .where(differs)
        .order_by(temp.c.student_id),
        cap,
    )
    values = dict(
        conn.execute(sa.select(temp.c.new_value, sa.func.count()).group_by(temp.c.new_value)).all()
    )
    changed = fields.write_from(
        alias, sa.select(temp.c.student_id, temp.c.new_value).where(differs)
    )
    total = sum(values.values())
    temp.drop(conn)
    return FieldChanges(total, changed, values, listed)


def _report(changes: FieldChanges, alias: str, params: OnlineCourseReqParams) -> JobResult:
    tally = ", ".join(f"{changes.values.get(v, 0)} {v}" for v in ("Yes", "Exempt", "No"))
    if changes.changed == 0:
        summary = (
            f"{alias} of all {changes.students} student(s) was already right ({tally}); "
            "nothing changed."
        )
    else:
        summary = f"Set {alias} of {changes.changed} of {changes.students} student(s) ({tally})."
    lines = [summary]
    rows = []
    for student, last, first, old, new in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, old, new))
        lines.append(f"  student {student} ({name}): {old or '-'} -> {new}")
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Before", "After"),
        rows,
        total=changes.changed,
        cap=params.max_listed,
        counts={
            "students": changes.students,
            "changed": changes.changed,
            "yes": changes.values.get("Yes", 0),
            "exempt": changes.values.get("Exempt", 0),
            "no": changes.values.get("No", 0),
        },
    )
