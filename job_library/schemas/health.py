"""Health: immunization requirements, records and compliance."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

immunization_requirements = sa.Table(
    "immunization_requirements",
    metadata,
    id_column("requirement_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("grade_id", "grade_levels.grade_id"),  # null: every grade
    sa.Column("vaccine", sa.String(20), nullable=False),
    sa.Column("doses_required", sa.Integer, nullable=False),
    sa.UniqueConstraint("syear", "grade_id", "vaccine", name="uq_immunization_requirements"),
)

immunization_records = sa.Table(
    "immunization_records",
    metadata,
    id_column("record_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("vaccine", sa.String(20), nullable=False),
    sa.Column("dose_date", sa.Date, nullable=False),
    sa.Column("exempt", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("student_id", "vaccine", "dose_date", name="uq_immunization_dose"),
)

immunization_compliance = sa.Table(
    "immunization_compliance",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column(
        "requirement_id",
        sa.Integer,
        sa.ForeignKey("immunization_requirements.requirement_id"),
        primary_key=True,
    ),
    sa.Column("doses_received", sa.Integer, nullable=False),
    sa.Column("compliant", sa.Boolean, nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
)

# Medical (add-on): the district's calendar categories (Users > Calendar), medication orders
# with their administration log, and the calendar events the Medical job makes from them.
calendar_categories = sa.Table(
    "calendar_categories",
    metadata,
    id_column("category_id"),
    sa.Column("title", sa.String(100), nullable=False, unique=True),
)

medication_orders = sa.Table(
    "medication_orders",
    metadata,
    id_column("order_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("medication", sa.String(100), nullable=False),
    sa.Column("medication_form", sa.String(30)),  # tablet, liquid, inhaler...
    sa.Column("dosage", sa.String(50)),
    sa.Column("order_date", sa.Date, nullable=False),  # Date of Order
    sa.Column("end_date", sa.Date),  # last day of the order; null: open
    sa.Column("admin_start", sa.Time),  # When Admin Start (time of day)
    sa.Column("admin_end", sa.Time),  # When Admin End
    sa.Column("pills_received", sa.Integer),  # counted forms only
    sa.Column("pill_count", sa.Integer),  # pills left, kept by the Medical job
    sa.Index("ix_medication_orders_student", "student_id"),
)

medication_administrations = sa.Table(
    "medication_administrations",
    metadata,
    id_column("administration_id"),
    fk_column("order_id", "medication_orders.order_id", nullable=False),
    sa.Column("administered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
    sa.Column("status", sa.String(10), nullable=False),  # given, refused, missed
    sa.Index("ix_medication_administrations_order", "order_id"),
)

# Events of the users' calendar shown to one profile (the Medical job's: one per student,
# medication, form, times and school day).
user_calendar_events = sa.Table(
    "user_calendar_events",
    metadata,
    id_column("event_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("start_time", sa.Time),
    sa.Column("end_time", sa.Time),
    sa.Column("title", sa.String(200), nullable=False),
    fk_column("category_id", "calendar_categories.category_id"),
    sa.Column("profile", sa.String(50)),
    fk_column("student_id", "students.student_id"),
    sa.Column("medication", sa.String(100)),
    sa.Column("medication_form", sa.String(30)),
    fk_column("order_id", "medication_orders.order_id"),
    sa.Index("ix_user_calendar_events_school_date", "school_id", "event_date"),
)
