"""Courses, sections, student schedules, course requests and waitlists."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

courses = sa.Table(
    "courses",
    metadata,
    id_column("course_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("course_number", sa.String(10)),  # state course code
    sa.Column("credits", sa.Numeric(4, 2), nullable=False, server_default="1"),
    # Florida class size: core-curricula course counted in Class Size Averages.
    sa.Column("class_size_core", sa.Boolean, nullable=False, server_default=sa.false()),
    # FPS: the Florida program the course belongs to (fps_programs).
    sa.Column("program_number", sa.String(7)),
    # Florida EOC: the short name of the end-of-course exam the course leads to.
    sa.Column("eoc_exam", sa.String(10)),
    sa.UniqueConstraint("school_id", "syear", "short_name", name="uq_courses_name"),
)

# Sections (Focus: course_periods).
course_periods = sa.Table(
    "course_periods",
    metadata,
    id_column("course_period_id"),
    fk_column("course_id", "courses.course_id", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("period_id", "school_periods.period_id", nullable=False),
    fk_column("teacher_id", "staff.staff_id"),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("room", sa.String(20)),
    sa.Column("total_seats", sa.Integer),
    sa.Column("filled_seats", sa.Integer, nullable=False, server_default="0"),
    # Attendance Scanner add-on: students of the section check in at a scanner.
    sa.Column("attendance_scanner", sa.Boolean, nullable=False, server_default=sa.false()),
    # When a section import last created or changed the section (Sync Recent Course Period
    # Changes reads the recent ones).
    sa.Column("imported_at", sa.DateTime(timezone=True)),
    # Cert/Licensure/Qual Status (Update Teacher Certification): IN or OUT of field.
    sa.Column("cert_status", sa.String(3)),
    sa.Index("ix_course_periods_course", "course_id"),
)

schedule = sa.Table(
    "schedule",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("course_id", "courses.course_id", nullable=False),
    fk_column("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    # FPS adult education (Assign LCPs): the record is left alone when set.
    sa.Column("exclude_from_lcp", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("aefl_subject_area", sa.String(10)),
    sa.Column("aefl_initial_level", sa.String(3)),
    sa.Column("aefl_final_level", sa.String(3)),
    sa.Column("lcps", sa.String(10)),  # LCP letters earned, in level order
    sa.Column("pre_test_id", sa.String(4)),  # FLTESTIDs of the tests used
    sa.Column("post_test_id_1", sa.String(4)),
    sa.Column("post_test_id_2", sa.String(4)),
    sa.Column("post_test_id_3", sa.String(4)),
    # FPS: Basic Skills Exam (Focus schedule.custom_31): Y, N or an exemption code.
    sa.Column("basic_skills_exam", sa.String(1)),
    # Florida EOC Course Assessment Status: P passed, F failed, N not tested.
    sa.Column("eoc_assessment_status", sa.String(1)),
    # FPS hours (Attended Hours, WDIS Total Hours): ATTENDED_HOURS, CUSTOM_57 (total),
    # CUSTOM_76/78/80 (survey W/S/F hours) and ATT_HOURS_W/S/F (survey attended hours).
    sa.Column("attended_hours", sa.Numeric(7, 2)),
    sa.Column("total_hours", sa.Numeric(7, 2)),
    sa.Column("survey_w_hours", sa.Numeric(7, 2)),
    sa.Column("survey_s_hours", sa.Numeric(7, 2)),
    sa.Column("survey_f_hours", sa.Numeric(7, 2)),
    sa.Column("att_hours_w", sa.Numeric(7, 2)),
    sa.Column("att_hours_s", sa.Numeric(7, 2)),
    sa.Column("att_hours_f", sa.Numeric(7, 2)),
    # FPS adult fees (Calculate Adult Fees): the record's cost reporting code (the course's
    # program's when empty) and the state's adult fee status, first and second.
    sa.Column("cost_reporting_code", sa.String(3)),
    sa.Column("adult_fee_status_first", sa.String(1)),
    sa.Column("adult_fee_status_second", sa.String(1)),
    sa.UniqueConstraint(
        "student_id", "course_period_id", "start_date", name="uq_schedule_student_section"
    ),
    sa.Index("ix_schedule_section", "course_period_id"),
)

schedule_requests = sa.Table(
    "schedule_requests",
    metadata,
    id_column("request_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("course_id", "courses.course_id", nullable=False),
    sa.Column("source", sa.String(20), nullable=False, server_default="manual"),
    sa.UniqueConstraint("student_id", "syear", "course_id", name="uq_schedule_requests_course"),
)

# Queue of Automatic Course Requests, turned into schedule_requests by the job.
automatic_course_requests = sa.Table(
    "automatic_course_requests",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("course_id", "courses.course_id", nullable=False),
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
    id_column("waitlist_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("student_id", "course_period_id", name="uq_waitlist_student_section"),
)

# Gradebooks a teacher combined by period: the sections of one teacher in one period share a
# gradebook (Sync Recent Course Period Changes adds imported sections to them).
gradebook_period_groups = sa.Table(
    "gradebook_period_groups",
    metadata,
    id_column("group_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("teacher_id", "staff.staff_id", nullable=False),
    fk_column("period_id", "school_periods.period_id", nullable=False),
    sa.UniqueConstraint(
        "syear", "school_id", "teacher_id", "period_id", name="uq_gradebook_period_groups"
    ),
)

gradebook_group_sections = sa.Table(
    "gradebook_group_sections",
    metadata,
    sa.Column(
        "course_period_id",
        sa.Integer,
        sa.ForeignKey("course_periods.course_period_id"),
        primary_key=True,
    ),
    fk_column("group_id", "gradebook_period_groups.group_id", nullable=False),
    sa.Index("ix_gradebook_group_sections_group", "group_id"),
)

# Master Schedule Snapshots: one row per snapshot of a school year's courses, sections and
# student schedules (optionally of some schools only).
master_schedule_snapshots = sa.Table(
    "master_schedule_snapshots",
    metadata,
    id_column("snapshot_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("school_ids", sa.String(200)),  # comma-separated ids; NULL: every school
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("taken_by", sa.String(100), nullable=False),
    sa.Column("courses", sa.Integer, nullable=False),
    sa.Column("sections", sa.Integer, nullable=False),
    sa.Column("schedules", sa.Integer, nullable=False),
)

# Each snapshotted record as a JSON object of its columns, so that columns added to the
# live tables later do not invalidate older snapshots.
master_schedule_snapshot_rows = sa.Table(
    "master_schedule_snapshot_rows",
    metadata,
    sa.Column(
        "snapshot_id",
        sa.Integer,
        sa.ForeignKey("master_schedule_snapshots.snapshot_id"),
        primary_key=True,
    ),
    sa.Column("table_name", sa.String(30), primary_key=True),
    sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.Text, nullable=False),
)
