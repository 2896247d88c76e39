"""Medical (add-on): today's medication calendar events and the orders' pill counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

PROFILE = "medication_administrator_profile"
CATEGORY = "medication_administration_category"

# Orders in force today at every school where the student is enrolled today and which holds
# school that day, with why an order cannot be put on the calendar.
_DUE = """
INSERT INTO {due} (order_id, school_id, student_id, medication, form, start_time, end_time,
                   reason)
SELECT DISTINCT o.order_id, e.school_id, o.student_id, o.medication, o.medication_form,
       o.admin_start, o.admin_end,
       CASE WHEN o.admin_start IS NULL THEN 'the order has no When Admin Start time'
            WHEN o.admin_end IS NOT NULL AND o.admin_end < o.admin_start
              THEN 'When Admin End is before When Admin Start' END
FROM medication_orders o
JOIN student_enrollment e ON e.student_id = o.student_id
JOIN attendance_calendar c ON c.calendar_id = e.calendar_id AND c.school_date = :today
WHERE o.order_date <= :today AND (o.end_date IS NULL OR o.end_date >= :today)
  AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)
"""

# One event per student, medication, form, times, profile and school for today, unless the
# calendar holds one already (orders alike share it).
_EVENTS = """
INSERT INTO {new} (school_id, event_date, start_time, end_time, title, category_id, profile,
                   student_id, medication, medication_form, order_id)
SELECT d.school_id, :today, d.start_time, d.end_time,
       'Medication: ' || d.medication || COALESCE(' (' || d.form || ')', '') || ' - '
         || st.last_name || ', ' || st.first_name,
       s.category_id, s.profile, d.student_id, d.medication, d.form, MIN(d.order_id)
FROM {due} d
JOIN {schools} s ON s.school_id = d.school_id
JOIN students st ON st.student_id = d.student_id
WHERE d.reason IS NULL AND s.reason IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM user_calendar_events ev
    WHERE ev.school_id = d.school_id AND ev.event_date = :today
      AND ev.student_id = d.student_id AND ev.medication = d.medication
      AND {same_form} AND ev.profile = s.profile
      AND ev.start_time = d.start_time AND {same_end})
GROUP BY d.school_id, d.start_time, d.end_time, d.medication, d.form, s.category_id,
         s.profile, d.student_id, st.last_name, st.first_name
"""

# Pills left: what was received less what the log says was given.
_GIVEN = """(SELECT COALESCE(SUM(a.quantity), 0) FROM medication_administrations a
             WHERE a.order_id = medication_orders.order_id AND a.status = 'given')"""


class MedicalParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Events listed")


@dataclass(frozen=True)
class MedicalChanges:
    """What a run made and found wrong, with the first events and problems for the output."""

    due: int
    placements: int
    created: int
    pill_counts: int
    problems: list[str]
    listed: list[tuple]


class Medical(Job):
    key = "medical"
    title = "Medical"
    description = (
        "Puts today's medication administrations on the calendar and keeps pill counts "
        "current. Rules: an order is in force from its Date of Order through its end date "
        "(none: open). For every such order the job adds one event dated today at each school "
        "where the student is enrolled today (second schools included) and which has school "
        "today, from When Admin Start to When Admin End, for the school's Medication "
        "Administrator Profile in its Medication Administration Category (System "
        "Preferences, the school's own value else the district's; the category is a district "
        "calendar category's title). No event is added when the calendar already has one for "
        "that student, medication, form, profile and times on that day and school; two "
        "orders alike share one. The pill count of an order with pills received is the "
        "number received less the quantities logged as given. Listed and left alone: an "
        "order without a start time or ending before it starts, a school without both "
        "preferences or with a category that does not exist, and an order logged as giving "
        "more pills than it received."
    )
    module = "Medical"
    needs_add_ons = frozenset({AddOn.MEDICAL})
    params_model = MedicalParams

    def run(self, context: JobContext, params: MedicalParams) -> JobResult:
        today = context.now().date()
        changes = schedule_medication(context, today, params.max_listed)
        return _report(changes, today, params.max_listed)


def _school_settings(context: JobContext, school_ids: list[int]) -> list[dict]:
    """Each school's profile and category (one preference read per school, not per student)."""
    from job_library.schemas.health import calendar_categories

    conn = context.connection
    categories = dict(
        conn.execute(sa.select(calendar_categories.c.title, calendar_categories.c.category_id))
        .tuples()
        .all()
    )
    prefs = context.prefs
    rows = []
    for school in school_ids:
        profile, category = prefs.get(PROFILE, school), prefs.get(CATEGORY, school)
        reason = None
        if not profile or not category:
            missing = [
                title
                for title, value in (
                    ("Medication Administrator Profile", profile),
                    ("Medication Administration Category", category),
                )
                if not value
            ]
            reason = f"{' and '.join(missing)} not set (System Preferences)"
        elif category not in categories:
            reason = (
                f"Medication Administration Category {category!r} is not a calendar category "
                "(Users > Calendar > Setup > District Categories)"
            )
        rows.append(
            dict(
                school_id=school,
                profile=profile,
                category_id=categories.get(category),
                reason=reason,
            )
        )
    return rows


