"""Remove FEFP code from dismissed students (SSS): clear ESE FEFP and Charter/McKay."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# Dismissed: at least one active ESE exceptionality, and every active one has service
# type D (Dismiss) and a dismissal date. Inactive records do not count either way.
_DISMISSED = """
INSERT INTO {temp} (student_id, ese_code, charter_mckay)
SELECT st.student_id, st.ese_code, st.charter_mckay
FROM students st
WHERE (st.ese_code IS NOT NULL OR {mckay_set})
  AND EXISTS (
    SELECT 1 FROM ese_records r WHERE r.student_id = st.student_id AND r.active = TRUE)
  AND NOT EXISTS (
    SELECT 1 FROM ese_records r
    WHERE r.student_id = st.student_id AND r.active = TRUE
      AND (r.service_type IS NULL OR r.service_type <> 'D' OR r.dismissal_date IS NULL))
"""


class RemoveFefpCodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clear_charter_mckay: bool = Field(
        default=True,
        title="Also clear the Charter/McKay field",
        description="The Charter/McKay field set up in SSS > General.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed students listed")


@dataclass(frozen=True)
class ClearedCodes:
    """What a run cleared, with the first changed students for the output."""

    cleared: int
    listed: list[tuple]


class RemoveFefpCode(Job):
    key = "remove_fefp_code_from_dismissed_students"
    title = "Remove FEFP code from dismissed students"
    description = (
        "Empties a student's ESE FEFP Code (custom field custom_698, alias ese_code) and the "
        "district's Charter/McKay field (chosen in SSS > General) once each of the student's "
        "active ESE exceptionalities in SSS has Service Type D-Dismiss and a dismissal date. "
        "Rules: a student qualifies when they "
        "have at least one active ESE exceptionality record and every active one has service "
        "type D and a dismissal date (any date, past or future); a student without active "
        "ESE records, or with one still served, keeps the codes. Inactive records are "
        "ignored. The Charter/McKay field is cleared too unless the job says otherwise; "
        "students whose fields are already empty are not counted as changed."
    )
    module = "SSS"
    needs_add_ons = frozenset({AddOn.SSS})
    needs_state = "FL"  # FEFP is Florida's funding program
    params_model = RemoveFefpCodeParams

    def run(self, context: JobContext, params: RemoveFefpCodeParams) -> JobResult:
        changes = clear_codes(context.connection, params.clear_charter_mckay, params.max_listed)
        return _report(changes, params)


def clear_codes(conn: sa.Connection, clear_mckay: bool, max_listed: int) -> ClearedCodes:
    """Null the ESE FEFP code (and Charter/McKay) of every fully dismissed ESE student."""
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, first_rows, scratch_table

    st = students
    temp = scratch_table(
        conn,
        "tmp_fefp_dismissed",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("ese_code", st.c.ese_code.type),
            sa.Column("charter_mckay", st.c.charter_mckay.type),
        ],
    )
    mckay_set = "st.charter_mckay IS NOT NULL" if clear_mckay else "FALSE"
    conn.execute(sa.text(_DISMISSED.format(temp=temp.name, mckay_set=mckay_set)))
    analyze(conn, temp)
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            temp.c.ese_code,
            temp.c.charter_mckay,
        )
        .join(st, st.c.student_id == temp.c.student_id)
        .order_by(temp.c.student_id)
    )
    listed = first_rows(conn, query, max_listed)
    values: dict[str, None] = {"ese_code": None}
    if clear_mckay:
        values["charter_mckay"] = None
    cleared = conn.execute(
        sa.update(st).where(st.c.student_id.in_(sa.select(temp.c.student_id))).values(values)
    ).rowcount
    temp.drop(conn)
    return ClearedCodes(cleared, listed)


def _report(changes: ClearedCodes, params: RemoveFefpCodeParams) -> JobResult:
    fields = "ESE FEFP code and Charter/McKay" if params.clear_charter_mckay else "ESE FEFP code"
    if changes.cleared == 0:
        summary = f"No dismissed ESE student still had an {fields}; nothing changed."
    else:
        summary = f"Cleared the {fields} of {changes.cleared} dismissed ESE student(s)."
    lines = [summary]
    rows = []
    for student, last, first, code, mckay in changes.listed:
        name = f"{last}, {first}"
        kept = mckay if not params.clear_charter_mckay else None
        rows.append((student, name, code, mckay, kept))
        lines.append(
            f"  student {student} ({name}): ESE FEFP code {code or '-'} -> -; Charter/McKay "
            f"{mckay or '-'} -> {kept or '-'}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "ESE FEFP code before", "Charter/McKay before", "Charter/McKay after"),
        rows,
        total=changes.cleared,
        cap=params.max_listed,
        counts={"cleared": changes.cleared},
    )
