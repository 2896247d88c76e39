"""Update Cost Factor From Matrix of Services (SSS): McKay cost factor and ESE FEFP code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

WINDOW_DAYS = 30  # how far back a services start date is still taken
COST_FACTORS = ("251", "252", "253", "254", "255")
# Matrix levels 1-3 fund a basic program with ESE services (111-113); 4 and 5 their own.
FEFP_CODES = ("111", "112", "113", "254", "255")

# The newest matrix form of each student not yet pushed to the SIS, on a locked IEP event
# whose services began in the window.
_IN_WINDOW = """
FROM sss_matrix_forms f
JOIN sss_events e ON e.event_id = f.event_id
WHERE e.event_type = 'IEP' AND e.locked = TRUE AND f.pushed_at IS NULL
  AND e.services_start_date >= :first AND e.services_start_date <= :today
"""

_NEWEST = f"""
INSERT INTO {{temp}} (student_id, form_id, start_date, cost_factor, fefp_code)
SELECT x.student_id, x.form_id, x.services_start_date, x.cost_factor, x.fefp_code
FROM (
  SELECT e.student_id, f.form_id, e.services_start_date, f.cost_factor, f.fefp_code,
         ROW_NUMBER() OVER (PARTITION BY e.student_id
                            ORDER BY e.services_start_date DESC, f.form_id DESC) AS rn
  {_IN_WINDOW}
) x WHERE x.rn = 1
"""

_REASON = """
UPDATE {temp} SET reason = CASE
  WHEN cost_factor IS NULL OR cost_factor NOT IN ({factors})
    THEN 'Matrix Cost Factor ' || COALESCE(cost_factor, '(blank)') || ' is not one of 251-255'
  WHEN fefp_code IS NULL OR fefp_code NOT IN ({codes})
    THEN 'ESE FEFP code ' || COALESCE(fefp_code, '(blank)')
         || ' is not one of 111, 112, 113, 254, 255'
  WHEN cost_factor IN ('251', '252', '253') AND fefp_code NOT IN ('111', '112', '113')
    THEN 'cost factor ' || cost_factor || ' (levels 1-3) needs FEFP code 111, 112 or 113, not '
         || fefp_code
  WHEN cost_factor IN ('254', '255') AND fefp_code <> cost_factor
    THEN 'cost factor ' || cost_factor || ' needs FEFP code ' || cost_factor || ', not '
         || fefp_code
