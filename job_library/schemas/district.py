"""District structure: school years, schools, grade levels, calendars, periods, staff."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

school_years = sa.Table(
    "school_years",
    metadata,
    sa.Column("syear", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.String(20), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    # The district's default school year (System Preferences): jobs default to it.
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
)

schools = sa.Table(
    "schools",
    metadata,
    sa.Column("school_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False, unique=True),
    sa.Column("school_number", sa.String(10), nullable=False),  # state school number
    sa.Column("district_number", sa.String(10), nullable=False),
    sa.Column("adult_ed", sa.Boolean, nullable=False, server_default=sa.false()),
    # Daily attendance: present minutes needed for a full day and for a half day.
    sa.Column("full_day_minutes", sa.Integer, nullable=False, server_default="300"),
    sa.Column("half_day_minutes", sa.Integer, nullable=False, server_default="150"),
)

grade_levels = sa.Table(
    "grade_levels",
    metadata,
    id_column("grade_id"),
    sa.Column("short_name", sa.String(5), nullable=False, unique=True),
    sa.Column("title", sa.String(50), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    fk_column("next_grade_id", "grade_levels.grade_id"),
    sa.Column("used_for_zoning", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_roll_into", sa.Boolean, nullable=False, server_default=sa.true()),
)

# Which grade levels each school offers (Set Next School checks the next grade exists).
school_grade_levels = sa.Table(
    "school_grade_levels",
    metadata,
    sa.Column("school_id", sa.Integer, sa.ForeignKey("schools.school_id"), primary_key=True),
    sa.Column("grade_id", sa.Integer, sa.ForeignKey("grade_levels.grade_id"), primary_key=True),
)

attendance_calendars = sa.Table(
    "attendance_calendars",
    metadata,
    id_column("calendar_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("school_id", "syear", "title", name="uq_attendance_calendars_title"),
)

# One row per school day of a calendar (Focus: attendance_calendar).
attendance_calendar = sa.Table(
    "attendance_calendar",
    metadata,
    sa.Column(
        "calendar_id",
        sa.Integer,
        sa.ForeignKey("attendance_calendars.calendar_id"),
        primary_key=True,
    ),
    sa.Column("school_date", sa.Date, primary_key=True),
    sa.Column("minutes", sa.Integer, nullable=False, server_default="360"),
)

school_periods = sa.Table(
    "school_periods",
    metadata,
    id_column("period_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("short_name", sa.String(10), nullable=False),
    sa.Column("title", sa.String(50), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Column("length_minutes", sa.Integer, nullable=False),
    sa.Column("attendance", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("school_id", "syear", "short_name", name="uq_school_periods_name"),
)

staff = sa.Table(
    "staff",
    metadata,
    id_column("staff_id"),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    fk_column("user_id", "users.user_id"),
)
