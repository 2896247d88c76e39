"""The SIS: schools, calendars, students, enrollment, attendance, scheduling, tests, health, SSS."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "grade_levels",
        sa.Column("grade_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("short_name", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("next_grade_id", sa.Integer(), nullable=True),
        sa.Column("used_for_zoning", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_roll_into", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["next_grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.PrimaryKeyConstraint("grade_id"),
        sa.UniqueConstraint("short_name"),
    )
    op.create_table(
        "school_years",
        sa.Column("syear", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("syear"),
    )
    op.create_table(
        "schools",
        sa.Column("school_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("school_number", sa.String(length=10), nullable=False),
        sa.Column("district_number", sa.String(length=10), nullable=False),
        sa.Column("adult_ed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("full_day_minutes", sa.Integer(), server_default="300", nullable=False),
        sa.Column("half_day_minutes", sa.Integer(), server_default="150", nullable=False),
        sa.Column(
            "rollover_second_school", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.PrimaryKeyConstraint("school_id"),
        sa.UniqueConstraint("short_name"),
    )
    op.create_table(
        "standardized_tests",
        sa.Column("test_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("short_name", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("test_id"),
        sa.UniqueConstraint("short_name"),
    )
    op.create_table(
        "students",
        sa.Column("student_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=1), nullable=True),
        sa.Column("fleid", sa.String(length=14), nullable=True),
        sa.Column("ese_code", sa.String(length=5), nullable=True),
        sa.Column("charter_mckay", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("student_id"),
        sa.UniqueConstraint("fleid"),
    )
    op.create_table(
        "address_catalog",
        sa.Column("catalog_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("house_number_low", sa.Integer(), nullable=False),
        sa.Column("house_number_high", sa.Integer(), nullable=False),
        sa.Column("parity", sa.String(length=4), server_default="both", nullable=False),
        sa.Column("pre_direction", sa.String(length=2), nullable=True),
        sa.Column("street_name", sa.String(length=100), nullable=False),
        sa.Column("street_type", sa.String(length=10), nullable=True),
        sa.Column("post_direction", sa.String(length=2), nullable=True),
        sa.Column("zipcode", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("low_grade_id", sa.Integer(), nullable=False),
        sa.Column("high_grade_id", sa.Integer(), nullable=False),
        sa.Column("zoned_school_id", sa.Integer(), nullable=True),
        sa.Column("zoned_district", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("parity in ('odd', 'even', 'both')", name="ck_address_catalog_parity"),
        sa.ForeignKeyConstraint(
            ["high_grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.ForeignKeyConstraint(
            ["low_grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["zoned_school_id"],
            ["schools.school_id"],
        ),
        sa.PrimaryKeyConstraint("catalog_id"),
    )
    op.create_index(
        "ix_address_catalog_street", "address_catalog", ["street_name", "zipcode"], unique=False
    )
    op.create_table(
        "address_parsed",
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("house_number", sa.Integer(), nullable=True),
        sa.Column("pre_direction", sa.String(length=2), nullable=True),
        sa.Column("street_name", sa.String(length=100), nullable=True),
        sa.Column("street_type", sa.String(length=10), nullable=True),
        sa.Column("post_direction", sa.String(length=2), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("zipcode", sa.String(length=10), nullable=True),
        sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["student_addresses.address_id"],
        ),
        sa.PrimaryKeyConstraint("address_id"),
    )
    op.create_table(
        "attendance_calendars",
        sa.Column("calendar_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("calendar_id"),
        sa.UniqueConstraint("school_id", "syear", "title", name="uq_attendance_calendars_title"),
    )
    op.create_table(
        "attendance_codes",
        sa.Column("code_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("disciplinary", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "category in ('present', 'excused', 'unexcused', 'tardy')",
            name="ck_attendance_codes_category",
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("code_id"),
        sa.UniqueConstraint("syear", "short_name", name="uq_attendance_codes_name"),
    )
    op.create_table(
        "attendance_day",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_date", sa.Date(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("minutes_present", sa.Integer(), nullable=False),
        sa.Column("state_value", sa.Numeric(precision=2, scale=1), nullable=False),
        sa.Column("absence_type", sa.String(length=10), nullable=True),
        sa.Column("disciplinary", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "absence_type is null or absence_type in ('excused', 'unexcused')",
            name="ck_attendance_day_absence_type",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("student_id", "school_date"),
    )
    op.create_index(
        "ix_attendance_day_school_date",
        "attendance_day",
        ["school_id", "school_date"],
        unique=False,
    )
    op.create_table(
        "course_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_title", sa.String(length=100), nullable=False),
        sa.Column("grade_letter", sa.String(length=3), nullable=True),
        sa.Column("grade_points", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("weighted_points", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("credits_earned", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("affects_gpa", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_course_history_student", "course_history", ["student_id"], unique=False)
    op.create_table(
        "courses",
        sa.Column("course_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("course_number", sa.String(length=10), nullable=True),
        sa.Column("credits", sa.Numeric(precision=4, scale=2), server_default="1", nullable=False),
        sa.Column("class_size_core", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("course_id"),
        sa.UniqueConstraint("school_id", "syear", "short_name", name="uq_courses_name"),
    )
    op.create_table(
        "ese_records",
        sa.Column("ese_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("exceptionality", sa.String(length=5), nullable=False),
        sa.Column(
            "primary_exceptionality", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("service_type", sa.String(length=1), nullable=True),
        sa.Column("dismissal_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("ese_id"),
    )
    op.create_index("ix_ese_records_student", "ese_records", ["student_id"], unique=False)
    op.create_table(
        "florida_classsize_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("grade_group", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.Integer(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("average", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "school_id", "syear", "effective_date", "grade_group", name="uq_florida_classsize"
        ),
    )
    op.create_table(
        "immunization_records",
        sa.Column("record_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("vaccine", sa.String(length=20), nullable=False),
        sa.Column("dose_date", sa.Date(), nullable=False),
        sa.Column("exempt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("record_id"),
        sa.UniqueConstraint("student_id", "vaccine", "dose_date", name="uq_immunization_dose"),
    )
    op.create_table(
        "immunization_requirements",
        sa.Column("requirement_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=True),
        sa.Column("vaccine", sa.String(length=20), nullable=False),
        sa.Column("doses_required", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("requirement_id"),
        sa.UniqueConstraint("syear", "grade_id", "vaccine", name="uq_immunization_requirements"),
    )
    op.create_table(
        "mtss_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("inactivated_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_mtss_events_student", "mtss_events", ["student_id"], unique=False)
    op.create_table(
        "portal_alerts",
        sa.Column("alert_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("alert_type", sa.String(length=30), nullable=False),
        sa.Column("profile", sa.String(length=50), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index(
        "ix_portal_alerts_student", "portal_alerts", ["student_id", "alert_type"], unique=False
    )
    op.create_table(
        "school_grade_levels",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.PrimaryKeyConstraint("school_id", "grade_id"),
    )
    op.create_table(
        "school_periods",
        sa.Column("period_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("length_minutes", sa.Integer(), nullable=False),
        sa.Column("attendance", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("period_id"),
        sa.UniqueConstraint("school_id", "syear", "short_name", name="uq_school_periods_name"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "student_enrollment_codes",
        sa.Column("code_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=4), nullable=False),
        sa.CheckConstraint("type in ('Add', 'Drop')", name="ck_enrollment_codes_type"),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("code_id"),
        sa.UniqueConstraint("syear", "short_name", name="uq_enrollment_codes_name"),
    )
    op.create_table(
        "student_gpa",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("gpa", sa.Numeric(precision=5, scale=3), nullable=True),
        sa.Column("weighted_gpa", sa.Numeric(precision=5, scale=3), nullable=True),
        sa.Column("class_rank", sa.Integer(), nullable=True),
        sa.Column("class_size", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("student_id", "syear"),
    )
    op.create_table(
        "student_tests",
        sa.Column("student_test_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["standardized_tests.test_id"],
        ),
        sa.PrimaryKeyConstraint("student_test_id"),
    )
    op.create_index("ix_student_tests_student", "student_tests", ["student_id"], unique=False)
    op.create_table(
        "tardy_thresholds",
        sa.Column("threshold_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("tardies", sa.Integer(), nullable=False),
        sa.Column("detention_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.CheckConstraint("tardies > 0", name="ck_tardy_thresholds_positive"),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("threshold_id"),
        sa.UniqueConstraint("school_id", "syear", "tardies", name="uq_tardy_thresholds_count"),
    )
    op.create_table(
        "test_parts",
        sa.Column("part_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["standardized_tests.test_id"],
        ),
        sa.PrimaryKeyConstraint("part_id"),
        sa.UniqueConstraint("test_id", "short_name", name="uq_test_parts_name"),
    )
    op.create_table(
        "test_score_types",
        sa.Column("score_type_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["standardized_tests.test_id"],
        ),
        sa.PrimaryKeyConstraint("score_type_id"),
        sa.UniqueConstraint("test_id", "short_name", name="uq_test_score_types_name"),
    )
    op.create_table(
        "attendance_calendar",
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("school_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), server_default="360", nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["attendance_calendars.calendar_id"],
        ),
        sa.PrimaryKeyConstraint("calendar_id", "school_date"),
    )
    op.create_table(
        "automatic_course_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.course_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "course_periods",
        sa.Column("course_period_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=True),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("room", sa.String(length=20), nullable=True),
        sa.Column("total_seats", sa.Integer(), nullable=True),
        sa.Column("filled_seats", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.course_id"],
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["school_periods.period_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["staff.staff_id"],
        ),
        sa.PrimaryKeyConstraint("course_period_id"),
    )
    op.create_index("ix_course_periods_course", "course_periods", ["course_id"], unique=False)
    op.create_table(
        "detentions",
        sa.Column("detention_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("threshold_id", sa.Integer(), nullable=True),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("served", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["threshold_id"],
            ["tardy_thresholds.threshold_id"],
        ),
        sa.PrimaryKeyConstraint("detention_id"),
        sa.UniqueConstraint("student_id", "threshold_id", name="uq_detentions_threshold"),
    )
    op.create_table(
        "immunization_compliance",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("doses_received", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["immunization_requirements.requirement_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("student_id", "requirement_id"),
    )
    op.create_table(
        "schedule_requests",
        sa.Column("request_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), server_default="manual", nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.course_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("request_id"),
        sa.UniqueConstraint("student_id", "syear", "course_id", name="uq_schedule_requests_course"),
    )
    op.create_table(
        "student_enrollment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("enrollment_code", sa.Integer(), nullable=True),
        sa.Column("drop_code", sa.Integer(), nullable=True),
        sa.Column("second_school", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("next_school", sa.Integer(), nullable=True),
        sa.Column("rolling_retention", sa.String(length=20), nullable=True),
        sa.Column("zoned_school_id", sa.Integer(), nullable=True),
        sa.Column("zoned_district", sa.String(length=10), nullable=True),
        sa.Column("days_enrolled", sa.Integer(), nullable=True),
        sa.Column("days_present", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("days_excused", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("days_unexcused", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("fl_days_present", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("fl_days_absent", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("fl_days_absent_not_disc", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["attendance_calendars.calendar_id"],
        ),
        sa.ForeignKeyConstraint(
            ["drop_code"],
            ["student_enrollment_codes.code_id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_code"],
            ["student_enrollment_codes.code_id"],
        ),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["grade_levels.grade_id"],
        ),
        sa.ForeignKeyConstraint(
            ["next_school"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["zoned_school_id"],
            ["schools.school_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "student_id", "syear", "school_id", "start_date", name="uq_student_enrollment_start"
        ),
    )
    op.create_index(
        "ix_student_enrollment_school_year",
        "student_enrollment",
        ["school_id", "syear"],
        unique=False,
    )
    op.create_index(
        "ix_student_enrollment_student", "student_enrollment", ["student_id", "syear"], unique=False
    )
    op.create_table(
        "student_test_scores",
        sa.Column("student_test_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("score_type_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["test_parts.part_id"],
        ),
        sa.ForeignKeyConstraint(
            ["score_type_id"],
            ["test_score_types.score_type_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_test_id"],
            ["student_tests.student_test_id"],
        ),
        sa.PrimaryKeyConstraint("student_test_id", "part_id", "score_type_id"),
    )
    op.create_table(
        "attendance_period",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_date", sa.Date(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("attendance_code", sa.Integer(), nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendance_code"],
            ["attendance_codes.code_id"],
        ),
        sa.ForeignKeyConstraint(
            ["course_period_id"],
            ["course_periods.course_period_id"],
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["school_periods.period_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("student_id", "school_date", "period_id"),
    )
    op.create_index("ix_attendance_period_date", "attendance_period", ["school_date"], unique=False)
    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.course_id"],
        ),
        sa.ForeignKeyConstraint(
            ["course_period_id"],
            ["course_periods.course_period_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "student_id", "course_period_id", "start_date", name="uq_schedule_student_section"
        ),
    )
    op.create_index("ix_schedule_section", "schedule", ["course_period_id"], unique=False)
    op.create_table(
        "waitlist",
        sa.Column("waitlist_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_period_id"],
            ["course_periods.course_period_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("waitlist_id"),
        sa.UniqueConstraint("student_id", "course_period_id", name="uq_waitlist_student_section"),
    )


def downgrade() -> None:
    for table in (
        "waitlist",
        "schedule",
        "attendance_period",
        "student_test_scores",
        "student_enrollment",
        "schedule_requests",
        "immunization_compliance",
        "detentions",
        "course_periods",
        "automatic_course_requests",
        "attendance_calendar",
        "test_score_types",
        "test_parts",
        "tardy_thresholds",
        "student_tests",
        "student_gpa",
        "student_enrollment_codes",
        "staff",
        "school_periods",
        "school_grade_levels",
        "portal_alerts",
        "mtss_events",
        "immunization_requirements",
        "immunization_records",
        "florida_classsize_counts",
        "ese_records",
        "courses",
        "course_history",
        "attendance_day",
        "attendance_codes",
        "attendance_calendars",
        "address_parsed",
        "address_catalog",
        "students",
        "standardized_tests",
        "schools",
        "school_years",
        "grade_levels",
    ):
        op.drop_table(table)