END
"""


class UpdateCostFactorParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Matrix forms listed")


@dataclass(frozen=True)
class CostFactorChanges:
    """What a run took and changed, with the first forms for the output."""

    forms: int
    rejected: int
    updated: int
    marked: int
    listed: list[tuple]


class UpdateCostFactorFromMatrix(Job):
    key = "update_cost_factor_from_matrix_of_services"
    title = "Update Cost Factor From Matrix of Services"
    description = (
        "Copies the Matrix Cost Factor of a student's Matrix of Services form into the SIS "
        "McKay field (Charter/McKay) and its ESE FEFP program into the ESE FEFP Code, once "
        "the IEP event holding the form is locked. Rules: only forms of locked IEP events "
        f"whose services start date lies between {WINDOW_DAYS} days before the run day and "
        "the run day (both included) and whose data was never pushed are taken; a later "
        "start date waits for its day, an earlier one is left alone. A student with several "
        "such forms gets the one with the latest services start date (then the newest form), "
        "and all of them count as pushed. A form whose cost factor is not 251-255, whose "
        "FEFP code is not 111, 112, 113, 254 or 255, or whose two values do not belong "
        "together (levels 1-3 fund 111-113, 254 and 255 fund themselves) is listed with the "
        "reason and stays unpushed, so the next run takes it once it is corrected."
    )
    module = "SSS"
    needs_add_ons = frozenset({AddOn.SSS})
    needs_state = "FL"  # the Matrix of Services and the FEFP are Florida's
    params_model = UpdateCostFactorParams

    def run(self, context: JobContext, params: UpdateCostFactorParams) -> JobResult:
        now = context.now()
        changes = push_matrix_forms(context.connection, now, params.max_listed)
        return _report(changes, now.date(), params.max_listed)


def push_matrix_forms(conn: sa.Connection, now: dt.datetime, max_listed: int) -> CostFactorChanges:
    """Write each valid newest matrix form to its student and mark the window's forms pushed."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.sss import sss_matrix_forms
    from job_library.sis_sql import analyze, differs_sql, first_rows, scratch_table

    today = now.date()
    window = {"first": today - dt.timedelta(days=WINDOW_DAYS), "today": today}
    dates = [sa.bindparam("first", type_=sa.Date), sa.bindparam("today", type_=sa.Date)]
    temp = scratch_table(
        conn,
        "tmp_matrix_push",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("form_id", sa.Integer, nullable=False),
            sa.Column("start_date", sa.Date, nullable=False),
            sa.Column("cost_factor", sa.String(3)),
            sa.Column("fefp_code", sa.String(3)),
            sa.Column("reason", sa.String(200)),
        ],
    )
    conn.execute(sa.text(_NEWEST.format(temp=temp.name)).bindparams(*dates), window)
    quoted = ", ".join(f"'{c}'" for c in COST_FACTORS)
    codes = ", ".join(f"'{c}'" for c in FEFP_CODES)
    conn.execute(sa.text(_REASON.format(temp=temp.name, factors=quoted, codes=codes)))
    analyze(conn, temp)
    st = students
    differs = sa.or_(
        sa.text(differs_sql(conn, "students.ese_code", f"{temp.name}.fefp_code")),
        sa.text(differs_sql(conn, "students.charter_mckay", f"{temp.name}.cost_factor")),
    )
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.form_id,
            temp.c.start_date,
            st.c.charter_mckay,
            temp.c.cost_factor,
            st.c.ese_code,
            temp.c.fefp_code,
            temp.c.reason,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.student_id)
    )
    listed = first_rows(conn, query, max_listed)
    forms = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    rejected = conn.execute(
        sa.select(sa.func.count()).select_from(temp).where(temp.c.reason.is_not(None))
    ).scalar_one()
    valid = sa.select(temp.c.student_id).where(temp.c.reason.is_(None))
    mine = temp.c.student_id == st.c.student_id
    updated = conn.execute(
        sa.update(st)
        .where(
            st.c.student_id.in_(valid),
            sa.exists().where(temp.c.student_id == st.c.student_id, differs),
        )
        .values(
            ese_code=sa.select(temp.c.fefp_code).where(mine).scalar_subquery(),
            charter_mckay=sa.select(temp.c.cost_factor).where(mine).scalar_subquery(),
        )
    ).rowcount
    window_forms = sa.text(
        f"SELECT f.form_id {_IN_WINDOW} AND e.student_id IN "
        f"(SELECT student_id FROM {temp.name} WHERE reason IS NULL)"
    ).bindparams(*dates)
    m = sss_matrix_forms
    marked = conn.execute(
        sa.update(m)
        .where(m.c.form_id.in_(window_forms.columns(sa.column("form_id", sa.Integer))))
        .values(pushed_at=now),
        window,
    ).rowcount
    temp.drop(conn)
    return CostFactorChanges(forms, rejected, updated, marked, listed)


def _report(changes: CostFactorChanges, today: dt.date, cap: int) -> JobResult:
    first = today - dt.timedelta(days=WINDOW_DAYS)
    scope = f"services starting {first:%Y-%m-%d} to {today:%Y-%m-%d}"
    if changes.forms == 0:
        summary = f"No locked IEP matrix form waited to be pushed ({scope}); nothing changed."
    else:
        summary = (
            f"Took the newest matrix form of {changes.forms} student(s) ({scope}): "
            f"{changes.updated} student(s) got a new cost factor or FEFP code, "
            f"{changes.marked} form(s) marked pushed, {changes.rejected} rejected."
        )
    lines = [summary]
    rows = []
    for (
        student,
        last,
        first_name,
        form,
        start,
        old_cf,
        cf,
        old_code,
        code,
        reason,
    ) in changes.listed:
        name = f"{last}, {first_name}"
        if reason:
            outcome = f"not pushed: {reason}"
        elif old_cf == cf and old_code == code:
            outcome = "already in the SIS"
        else:
            outcome = "updated"
        rows.append((student, name, form, start, old_cf, cf, old_code, code, outcome))
        lines.append(
            f"  student {student} ({name}), form {form} (services from {start:%Y-%m-%d}): "
            f"McKay {old_cf or '-'} -> {cf or '-'}, ESE FEFP {old_code or '-'} -> "
            f"{code or '-'}: {outcome}"
        )
    return listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "Form",
            "Services start",
            "McKay before",
            "Cost factor",
            "FEFP before",
            "FEFP code",
            "Outcome",
        ),
        rows,
        total=changes.forms,
        cap=cap,
        counts={
            "forms": changes.forms,
            "updated": changes.updated,
            "marked_pushed": changes.marked,
            "rejected": changes.rejected,
        },
    )
