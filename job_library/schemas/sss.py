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
