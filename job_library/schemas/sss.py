"""Student Support Services: MTSS events, ESE records and portal alerts."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

mtss_events = sa.Table(
    "mtss_events",
    metadata,
    id_column("event_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("inactivated_on", sa.Date),
    sa.Index("ix_mtss_events_student", "student_id"),
)

ese_records = sa.Table(
    "ese_records",
    metadata,
    id_column("ese_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("exceptionality", sa.String(5), nullable=False),
    sa.Column("primary_exceptionality", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("service_type", sa.String(1)),  # D: Dismiss
    sa.Column("dismissal_date", sa.Date),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_ese_records_student", "student_id"),
)

portal_alerts = sa.Table(
    "portal_alerts",
    metadata,
    id_column("alert_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("alert_type", sa.String(30), nullable=False),  # sss_event, cte_absences...
    sa.Column("profile", sa.String(50)),  # the profile shown the alert
    fk_column("user_id", "users.user_id"),  # or a single user
    fk_column("school_id", "schools.school_id"),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Index("ix_portal_alerts_student", "student_id", "alert_type"),
)

# Manage Student events of SSS (an IEP meeting...). The forms filled in at an event count for
# the SIS once the event is locked; ``services_start_date`` is when its services begin.
sss_events = sa.Table(
    "sss_events",
    metadata,
    id_column("event_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("event_type", sa.String(20), nullable=False),  # IEP, EP, 504...
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("services_start_date", sa.Date),
    sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("locked_at", sa.DateTime(timezone=True)),
    sa.Index("ix_sss_events_student", "student_id"),
)

# The Matrix of Services form of an event: the Matrix Cost Factor (the McKay field of the SIS)
# and the ESE FEFP program it funds; ``pushed_at`` is set once both went to the SIS.
sss_matrix_forms = sa.Table(
    "sss_matrix_forms",
    metadata,
    id_column("form_id"),
    fk_column("event_id", "sss_events.event_id", nullable=False),
    sa.Column("cost_factor", sa.String(3)),  # 251-255
    sa.Column("fefp_code", sa.String(3)),  # 111, 112, 113, 254, 255
    sa.Column("pushed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_sss_matrix_forms_event", "event_id"),
)

# The Schedule of Services form of an event: minutes per week with non-disabled peers, the
# minutes of the student's whole school week, and the IDEA educational environment code.
sss_schedule_of_services = sa.Table(
    "sss_schedule_of_services",
    metadata,
    id_column("form_id"),
    fk_column("event_id", "sss_events.event_id", nullable=False),
    sa.Column("minutes_with_non_disabled", sa.Integer),
    sa.Column("minutes_total_week", sa.Integer),
    sa.Column("idea_environment", sa.String(2)),
    sa.Index("ix_sss_schedule_of_services_event", "event_id"),
)
