"""Florida ARMS Student Field Tracker (SIS): date-stamps changes of the ARMS Student Fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result


class ArmsElement(StrEnum):
    """The tracked elements of the DOE ARMS process."""

    ESE = "ESE"
    ELL = "ELL"
    LS = "LS"
    ZDS = "ZDS"
    DOP = "DOP"


@dataclass(frozen=True)
class TrackedField:
    """A Student Field whose changes stamp an element; ``primary_only``: the field holds a
    comma-separated list of codes and only the first (the primary code) counts."""

    field_id: int
    element: ArmsElement
    title: str
    primary_only: bool = False


TRACKED = (
    TrackedField(890, ArmsElement.ESE, "ESE Code", primary_only=True),
    TrackedField(626, ArmsElement.ELL, "ELL Code"),
    TrackedField(71, ArmsElement.LS, "Lunch Status"),
    TrackedField(821, ArmsElement.ZDS, "Zoned District"),
    TrackedField(822, ArmsElement.ZDS, "Zoned School"),
    TrackedField(20009054, ArmsElement.DOP, "DOP Code", primary_only=True),
)

_STAMP = """
INSERT INTO florida_arms_changes (log_id, student_id, element, change_date, old_value,
                                  new_value)
SELECT x.id, x.record_id, x.element, x.change_date, x.old_value, x.new_value
FROM (
  SELECT l.id, l.record_id, m.element, {day} AS change_date,
         CASE WHEN m.primary_only = TRUE THEN {old_primary} ELSE l.old_value END AS old_value,
         CASE WHEN m.primary_only = TRUE THEN {new_primary} ELSE l.new_value END AS new_value
  FROM custom_field_log l
  JOIN {temp} m ON m.field_id = l.field_id AND m.logs = TRUE
  WHERE NOT EXISTS (SELECT 1 FROM florida_arms_changes a WHERE a.log_id = l.id)
) x
WHERE {differs}
"""


# Fields that do not log their changes (the select fields ELL, LS and ZDS in Focus): the
# current value is compared with the value last stamped for the student and field, and a
# difference is stamped with the run's date. Such a stamp has no change-log entry, so its
# log_id is negative and names the field: -(sequence * 8 + slot), slot 1-6 in TRACKED.
_COMPARE = """
INSERT INTO florida_arms_changes (log_id, student_id, element, change_date, old_value,
                                  new_value)
SELECT -((:base + ROW_NUMBER() OVER (ORDER BY z.student_id, z.slot)) * 8 + z.slot),
       z.student_id, z.element, :today, z.old_value, z.new_value
