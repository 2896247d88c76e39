"""Students and their enrollment records, with the enrollment codes."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

students = sa.Table(
    "students",
    metadata,
    sa.Column("student_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    sa.Column("birthdate", sa.Date),
    sa.Column("gender", sa.String(1)),
    sa.Column("fleid", sa.String(14), unique=True),  # Florida student identifier
    sa.Column("ese_code", sa.String(5)),  # ESE FEFP code (Focus custom_698)
    sa.Column("charter_mckay", sa.String(20)),  # district's Charter/McKay field
)

student_enrollment_codes = sa.Table(
    "student_enrollment_codes",
    metadata,
    id_column("code_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("short_name", sa.String(10), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("type", sa.String(4), nullable=False),  # Add or Drop
    sa.CheckConstraint("type in ('Add', 'Drop')", name="ck_enrollment_codes_type"),
    sa.UniqueConstraint("syear", "short_name", name="uq_enrollment_codes_name"),
)

student_enrollment = sa.Table(
    "student_enrollment",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("grade_id", "grade_levels.grade_id", nullable=False),
    fk_column("calendar_id", "attendance_calendars.calendar_id", nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    fk_column("enrollment_code", "student_enrollment_codes.code_id"),
    fk_column("drop_code", "student_enrollment_codes.code_id"),
    # Primary enrollment or a second (dual) school enrollment.
    sa.Column("second_school", sa.Boolean, nullable=False, server_default=sa.false()),
    fk_column("next_school", "schools.school_id"),
    # Rolling/Retention: next_grade, retain or do_not_enroll.
    sa.Column("rolling_retention", sa.String(20)),
    fk_column("zoned_school_id", "schools.school_id"),
    sa.Column("zoned_district", sa.String(10)),
    # Attendance Summary Calculation.
    sa.Column("days_enrolled", sa.Integer),
    sa.Column("days_present", sa.Numeric(5, 1)),
    sa.Column("days_excused", sa.Numeric(5, 1)),
    sa.Column("days_unexcused", sa.Numeric(5, 1)),
    # EOY Attendance Calculation (Florida).
    sa.Column("fl_days_present", sa.Numeric(5, 1)),
    sa.Column("fl_days_absent", sa.Numeric(5, 1)),
    sa.Column("fl_days_absent_not_disc", sa.Numeric(5, 1)),
    sa.UniqueConstraint(
        "student_id", "syear", "school_id", "start_date", name="uq_student_enrollment_start"
    ),
    sa.Index("ix_student_enrollment_school_year", "school_id", "syear"),
    sa.Index("ix_student_enrollment_student", "student_id", "syear"),
)
