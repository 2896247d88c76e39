"""School Choice: programs, the students' applications to them and their audit log."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

school_choice_programs = sa.Table(
    "school_choice_programs",
    metadata,
    id_column("program_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("program_type", sa.String(10), nullable=False),  # Choice, Magnet or SPA
)

# One row per application to a program (Focus's school_choice_application_status), with the
# enrollment facts the School Choice Reports show; Refresh Choice Data keeps those current.
school_choice_application_status = sa.Table(
    "school_choice_application_status",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),  # the application year
    fk_column("program_id", "school_choice_programs.program_id", nullable=False),
    sa.Column("choice_rank", sa.Integer),
    # Waiting, Accepted, Declined, Waitlisted, Pending Acceptance (districts rename them).
    sa.Column("status", sa.String(30), nullable=False),
    fk_column("current_school_id", "schools.school_id"),
    fk_column("current_grade_id", "grade_levels.grade_id"),
    fk_column("zoned_school_id", "schools.school_id"),
    fk_column("next_zoned_school_id", "schools.school_id"),
    sa.Column("refreshed_at", sa.DateTime(timezone=True)),
    sa.Index("ix_school_choice_application_status_year", "syear", "status"),
)

school_choice_audit_log = sa.Table(
    "school_choice_audit_log",
    metadata,
    id_column("audit_id"),
    fk_column("status_id", "school_choice_application_status.id", nullable=False),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("changes", sa.Text, nullable=False),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("logged_by", sa.String(100), nullable=False),
    sa.Index("ix_school_choice_audit_log_status", "status_id"),
)