FROM (
  SELECT k.student_id, k.slot, m.element, p.new_value AS old_value, c.value AS new_value
  FROM (
    SELECT c.student_id, c.slot FROM cur c
    UNION
    SELECT p.student_id, p.slot FROM prev p
  ) k
  JOIN {temp} m ON m.slot = k.slot
  LEFT JOIN cur c ON c.student_id = k.student_id AND c.slot = k.slot
  LEFT JOIN prev p ON p.student_id = k.student_id AND p.slot = k.slot
) z
WHERE {differs}
"""
_COMPARE_WITH = """
WITH cur AS (
  SELECT v.record_id AS student_id, m.slot,
         CASE WHEN m.primary_only = TRUE THEN {primary} ELSE v.value END AS value
  FROM custom_field_values v
  JOIN {temp} m ON m.field_id = v.field_id AND m.logs = FALSE
),
stamped AS (
  SELECT a.id, a.student_id, a.new_value,
         CASE WHEN a.log_id < 0 THEN (-a.log_id) % 8 ELSE ml.slot END AS slot
  FROM florida_arms_changes a
  LEFT JOIN custom_field_log l ON a.log_id > 0 AND l.id = a.log_id
  LEFT JOIN {temp} ml ON ml.field_id = l.field_id
),
ranked AS (
  SELECT s.student_id, s.slot, s.new_value,
         ROW_NUMBER() OVER (PARTITION BY s.student_id, s.slot ORDER BY s.id DESC) AS n
  FROM stamped s
  JOIN {temp} m ON m.slot = s.slot AND m.logs = FALSE
),
prev AS (SELECT r.student_id, r.slot, r.new_value FROM ranked r WHERE r.n = 1)
"""


def _primary(conn: sa.Connection, column: str) -> str:
    """The first code of a comma-separated list, trimmed; NULL when empty."""
    if conn.dialect.name == "postgresql":
        return f"NULLIF(TRIM(SPLIT_PART({column}, ',', 1)), '')"
    return (
        f"NULLIF(TRIM(CASE WHEN INSTR({column}, ',') > 0 "
        f"THEN SUBSTR({column}, 1, INSTR({column}, ',') - 1) ELSE {column} END), '')"
    )


def _day(conn: sa.Connection) -> str:
    """The district-time date of a change (SQLite keeps the wall time it was given)."""
    if conn.dialect.name == "postgresql":
        return "CAST(l.changed_at AT TIME ZONE :tz AS DATE)"
    return "DATE(l.changed_at)"


class ArmsTrackerParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    elements: list[ArmsElement] = Field(
        default_factory=list,
        title="Elements",
        description="ESE, ELL, LS, ZDS or DOP; leave empty for all five.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Stamped changes listed")


@dataclass(frozen=True)
class Stamps:
    """What a run stamped, the first stamped changes and the fields that cannot be tracked."""

    stamped: int
    by_element: dict[str, int]
    listed: list[tuple]
    untracked: list[str]


class FloridaArmsStudentFieldTracker(Job):
    key = "florida_arms_student_field_tracker"
    title = "Florida ARMS Student Field Tracker"
    description = (
        "Keeps the dates the DOE ARMS process needs: every change to one of the tracked "
        "Student Fields gets a dated row in florida_arms_changes (student, element, day, "
        "value before and after), read from the Student Fields change log. Elements: ESE "
        "(custom_890, primary code only), ELL (custom_626), LS lunch status (custom_71), "
        "ZDS zoned district and school (custom_821 and custom_822, either one stamps ZDS) "
        "and DOP (custom_20009054, primary code only). Rules: a field holding several codes "
        "separated by commas counts by its first, primary code, so a change to the other "
        "codes alone is not stamped; setting or clearing a value is a change; the day is the "
        "day of the change in the district's time zone; each change-log entry is stamped "
        "once, so running again stamps only what changed since. A field without a change "
        "log (Focus keeps ELL, LS and ZDS as plain selects) is compared instead: a student "
        "whose value now differs from the value last stamped for that field gets a row "
        "dated the day of the run. A tracked field missing from the field catalog is listed."
    )
    module = "SIS"
    needs_state = "FL"
    params_model = ArmsTrackerParams

    def run(self, context: JobContext, params: ArmsTrackerParams) -> JobResult:
        conn = context.connection
        chosen = set(params.elements) or set(ArmsElement)
        tz = str(context.prefs.get("timezone"))
        stamps = stamp(
            conn,
            [f for f in TRACKED if f.element in chosen],
            tz,
            params.max_listed,
            context.now().date(),
        )
        return _report(stamps, params)


def stamp(
    conn: sa.Connection, tracked: list[TrackedField], tz: str, cap: int, today: dt.date
) -> Stamps:
    """Stamp every unstamped change-log entry of the ``tracked`` fields that log changes,
    and every difference between the current and the last stamped value of those that do
    not (dated ``today``, the run's district date)."""
    from job_library.platform_schema import custom_fields
    from job_library.schemas.enrollment import students
    from job_library.schemas.florida import florida_arms_changes
    from job_library.sis_sql import differs_sql, first_rows, scratch_table

    catalog = {
        r.field_id: bool(r.log_changes)
        for r in conn.execute(
            sa.select(custom_fields.c.field_id, custom_fields.c.log_changes).where(
                custom_fields.c.field_id.in_([f.field_id for f in tracked])
            )
        )
    }
    untracked = []
    for f in tracked:
        if f.field_id not in catalog:
            untracked.append(
                f"{f.element} {f.title} (custom_{f.field_id}): not in the field catalog; "
                "define it to track its changes"
            )
    usable = [f for f in tracked if f.field_id in catalog]
    temp = scratch_table(
        conn,
        "tmp_arms_fields",
        [
            sa.Column("field_id", sa.Integer, primary_key=True),
            sa.Column("element", sa.String(3)),
            sa.Column("primary_only", sa.Boolean),
            sa.Column("slot", sa.Integer),
            sa.Column("logs", sa.Boolean),
        ],
    )
    if usable:
        conn.execute(
            sa.insert(temp),
            [
                dict(
                    field_id=f.field_id,
                    element=str(f.element),
                    primary_only=f.primary_only,
                    slot=TRACKED.index(f) + 1,
                    logs=catalog[f.field_id],
                )
                for f in usable
            ],
        )
    a = florida_arms_changes
    last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(a.c.id), 0))).scalar_one()
    sql = _STAMP.format(
        temp=temp.name,
        day=_day(conn),
        old_primary=_primary(conn, "l.old_value"),
        new_primary=_primary(conn, "l.new_value"),
        differs=differs_sql(conn, "x.old_value", "x.new_value"),
    )
    bind = {"tz": tz} if conn.dialect.name == "postgresql" else {}
    conn.execute(sa.text(sql), bind)
    if any(not catalog[f.field_id] for f in usable):
        base = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max((-a.c.log_id) // 8), 0)).where(a.c.log_id < 0)
        ).scalar_one()
        compare = _COMPARE_WITH.format(
            temp=temp.name, primary=_primary(conn, "v.value")
        ) + _COMPARE.format(temp=temp.name, differs=differs_sql(conn, "z.old_value", "z.new_value"))
        day = sa.bindparam("today", type_=sa.Date)
        conn.execute(sa.text(compare).bindparams(day), {"base": base, "today": today})
    temp.drop(conn)
    new = a.c.id > last
    by_element = dict(
        conn.execute(sa.select(a.c.element, sa.func.count()).where(new).group_by(a.c.element)).all()
    )
    stamped = sum(by_element.values())  # SQLite gives no rowcount for WITH ... INSERT
    st = students
    listed = first_rows(
        conn,
        sa.select(
            a.c.student_id,
            st.c.last_name,
            st.c.first_name,
            a.c.element,
            a.c.change_date,
            a.c.old_value,
            a.c.new_value,
        )
        .outerjoin(st, st.c.student_id == a.c.student_id)
        .where(new)
        .order_by(a.c.student_id, a.c.change_date, a.c.log_id),
        cap,
    )
    return Stamps(stamped, by_element, listed, untracked)


def _report(stamps: Stamps, params: ArmsTrackerParams) -> JobResult:
    if stamps.stamped == 0:
        summary = "No tracked Student Field changed since the last run; nothing stamped."
    else:
        tally = ", ".join(
            f"{stamps.by_element[e]} {e}" for e in ArmsElement if e in stamps.by_element
        )
        summary = f"Stamped {stamps.stamped} ARMS field change(s): {tally}."
    lines = [summary]
    rows = []
    for student, last, first, element, day, old, new in stamps.listed:
        name = f"{last}, {first}" if last else "-"
        rows.append((student, name, element, day, old, new))
        lines.append(
            f"  student {student} ({name}) {element} on {day}: {old or '-'} -> {new or '-'}"
        )
    for note in stamps.untracked:
        lines.append(f"  not tracked: {note}.")
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Element", "Date", "Before", "After"),
        rows,
        total=stamps.stamped,
        cap=params.max_listed,
        counts={
            "stamped": stamps.stamped,
            **{e.lower(): stamps.by_element.get(str(e), 0) for e in ArmsElement},
            "untracked_fields": len(stamps.untracked),
        },
    )
