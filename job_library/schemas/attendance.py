"""Attendance codes, period attendance as taken and daily attendance as calculated."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

# Attendance code categories: a tardy is present, excused and unexcused are absences.
CODE_CATEGORIES = ("present", "excused", "unexcused", "tardy")
ABSENCE_TYPES = ("excused", "unexcused")

attendance_codes = sa.Table(
    "attendance_codes",
    metadata,
    id_column("code_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("short_name", sa.String(10), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("category", sa.String(10), nullable=False),
    # Out-of-school suspension: a disciplinary absence (Florida fl_days_absent_not_disc).
    sa.Column("disciplinary", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint(
        "category in ('present', 'excused', 'unexcused', 'tardy')",
        name="ck_attendance_codes_category",
    ),
    sa.UniqueConstraint("syear", "short_name", name="uq_attendance_codes_name"),
)

# Period attendance as teachers take it; a period without a record counts as present.
attendance_period = sa.Table(
    "attendance_period",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("school_date", sa.Date, primary_key=True),
    sa.Column("period_id", sa.Integer, sa.ForeignKey("school_periods.period_id"), primary_key=True),
    fk_column("attendance_code", "attendance_codes.code_id", nullable=False),
    fk_column("course_period_id", "course_periods.course_period_id"),
    sa.Index("ix_attendance_period_date", "school_date"),
)

# Daily attendance, calculated from period attendance (Recalculate Daily Attendance).
attendance_day = sa.Table(
    "attendance_day",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("school_date", sa.Date, primary_key=True),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("minutes_present", sa.Integer, nullable=False),
    sa.Column("state_value", sa.Numeric(2, 1), nullable=False),  # 1.0, 0.5 or 0.0
    # Set when state_value < 1: unexcused if any absent period was unexcused.
    sa.Column("absence_type", sa.String(10)),
    sa.Column("disciplinary", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint(
        "absence_type is null or absence_type in ('excused', 'unexcused')",
        name="ck_attendance_day_absence_type",
    ),
    sa.Index("ix_attendance_day_school_date", "school_id", "school_date"),
)

# Attendance Scanner add-on: one row per student check-in at a section's scanner.
attendance_scanner_logins = sa.Table(
    "attendance_scanner_logins",
    metadata,
    id_column("login_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("school_date", sa.Date, nullable=False),
    sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_attendance_scanner_logins_date", "school_date", "course_period_id"),
)

# Florida WDIS survey windows of a school year: W (winter/spring), S (summer), F (fall).
fl_survey_periods = sa.Table(
    "fl_survey_periods",
    metadata,
    sa.Column("syear", sa.Integer, sa.ForeignKey("school_years.syear"), primary_key=True),
    sa.Column("survey", sa.String(1), primary_key=True),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.CheckConstraint("survey in ('W', 'S', 'F')", name="ck_fl_survey_periods_survey"),
)
