"""Synchronize Schedule of Services (SSS): the ESE tab's time and environment fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# The Student Fields of the ESE tab the job writes (aliases).
WITH_NON_DISABLED = "ese_time_with_non_disabled"
TOTAL_WEEK = "ese_time_total_week"
ENVIRONMENT = "idea_educational_environment"
FIELDS = (WITH_NON_DISABLED, TOTAL_WEEK, ENVIRONMENT)

# Each student's current Schedule of Services: from the locked IEP event with the latest
# services start date on or before the run day that has one (then the newest form).
_CURRENT = """
INSERT INTO {temp} (student_id, form_id, with_nd, total, environment)
SELECT x.student_id, x.form_id, x.with_nd, x.total, x.environment
FROM (
  SELECT e.student_id, s.form_id, s.minutes_with_non_disabled AS with_nd,
         s.minutes_total_week AS total, UPPER(TRIM(s.idea_environment)) AS environment,
         ROW_NUMBER() OVER (PARTITION BY e.student_id
                            ORDER BY e.services_start_date DESC, e.event_id DESC,
                                     s.form_id DESC) AS rn
  FROM sss_schedule_of_services s
  JOIN sss_events e ON e.event_id = s.event_id
  WHERE e.event_type = 'IEP' AND e.locked = TRUE AND e.services_start_date <= :today
) x WHERE x.rn = 1
"""

_REASON = """
UPDATE {temp} SET reason = CASE
  WHEN total IS NULL OR total <= 0
    THEN 'the total student week is not a number of minutes above 0'
  WHEN with_nd IS NULL OR with_nd < 0
    THEN 'the time with non-disabled peers is not a number of minutes of 0 or more'
  WHEN with_nd > total
    THEN 'the time with non-disabled peers (' || CAST(with_nd AS VARCHAR(10))
         || ') is longer than the whole week (' || CAST(total AS VARCHAR(10)) || ')'
  WHEN environment IS NULL OR environment = ''
    THEN 'the IDEA educational environment is blank'
END
"""

_LISTING = """
SELECT t.student_id, st.last_name, st.first_name, t.form_id,
       v1.value, t.with_nd, v2.value, t.total, v3.value, t.environment, t.reason