def schedule_medication(context: JobContext, today: dt.date, cap: int) -> MedicalChanges:
    """Add today's missing medication events and recount the pills."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.health import medication_orders, user_calendar_events
    from job_library.sis_sql import analyze, first_rows, scratch_table

    conn = context.connection
    due = scratch_table(
        conn,
        "tmp_medical_due",
        [
            sa.Column("order_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("medication", sa.String(100), nullable=False),
            sa.Column("form", sa.String(30)),
            sa.Column("start_time", sa.Time),
            sa.Column("end_time", sa.Time),
            sa.Column("reason", sa.String(200)),
        ],
    )
    today_param = sa.bindparam("today", type_=sa.Date)
    conn.execute(sa.text(_DUE.format(due=due.name)).bindparams(today_param), {"today": today})
    analyze(conn, due)
    school_ids = sorted(set(conn.execute(sa.select(due.c.school_id).distinct()).scalars()))
    settings = scratch_table(
        conn,
        "tmp_medical_schools",
        [
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("profile", sa.String(50)),
            sa.Column("category_id", sa.Integer),
            sa.Column("reason", sa.String(300)),
        ],
    )
    rows = _school_settings(context, school_ids)
    if rows:
        conn.execute(sa.insert(settings), rows)
    problems = [f"school {r['school_id']}: {r['reason']}" for r in rows if r["reason"]]
    st = students
    problems += [
        f"order {order} (student {student}, {last}, {first}, {medication}): {reason}"
        for order, student, last, first, medication, reason in first_rows(
            conn,
            sa.select(
                due.c.order_id,
                due.c.student_id,
                st.c.last_name,
                st.c.first_name,
                due.c.medication,
                due.c.reason,
            )
            .distinct()
            .join(st, st.c.student_id == due.c.student_id)
            .where(due.c.reason.is_not(None))
            .order_by(due.c.order_id),
            cap,
        )
    ]
    pg = conn.dialect.name == "postgresql"
    same = "IS NOT DISTINCT FROM" if pg else "IS"
    ev = user_calendar_events
    new = scratch_table(
        conn,
        "tmp_medical_new",
        [sa.Column(c.name, c.type) for c in ev.columns if c.name != "event_id"],
    )
    conn.execute(
        sa.text(
            _EVENTS.format(
                new=new.name,
                due=due.name,
                schools=settings.name,
                same_form=f"ev.medication_form {same} d.form",
                same_end=f"ev.end_time {same} d.end_time",
            )
        ).bindparams(today_param),
        {"today": today},
    )
    columns = [c.name for c in new.columns]
    created = conn.execute(sa.insert(ev).from_select(columns, sa.select(new))).rowcount
    listed = first_rows(
        conn,
        sa.select(
            new.c.school_id,
            new.c.student_id,
            new.c.title,
            new.c.start_time,
            new.c.end_time,
            new.c.profile,
        ).order_by(new.c.school_id, new.c.student_id, new.c.start_time, new.c.medication),
        cap,
    )
    new.drop(conn)
    # An order at two schools is one order due (and two school placements).
    due_count, placements = conn.execute(
        sa.select(sa.func.count(sa.distinct(due.c.order_id)), sa.func.count())
        .select_from(due)
        .where(due.c.reason.is_(None))
    ).one()
    due.drop(conn)
    settings.drop(conn)
    mo = medication_orders
    problems += [
        f"order {order} (student {student}, {medication}): {used} pill(s) logged as given but "
        f"only {received} received; the pill count stays {'-' if count is None else count}"
        for order, student, medication, received, used, count in first_rows(
            conn,
            sa.select(
                mo.c.order_id,
                mo.c.student_id,
                mo.c.medication,
                mo.c.pills_received,
                sa.literal_column(_GIVEN),
                mo.c.pill_count,
            )
            .where(
                mo.c.pills_received.is_not(None), sa.literal_column(_GIVEN) > mo.c.pills_received
            )
            .order_by(mo.c.order_id),
            cap,
        )
    ]
    left = mo.c.pills_received - sa.literal_column(_GIVEN)
    pill_counts = conn.execute(
        sa.update(mo)
        .where(
            mo.c.pills_received.is_not(None),
            left >= 0,
            sa.or_(mo.c.pill_count.is_(None), mo.c.pill_count != left),
        )
        .values(pill_count=left)
    ).rowcount
    return MedicalChanges(due_count, placements, created, pill_counts, problems, listed)


def _report(changes: MedicalChanges, today: dt.date, cap: int) -> JobResult:
    summary = (
        f"{changes.due} medication order(s) due at {changes.placements} school placement(s) "
        f"in session on {today:%Y-%m-%d}: "
        f"added {changes.created} calendar event(s), updated {changes.pill_counts} pill "
        f"count(s)"
    )
    summary += f", {len(changes.problems)} problem(s) listed." if changes.problems else "."
    lines = [summary, *(f"  not done: {p}" for p in changes.problems)]
    rows = []
    for school, student, title, start, end, profile in changes.listed:
        times = f"{start:%H:%M}" + (f"-{end:%H:%M}" if end else "")
        rows.append((school, student, title, times, profile))
        lines.append(f"  school {school}, student {student}: {title} at {times} for {profile}")
    return listed_result(
        summary,
        lines,
        ("School", "Student", "Event", "Time", "Profile"),
        rows,
        total=changes.created,
        cap=cap,
        counts={
            "orders_due": changes.due,
            "order_schools_due": changes.placements,
            "events_created": changes.created,
            "pill_counts_updated": changes.pill_counts,
            "problems": len(changes.problems),
        },
    )
