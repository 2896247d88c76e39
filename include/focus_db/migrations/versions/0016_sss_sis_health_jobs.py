"""SSS IEP events with their Matrix of Services and Schedule of Services forms; School Choice
applications and their audit log; Medical orders, administrations, calendar categories and
events; the gradebook and its stored running grades."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0021"

_TABLES = (
    "gradebook_running_grades",
    "gradebook_grades",
    "gradebook_assignments",
    "gradebook_categories",
    "gradebook_config",
    "marking_periods",
    "user_calendar_events",
    "medication_administrations",
    "medication_orders",
    "calendar_categories",
    "school_choice_audit_log",
    "school_choice_application_status",
    "school_choice_programs",
    "sss_schedule_of_services",
    "sss_matrix_forms",
    "sss_events",
)


def upgrade() -> None:
    op.create_table(
        "sss_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("services_start_date", sa.Date(), nullable=True),
        sa.Column("locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_sss_events_student", "sss_events", ["student_id"], unique=False)
    op.create_table(
        "sss_matrix_forms",
        sa.Column("form_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("cost_factor", sa.String(length=3), nullable=True),
        sa.Column("fefp_code", sa.String(length=3), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["sss_events.event_id"]),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_index("ix_sss_matrix_forms_event", "sss_matrix_forms", ["event_id"], unique=False)
    op.create_table(
        "sss_schedule_of_services",
        sa.Column("form_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("minutes_with_non_disabled", sa.Integer(), nullable=True),
        sa.Column("minutes_total_week", sa.Integer(), nullable=True),
        sa.Column("idea_environment", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["sss_events.event_id"]),
        sa.PrimaryKeyConstraint("form_id"),
    )
    op.create_index(
        "ix_sss_schedule_of_services_event",
        "sss_schedule_of_services",
        ["event_id"],
        unique=False,
    )

    op.create_table(
        "school_choice_programs",
        sa.Column("program_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("program_type", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("program_id"),
    )
    op.create_table(
        "school_choice_application_status",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("choice_rank", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("current_school_id", sa.Integer(), nullable=True),
        sa.Column("current_grade_id", sa.Integer(), nullable=True),
        sa.Column("zoned_school_id", sa.Integer(), nullable=True),
        sa.Column("next_zoned_school_id", sa.Integer(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["current_grade_id"], ["grade_levels.grade_id"]),
        sa.ForeignKeyConstraint(["current_school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["next_zoned_school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["program_id"], ["school_choice_programs.program_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.ForeignKeyConstraint(["syear"], ["school_years.syear"]),
        sa.ForeignKeyConstraint(["zoned_school_id"], ["schools.school_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_school_choice_application_status_year",
        "school_choice_application_status",
        ["syear", "status"],
        unique=False,
    )
    op.create_table(
        "school_choice_audit_log",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["status_id"], ["school_choice_application_status.id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    op.create_index(
        "ix_school_choice_audit_log_status",
        "school_choice_audit_log",
        ["status_id"],
        unique=False,
    )

    op.create_table(
        "calendar_categories",
        sa.Column("category_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("category_id"),
        sa.UniqueConstraint("title"),
    )
    op.create_table(
        "medication_orders",
        sa.Column("order_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("medication", sa.String(length=100), nullable=False),
        sa.Column("medication_form", sa.String(length=30), nullable=True),
        sa.Column("dosage", sa.String(length=50), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("admin_start", sa.Time(), nullable=True),
        sa.Column("admin_end", sa.Time(), nullable=True),
        sa.Column("pills_received", sa.Integer(), nullable=True),
        sa.Column("pill_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index(
        "ix_medication_orders_student", "medication_orders", ["student_id"], unique=False
    )
    op.create_table(
        "medication_administrations",
        sa.Column("administration_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("administered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["medication_orders.order_id"]),
        sa.PrimaryKeyConstraint("administration_id"),
    )
    op.create_index(
        "ix_medication_administrations_order",
        "medication_administrations",
        ["order_id"],
        unique=False,
    )
    op.create_table(
        "user_calendar_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(length=50), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("medication", sa.String(length=100), nullable=True),
        sa.Column("medication_form", sa.String(length=30), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["calendar_categories.category_id"]),
        sa.ForeignKeyConstraint(["order_id"], ["medication_orders.order_id"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_user_calendar_events_school_date",
        "user_calendar_events",
        ["school_id", "event_date"],
        unique=False,
    )

    op.create_table(
        "marking_periods",
        sa.Column("marking_period_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("mp_type", sa.String(length=4), nullable=False),
        sa.Column("short_name", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["syear"], ["school_years.syear"]),
        sa.PrimaryKeyConstraint("marking_period_id"),
    )
    op.create_index(
        "ix_marking_periods_school_year", "marking_periods", ["school_id", "syear"], unique=False
    )
    op.create_table(
        "gradebook_config",
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("weighted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.PrimaryKeyConstraint("course_period_id"),
    )
    op.create_table(
        "gradebook_categories",
        sa.Column("category_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.PrimaryKeyConstraint("category_id"),
    )
    op.create_table(
        "gradebook_assignments",
        sa.Column("assignment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("marking_period_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["gradebook_categories.category_id"]),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.ForeignKeyConstraint(["marking_period_id"], ["marking_periods.marking_period_id"]),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_index(
        "ix_gradebook_assignments_section",
        "gradebook_assignments",
        ["course_period_id", "marking_period_id"],
        unique=False,
    )
    op.create_table(
        "gradebook_grades",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("exempt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["gradebook_assignments.assignment_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("student_id", "assignment_id"),
    )
    op.create_table(
        "gradebook_running_grades",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("marking_period_id", sa.Integer(), nullable=False),
        sa.Column("grade_type", sa.String(length=2), nullable=False),
        sa.Column("percent", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.ForeignKeyConstraint(["marking_period_id"], ["marking_periods.marking_period_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint(
            "student_id", "course_period_id", "marking_period_id", "grade_type"
        ),
    )


def downgrade() -> None:
    # Children first; the indexes go with their tables.
    for name in _TABLES:
        op.drop_table(name)
