"""Create Detentions from Tardies: a detention per tardy threshold a student reaches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# Each period marked with a tardy code is one tardy, numbered per student and school in
# date and period order; a threshold of N tardies is reached by the Nth one, whose date
# becomes the detention's incident date. A detention already made for the threshold (served
# or not) is never made again.
_DUE = """
INSERT INTO {temp} (student_id, school_id, syear, threshold_id, incident_date, minutes,
                    reason, tardies)
SELECT r.student_id, r.school_id, r.syear, t.threshold_id, r.school_date,
       t.detention_minutes, t.title, t.tardies
FROM (
    SELECT ap.student_id AS student_id,
           p.school_id AS school_id,
           p.syear AS syear,
           ap.school_date AS school_date,
           ROW_NUMBER() OVER (
               PARTITION BY ap.student_id, p.school_id, p.syear
               ORDER BY ap.school_date, p.sort_order, p.period_id
           ) AS n
    FROM attendance_period ap
    JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
    JOIN school_periods p ON p.period_id = ap.period_id
    WHERE ac.category = 'tardy'
      AND p.syear = :syear
      AND ap.school_date <= :through
      {school_filter}
) r
JOIN tardy_thresholds t
  ON t.school_id = r.school_id AND t.syear = r.syear AND t.tardies = r.n
WHERE NOT EXISTS (
    SELECT 1 FROM detentions x
    WHERE x.student_id = r.student_id AND x.threshold_id = t.threshold_id
)
"""


class DetentionsFromTardiesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to review; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="New detentions listed in the output"
    )


@dataclass(frozen=True)
class NewDetentions:
    """What a run added, with the first new detentions for the output."""

    thresholds: int
    added: int
    listed: list[tuple]


class CreateDetentionsFromTardies(Job):
    key = "create_detentions_from_tardies"
    title = "Create Detentions from Tardies"
    description = (
        "For districts that track tardies: counts each student's tardies against the school's "
        "tardy thresholds and puts a detention on the Detention List for each threshold reached. "
        "Rules: every period "
        "marked with a tardy-category attendance code in the school year, today included, "
        "is one tardy (two tardy periods on one day are two tardies), counted per student "
        "and school. When a student's count reaches a threshold of the school (3, 6, 9 ... "
        "tardies), one detention is added with the threshold's minutes and title, dated the "
        "day of the tardy that reached it. Each threshold gives a student at most one "
        "detention in the year, served or not, so a student who jumps past two thresholds "
        "gets both. Detentions already on the list are never changed or removed, even if a "
        "tardy is later corrected."
    )
    module = "SIS"
    school_days_only_default = True
    params_model = DetentionsFromTardiesParams

    def run(self, context: JobContext, params: DetentionsFromTardiesParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No detention was added.")
        syear, school_ids = resolved
        through = context.now().date()
        changes = add_detentions(conn, syear, school_ids, through, params.max_listed)
        return _report(changes, syear, school_ids, through, params.max_listed)


def add_detentions(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    max_listed: int,
) -> NewDetentions:
    """Add the detentions due for tardies of ``syear`` through ``through``."""
    from job_library.schemas.discipline import detentions, tardy_thresholds
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    dt_ = detentions
    temp = scratch_table(
        conn,
        "tmp_tardy_detentions",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("threshold_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("syear", sa.Integer, nullable=False),
            sa.Column("incident_date", sa.Date, nullable=False),
            sa.Column("minutes", sa.Integer, nullable=False),
            sa.Column("reason", dt_.c.reason.type, nullable=False),
            sa.Column("tardies", sa.Integer, nullable=False),
        ],
    )
    school_filter = in_list("p.school_id", "school_ids", school_ids)
    clause = sa.text(_DUE.format(temp=temp.name, school_filter=school_filter)).bindparams(
        sa.bindparam("through", type_=sa.Date)
    )
    clause = bind_lists(clause, school_ids=school_ids)
    conn.execute(clause, {"syear": syear, "through": through})
    analyze(conn, temp)
    tt = tardy_thresholds
    count = sa.select(sa.func.count()).select_from(tt).where(tt.c.syear == syear)
    if school_ids is not None:
        count = count.where(tt.c.school_id.in_(school_ids))
    thresholds = conn.execute(count).scalar_one()
    st = students
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.school_id,
            temp.c.tardies,
            temp.c.incident_date,
            temp.c.minutes,
            temp.c.reason,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.school_id, temp.c.student_id, temp.c.tardies)
    )
    listed = first_rows(conn, query, max_listed)
    columns = ["student_id", "school_id", "syear", "threshold_id", "incident_date", "minutes"]
    added = conn.execute(
        sa.insert(dt_).from_select(
            [*columns, "reason"],
            sa.select(*(temp.c[c] for c in columns), temp.c.reason),
        )
    ).rowcount
    temp.drop(conn)
    return NewDetentions(thresholds, added, listed)


def _report(
    changes: NewDetentions,
    syear: int,
    school_ids: Sequence[int] | None,
    through: dt.date,
    cap: int,
) -> JobResult:
    where = "every school" if school_ids is None else f"school(s) {', '.join(map(str, school_ids))}"
    scope = f"{where}, school year {syear}, tardies through {through:%Y-%m-%d}"
    if changes.added == 0:
        summary = (
            f"Reviewed tardies against {changes.thresholds} tardy threshold(s) ({scope}); no "
            "new threshold was reached, nothing changed."
        )
    else:
        summary = (
            f"Added {changes.added} detention(s) from {changes.thresholds} tardy threshold(s) "
            f"({scope})."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, tardies, day, minutes, reason in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, tardies, day, minutes, reason))
        lines.append(
            f"  student {student} ({name}), school {school}: {tardies} tardies reached on "
            f"{day:%Y-%m-%d}, {minutes}-minute detention ({reason})"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "School", "Tardies", "Incident date", "Minutes", "Threshold"),
        rows,
        total=changes.added,
        cap=cap,
        counts={"thresholds": changes.thresholds, "added": changes.added},
    )
