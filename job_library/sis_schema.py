"""The Focus-like SIS tables the built-in SIS jobs read and write, on the shared metadata."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata

_SHARED = frozenset(metadata.tables)  # the tables defined before this module

# Attendance code categories: a tardy is present, excused and unexcused are absences.
CODE_CATEGORIES = ("present", "excused", "unexcused", "tardy")
ABSENCE_TYPES = ("excused", "unexcused")


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = True, **kw) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target), nullable=nullable, **kw)


# --- District structure ------------------------------------------------------------------

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
    # School preference "Rollover Second School Enrollment Records".
)

grade_levels = sa.Table(
    "grade_levels",
    metadata,
    _id("grade_id"),
    sa.Column("short_name", sa.String(5), nullable=False, unique=True),
    sa.Column("title", sa.String(50), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    _fk("next_grade_id", "grade_levels.grade_id"),
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
    _id("calendar_id"),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
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
    _id("period_id"),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
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
    _id("staff_id"),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    _fk("user_id", "users.user_id"),
)

# --- Students and enrollment -------------------------------------------------------------

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
    _id("code_id"),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("short_name", sa.String(10), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("type", sa.String(4), nullable=False),  # Add or Drop
    sa.CheckConstraint("type in ('Add', 'Drop')", name="ck_enrollment_codes_type"),
    sa.UniqueConstraint("syear", "short_name", name="uq_enrollment_codes_name"),
)

student_enrollment = sa.Table(
    "student_enrollment",
    metadata,
    _id("id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("grade_id", "grade_levels.grade_id", nullable=False),
    _fk("calendar_id", "attendance_calendars.calendar_id", nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    _fk("enrollment_code", "student_enrollment_codes.code_id"),
    _fk("drop_code", "student_enrollment_codes.code_id"),
    # Primary enrollment or a second (dual) school enrollment.
    sa.Column("second_school", sa.Boolean, nullable=False, server_default=sa.false()),
    _fk("next_school", "schools.school_id"),
    # Rolling/Retention: next_grade, retain or do_not_enroll.
    sa.Column("rolling_retention", sa.String(20)),
    _fk("zoned_school_id", "schools.school_id"),
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

# Parsed components of a student address (student_addresses holds the address as entered).
address_parsed = sa.Table(
    "address_parsed",
    metadata,
    sa.Column(
        "address_id",
        sa.Integer,
        sa.ForeignKey("student_addresses.address_id"),
        primary_key=True,
    ),
    sa.Column("house_number", sa.Integer),
    sa.Column("pre_direction", sa.String(2)),
    sa.Column("street_name", sa.String(100)),
    sa.Column("street_type", sa.String(10)),
    sa.Column("post_direction", sa.String(2)),
    sa.Column("unit", sa.String(20)),
    sa.Column("zipcode", sa.String(10)),
    sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=False),
    # Parse Addresses: what was parsed (address|address2|zipcode as entered) and the Address
    # Catalog's fingerprint then; a row is parsed again only when either has changed.
    sa.Column("source", sa.Text),
    sa.Column("catalog_stamp", sa.String(64)),
    # The parsed street is a street of the catalog; why the address could not be parsed.
    sa.Column("in_catalog", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("parse_error", sa.String(200)),
)

# The district's Address Catalog: a street segment and the school it is zoned for.
address_catalog = sa.Table(
    "address_catalog",
    metadata,
    _id("catalog_id"),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("house_number_low", sa.Integer, nullable=False),
    sa.Column("house_number_high", sa.Integer, nullable=False),
    sa.Column("parity", sa.String(4), nullable=False, server_default="both"),  # odd/even/both
    sa.Column("pre_direction", sa.String(2)),
    sa.Column("street_name", sa.String(100), nullable=False),
    sa.Column("street_type", sa.String(10)),
    sa.Column("post_direction", sa.String(2)),
    sa.Column("zipcode", sa.String(10), nullable=False),
    sa.Column("city", sa.String(100)),
    _fk("low_grade_id", "grade_levels.grade_id", nullable=False),
    _fk("high_grade_id", "grade_levels.grade_id", nullable=False),
    _fk("zoned_school_id", "schools.school_id"),
    sa.Column("zoned_district", sa.String(10)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("parity in ('odd', 'even', 'both')", name="ck_address_catalog_parity"),
    sa.Index("ix_address_catalog_street", "street_name", "zipcode"),
)

# --- Attendance ---------------------------------------------------------------------------

attendance_codes = sa.Table(
    "attendance_codes",
    metadata,
    _id("code_id"),
    _fk("syear", "school_years.syear", nullable=False),
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
    _fk("attendance_code", "attendance_codes.code_id", nullable=False),
    _fk("course_period_id", "course_periods.course_period_id"),
    sa.Index("ix_attendance_period_date", "school_date"),
)

# Daily attendance, calculated from period attendance (Recalculate Daily Attendance).
attendance_day = sa.Table(
    "attendance_day",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("school_date", sa.Date, primary_key=True),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
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

# --- Courses, sections and scheduling ----------------------------------------------------

courses = sa.Table(
    "courses",
    metadata,
    _id("course_id"),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("course_number", sa.String(10)),  # state course code
    sa.Column("credits", sa.Numeric(4, 2), nullable=False, server_default="1"),
    # Florida class size: core-curricula course counted in Class Size Averages.
    sa.Column("class_size_core", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("school_id", "syear", "short_name", name="uq_courses_name"),
)

# Sections (Focus: course_periods).
course_periods = sa.Table(
    "course_periods",
    metadata,
    _id("course_period_id"),
    _fk("course_id", "courses.course_id", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("period_id", "school_periods.period_id", nullable=False),
    _fk("teacher_id", "staff.staff_id"),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("room", sa.String(20)),
    sa.Column("total_seats", sa.Integer),
    sa.Column("filled_seats", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_course_periods_course", "course_id"),
)

schedule = sa.Table(
    "schedule",
    metadata,
    _id("id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("course_id", "courses.course_id", nullable=False),
    _fk("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.UniqueConstraint(
        "student_id", "course_period_id", "start_date", name="uq_schedule_student_section"
    ),
    sa.Index("ix_schedule_section", "course_period_id"),
)

schedule_requests = sa.Table(
    "schedule_requests",
    metadata,
    _id("request_id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("course_id", "courses.course_id", nullable=False),
    sa.Column("source", sa.String(20), nullable=False, server_default="manual"),
    sa.UniqueConstraint("student_id", "syear", "course_id", name="uq_schedule_requests_course"),
)

# Queue of Automatic Course Requests, turned into schedule_requests by the job.
automatic_course_requests = sa.Table(
    "automatic_course_requests",
    metadata,
    _id("id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("course_id", "courses.course_id", nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    # The job reads only the rows still queued; processed ones pile up as history.
    sa.Index(
        "ix_automatic_course_requests_queued",
        "syear",
        "school_id",
        postgresql_where=sa.text("processed_at IS NULL"),
        sqlite_where=sa.text("processed_at IS NULL"),
    ),
)

waitlist = sa.Table(
    "waitlist",
    metadata,
    _id("waitlist_id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("student_id", "course_period_id", name="uq_waitlist_student_section"),
)

# --- Discipline: tardy thresholds and detentions -----------------------------------------

tardy_thresholds = sa.Table(
    "tardy_thresholds",
    metadata,
    _id("threshold_id"),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("tardies", sa.Integer, nullable=False),  # tardies in the year that trigger it
    sa.Column("detention_minutes", sa.Integer, nullable=False, server_default="30"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.CheckConstraint("tardies > 0", name="ck_tardy_thresholds_positive"),
    sa.UniqueConstraint("school_id", "syear", "tardies", name="uq_tardy_thresholds_count"),
)

detentions = sa.Table(
    "detentions",
    metadata,
    _id("detention_id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("threshold_id", "tardy_thresholds.threshold_id"),
    sa.Column("incident_date", sa.Date, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("served", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("student_id", "threshold_id", name="uq_detentions_threshold"),
)

# --- Tests ----------------------------------------------------------------------------

standardized_tests = sa.Table(
    "standardized_tests",
    metadata,
    _id("test_id"),
    sa.Column("short_name", sa.String(10), nullable=False, unique=True),
    sa.Column("title", sa.String(100), nullable=False),
)

test_parts = sa.Table(
    "test_parts",
    metadata,
    _id("part_id"),
    _fk("test_id", "standardized_tests.test_id", nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.UniqueConstraint("test_id", "short_name", name="uq_test_parts_name"),
)

test_score_types = sa.Table(
    "test_score_types",
    metadata,
    _id("score_type_id"),
    _fk("test_id", "standardized_tests.test_id", nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),  # SS, LEVEL, FLTESTID, AEFL...
    sa.UniqueConstraint("test_id", "short_name", name="uq_test_score_types_name"),
)

student_tests = sa.Table(
    "student_tests",
    metadata,
    _id("student_test_id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("test_id", "standardized_tests.test_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("test_date", sa.Date, nullable=False),
    sa.Index("ix_student_tests_student", "student_id"),
)

student_test_scores = sa.Table(
    "student_test_scores",
    metadata,
    sa.Column(
        "student_test_id",
        sa.Integer,
        sa.ForeignKey("student_tests.student_test_id"),
        primary_key=True,
    ),
    sa.Column("part_id", sa.Integer, sa.ForeignKey("test_parts.part_id"), primary_key=True),
    sa.Column(
        "score_type_id",
        sa.Integer,
        sa.ForeignKey("test_score_types.score_type_id"),
        primary_key=True,
    ),
    sa.Column("score", sa.String(20)),
)

# --- Course history, GPA and class rank --------------------------------------------------

course_history = sa.Table(
    "course_history",
    metadata,
    _id("id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    sa.Column("course_title", sa.String(100), nullable=False),
    sa.Column("grade_letter", sa.String(3)),
    sa.Column("grade_points", sa.Numeric(4, 2)),
    sa.Column("weighted_points", sa.Numeric(4, 2)),
    sa.Column("credits_earned", sa.Numeric(4, 2), nullable=False),
    sa.Column("affects_gpa", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_course_history_student", "student_id"),
)

student_gpa = sa.Table(
    "student_gpa",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("syear", sa.Integer, sa.ForeignKey("school_years.syear"), primary_key=True),
    _fk("school_id", "schools.school_id", nullable=False),
    sa.Column("gpa", sa.Numeric(5, 3)),
    sa.Column("weighted_gpa", sa.Numeric(5, 3)),
    sa.Column("class_rank", sa.Integer),
    sa.Column("class_size", sa.Integer),
)

# --- Florida class size ------------------------------------------------------------------

florida_classsize_counts = sa.Table(
    "florida_classsize_counts",
    metadata,
    _id("id"),
    _fk("school_id", "schools.school_id", nullable=False),
    _fk("syear", "school_years.syear", nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("grade_group", sa.String(10), nullable=False),  # PK-3, 4-8, 9-12
    sa.Column("sections", sa.Integer, nullable=False),
    sa.Column("students", sa.Integer, nullable=False),
    sa.Column("average", sa.Numeric(6, 2), nullable=False),
    sa.UniqueConstraint(
        "school_id", "syear", "effective_date", "grade_group", name="uq_florida_classsize"
    ),
)

# --- Health: immunizations ---------------------------------------------------------------

immunization_requirements = sa.Table(
    "immunization_requirements",
    metadata,
    _id("requirement_id"),
    _fk("syear", "school_years.syear", nullable=False),
    _fk("grade_id", "grade_levels.grade_id"),  # null: every grade
    sa.Column("vaccine", sa.String(20), nullable=False),
    sa.Column("doses_required", sa.Integer, nullable=False),
    sa.UniqueConstraint("syear", "grade_id", "vaccine", name="uq_immunization_requirements"),
)

immunization_records = sa.Table(
    "immunization_records",
    metadata,
    _id("record_id"),
    _fk("student_id", "students.student_id", nullable=False),
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

# --- Student support services: MTSS, ESE, portal alerts ----------------------------------

mtss_events = sa.Table(
    "mtss_events",
    metadata,
    _id("event_id"),
    _fk("student_id", "students.student_id", nullable=False),
    _fk("school_id", "schools.school_id", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("inactivated_on", sa.Date),
    sa.Index("ix_mtss_events_student", "student_id"),
)

ese_records = sa.Table(
    "ese_records",
    metadata,
    _id("ese_id"),
    _fk("student_id", "students.student_id", nullable=False),
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
    _id("alert_id"),
    _fk("student_id", "students.student_id", nullable=False),
    sa.Column("alert_type", sa.String(30), nullable=False),  # sss_event, cte_absences...
    sa.Column("profile", sa.String(50)),  # the profile shown the alert
    _fk("user_id", "users.user_id"),  # or a single user
    _fk("school_id", "schools.school_id"),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Index("ix_portal_alerts_student", "student_id", "alert_type"),
)

# Every table of this module, parents before children (for bulk loads and cleanup).
SIS_TABLES: tuple[sa.Table, ...] = tuple(t for t in metadata.sorted_tables if t.name not in _SHARED)
