"""Alert when existing MTSS students enroll (SSS): a portal alert for a chosen profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

ALERT_TYPE = "sss_event"

# A primary enrollment with an enrollment code that is open today or starts later, at a
# school other than one where the student has inactive MTSS events and is no longer
# enrolled; one row per student and new school, counting those inactive events.
_NEW_ENROLLMENTS = """
INSERT INTO {temp} (student_id, school_id, start_date, events)
SELECT e.student_id, e.school_id, MIN(e.start_date),
       (SELECT COUNT(*) FROM mtss_events ev
        WHERE ev.student_id = e.student_id AND ev.active = FALSE
          AND ev.school_id <> e.school_id
          AND NOT EXISTS (
            SELECT 1 FROM student_enrollment o
            WHERE o.student_id = ev.student_id AND o.school_id = ev.school_id
              AND (o.end_date IS NULL OR o.end_date >= :today)))
FROM student_enrollment e
WHERE e.second_school = FALSE
  AND e.enrollment_code IS NOT NULL
  AND (e.end_date IS NULL OR e.end_date >= :today)
  AND NOT EXISTS (
    SELECT 1 FROM portal_alerts pa
    WHERE pa.student_id = e.student_id AND pa.alert_type = :alert_type
      AND pa.school_id = e.school_id)
GROUP BY e.student_id, e.school_id
"""


# The district's System Preference naming the profile that sees the alerts.
PROFILE_PREFERENCE = "mtss_enrollment_alert_profile"


class MtssEnrollmentAlertParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="New alerts listed")


@dataclass(frozen=True)
class EnrollmentAlerts:
    """What a run created, with the first new alerts for the output."""

    created: int
    listed: list[tuple]


class MtssEnrollmentAlert(Job):
    key = "alert_when_existing_mtss_students_enroll"
    title = "Alert when existing MTSS students enroll"
    description = (
        "Raises a Portal alert when a student whose MTSS events were made inactive turns up at "
        "another school: the old school dropped them, and the new one has entered an enrollment "
        'date and code. The alert is an "SSS event alert", shown to the profile that the "MTSS '
        'enrollment alert profile" setting names. '
        "Rules: a student qualifies when they have a primary enrollment with an enrollment "
        "code that is open on the run date or starts later (entered ahead of time) at a "
        "school, and inactive MTSS events at another school where they no longer have an "
        "open enrollment. The profile is the mtss_enrollment_alert_profile System Preference "
        "(a run without it fails and changes nothing). One alert (type sss_event, for that "
        "profile, carrying the "
        "new school) is created per student and new school, never twice, whatever the "
        "profile; its message counts the inactive events to review."
    )
    module = "SSS"
    needs_add_ons = frozenset({AddOn.SSS})
    params_model = MtssEnrollmentAlertParams

    def run(self, context: JobContext, params: MtssEnrollmentAlertParams) -> JobResult:
        now = context.now()
        profile = context.prefs.get(PROFILE_PREFERENCE)
        if profile is None:
            return JobResult.message(
                False,
                f"The {PROFILE_PREFERENCE} System Preference is not set, so no profile would "
                f"see the alerts; set it with focus-jobs prefs set {PROFILE_PREFERENCE} "
                "PROFILE. Nothing was changed.",
            )
        changes = create_enrollment_alerts(context.connection, profile, now, params.max_listed)
        return _report(changes, profile, params, now.date())


def create_enrollment_alerts(
    conn: sa.Connection, profile: str, now: dt.datetime, max_listed: int
) -> EnrollmentAlerts:
    """An SSS event alert for ``profile`` per student with inactive MTSS events enrolled at a
    new school, unless one was already made for that student and school."""
    from job_library.schemas.district import schools
    from job_library.schemas.enrollment import students
    from job_library.schemas.sss import portal_alerts
    from job_library.sis_sql import analyze, first_rows, scratch_table

    temp = scratch_table(
        conn,
        "tmp_mtss_new_enrollments",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("start_date", sa.Date, nullable=False),
            sa.Column("events", sa.Integer, nullable=False),
        ],
    )
    conn.execute(
        sa.text(_NEW_ENROLLMENTS.format(temp=temp.name)).bindparams(
            sa.bindparam("today", type_=sa.Date)
        ),
        {"today": now.date(), "alert_type": ALERT_TYPE},
    )
    conn.execute(sa.delete(temp).where(temp.c.events == 0))
    analyze(conn, temp)
    sc = schools
    message = (
        sa.literal("SSS event alert: the student has ")
        + sa.cast(temp.c.events, sa.String(10))
        + sa.literal(" inactive MTSS event(s) for review (enrolled at ")
        + sc.c.title
        + sa.literal(" from ")
        + sa.cast(temp.c.start_date, sa.String(10))
        + sa.literal(").")
    )
    pa = portal_alerts
    created = conn.execute(
        sa.insert(pa).from_select(
            ["student_id", "alert_type", "profile", "school_id", "message", "created_at"],
            sa.select(
                temp.c.student_id,
                sa.literal(ALERT_TYPE, pa.c.alert_type.type),
                sa.literal(profile, pa.c.profile.type),
                temp.c.school_id,
                message,
                sa.literal(now, pa.c.created_at.type),
            ).join_from(temp, sc, sc.c.school_id == temp.c.school_id),
        )
    ).rowcount
    st = students
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            sc.c.title,
            temp.c.start_date,
            temp.c.events,
        )
        .join_from(temp, st, st.c.student_id == temp.c.student_id)
        .join(sc, sc.c.school_id == temp.c.school_id)
        .order_by(temp.c.school_id, temp.c.student_id)
    )
    listed = first_rows(conn, query, max_listed)
    temp.drop(conn)
    return EnrollmentAlerts(created, listed)


def _report(
    changes: EnrollmentAlerts, profile: str, params: MtssEnrollmentAlertParams, today: dt.date
) -> JobResult:
    if changes.created == 0:
        summary = (
            f"No student with inactive MTSS events has newly enrolled at another school as of "
            f"{today:%Y-%m-%d}; nothing changed."
        )
    else:
        summary = (
            f"Created {changes.created} SSS event alert(s) for profile {profile} about "
            f"students with inactive MTSS events who enrolled at a new school, as of "
            f"{today:%Y-%m-%d}."
        )
    lines = [summary]
    rows = []
    for student, last, first, school, start, events in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, school, start, events))
        lines.append(
            f"  student {student} ({name}): enrolled at {school} from {start:%Y-%m-%d}, "
            f"{events} inactive MTSS event(s)"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "New school", "Enrolled from", "Inactive events"),
        rows,
        total=changes.created,
        cap=params.max_listed,
        counts={"alerts": changes.created},
    )