FROM {temp} t
JOIN students st ON st.student_id = t.student_id
LEFT JOIN custom_field_values v1 ON v1.field_id = :f1 AND v1.record_id = t.student_id
LEFT JOIN custom_field_values v2 ON v2.field_id = :f2 AND v2.record_id = t.student_id
LEFT JOIN custom_field_values v3 ON v3.field_id = :f3 AND v3.record_id = t.student_id
WHERE {where}
"""


class SynchronizeScheduleOfServicesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Students listed")


@dataclass(frozen=True)
class SyncChanges:
    """What a run found and wrote, with the first changed or rejected students."""

    students: int
    changed: int
    rejected: int
    listed: list[tuple]


class SynchronizeScheduleOfServices(Job):
    key = "synchronize_schedule_of_services"
    title = "Synchronize Schedule of Services"
    description = (
        "Keeps three Student Fields of the ESE tab in step with each student's Schedule of "
        "Services in SSS: Time, With Non-Disabled (alias ese_time_with_non_disabled), "
        "Time, Total Student Week (ese_time_total_week), both in minutes, and IDEA "
        "Educational Environment (idea_educational_environment). Rules: a student's current "
        "Schedule of Services is the one of the locked IEP event with the latest services "
        "start date on or before the run day (drafts and IEPs whose services have not "
        "begun are ignored; ties go to the newest event, then form). A form with no total "
        "week above 0 minutes, a negative or missing time with non-disabled peers, more "
        "time with them than the whole week, or a blank environment is listed with the "
        "reason and leaves the student's fields as they are. Students without a locked IEP "
        "are not touched; values already equal are not counted."
    )
    module = "SSS"
    needs_add_ons = frozenset({AddOn.SSS})
    params_model = SynchronizeScheduleOfServicesParams

    def run(self, context: JobContext, params: SynchronizeScheduleOfServicesParams) -> JobResult:
        from job_library.student_fields import StudentFieldError

        fields = context.student_fields
        try:
            ids = [fields.field(alias).field_id for alias in FIELDS]
        except StudentFieldError as exc:
            return JobResult.message(
                False,
                f"{exc} (Students > Student Fields; the job writes {', '.join(FIELDS)}). "
                "Nothing was changed.",
            )
        today = context.now().date()
        changes = synchronize(context.connection, fields, ids, today, params.max_listed)
        return _report(changes, today, params.max_listed)


def synchronize(conn: sa.Connection, fields, ids: list[int], today: dt.date, cap: int):
    """Write each valid current Schedule of Services into the three Student Fields."""
    from job_library.sis_sql import analyze, differs_sql, scratch_table

    temp = scratch_table(
        conn,
        "tmp_sos_sync",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("form_id", sa.Integer, nullable=False),
            sa.Column("with_nd", sa.Integer),
            sa.Column("total", sa.Integer),
            sa.Column("environment", sa.String(2)),
            sa.Column("reason", sa.String(200)),
        ],
    )
    conn.execute(
        sa.text(_CURRENT.format(temp=temp.name)).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": today},
    )
    conn.execute(sa.text(_REASON.format(temp=temp.name)))
    analyze(conn, temp)
    differs = " OR ".join(
        (
            differs_sql(conn, "v1.value", "CAST(t.with_nd AS VARCHAR(10))"),
            differs_sql(conn, "v2.value", "CAST(t.total AS VARCHAR(10))"),
            differs_sql(conn, "v3.value", "t.environment"),
        )
    )
    binds = {"f1": ids[0], "f2": ids[1], "f3": ids[2]}
    changed_where = f"t.reason IS NULL AND ({differs})"
    listed = (
        [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    _LISTING.format(temp=temp.name, where=f"t.reason IS NOT NULL OR ({differs})")
                    + f" ORDER BY t.student_id LIMIT {int(cap)}"
                ),
                binds,
            )
        ]
        if cap
        else []
    )
    changed = conn.execute(
        sa.text(f"SELECT COUNT(*) FROM ({_LISTING.format(temp=temp.name, where=changed_where)}) c"),
        binds,
    ).scalar_one()
    students = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    rejected = conn.execute(
        sa.select(sa.func.count()).select_from(temp).where(temp.c.reason.is_not(None))
    ).scalar_one()
    valid = temp.c.reason.is_(None)
    text = sa.String(10)
    for alias, column in zip(
        FIELDS, (temp.c.with_nd, temp.c.total, temp.c.environment), strict=True
    ):
        fields.write_from(alias, sa.select(temp.c.student_id, sa.cast(column, text)).where(valid))
    temp.drop(conn)
    return SyncChanges(students, changed, rejected, listed)


def _report(changes: SyncChanges, today: dt.date, cap: int) -> JobResult:
    tally = (
        f"{changes.students} student(s) have a current Schedule of Services "
        f"(locked IEPs, services begun by {today:%Y-%m-%d})"
    )
    if changes.changed == 0:
        summary = f"{tally}; the ESE tab already matched, nothing changed"
    else:
        summary = f"{tally}; updated the ESE tab fields of {changes.changed}"
    summary += f", {changes.rejected} rejected." if changes.rejected else "."
    lines = [summary]
    rows = []
    for student, last, first, form, *values, reason in changes.listed:
        old_nd, nd, old_total, total, old_env, env = values
        name = f"{last}, {first}"
        outcome = f"not synchronized: {reason}" if reason else "updated"
        rows.append((student, name, form, old_nd, nd, old_total, total, old_env, env, outcome))
        lines.append(
            f"  student {student} ({name}), form {form}: with non-disabled {old_nd or '-'} -> "
            f"{_shown(nd)}, total week {old_total or '-'} -> {_shown(total)}, environment "
            f"{old_env or '-'} -> {env or '-'}: {outcome}"
        )
    return listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "Form",
            "With non-disabled before",
            "After",
            "Total week before",
            "After",
            "Environment before",
            "After",
            "Outcome",
        ),
        rows,
        total=changes.changed + changes.rejected,
        cap=cap,
        counts={
            "students": changes.students,
            "updated": changes.changed,
            "rejected": changes.rejected,
        },
    )


def _shown(value) -> str:
    return "-" if value is None else str(value)
