"""Course history and the GPA and class rank calculated from it."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

course_history = sa.Table(
    "course_history",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("course_title", sa.String(100), nullable=False),
    sa.Column("grade_letter", sa.String(3)),
    sa.Column("grade_points", sa.Numeric(4, 2)),
    sa.Column("weighted_points", sa.Numeric(4, 2)),
    sa.Column("credits_earned", sa.Numeric(4, 2), nullable=False),
    sa.Column("affects_gpa", sa.Boolean, nullable=False, server_default=sa.true()),
    # The graduation requirement subject the credit counts toward (grad_requirements).
    sa.Column("grad_subject", sa.String(20)),
    # Taken online: counts toward the online course graduation requirement.
    sa.Column("online", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_course_history_student", "student_id"),
)

student_gpa = sa.Table(
    "student_gpa",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("syear", sa.Integer, sa.ForeignKey("school_years.syear"), primary_key=True),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("gpa", sa.Numeric(5, 3)),
    sa.Column("weighted_gpa", sa.Numeric(5, 3)),
    sa.Column("class_rank", sa.Integer),
    sa.Column("class_size", sa.Integer),
)

# The district's graduation requirements: credits needed per subject (NULL subject: total
# credits of any subject).
grad_requirements = sa.Table(
    "grad_requirements",
    metadata,
    id_column("requirement_id"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(20), unique=True),
    sa.Column("credits_required", sa.Numeric(5, 2), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
)

# Populate Graduation Requirements Summary: one row per student and requirement.
grad_requirements_summary = sa.Table(
    "grad_requirements_summary",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column(
        "requirement_id",
        sa.Integer,
        sa.ForeignKey("grad_requirements.requirement_id"),
        primary_key=True,
    ),
    sa.Column("grade_level", sa.String(5), nullable=False),
    sa.Column("credits_required", sa.Numeric(5, 2), nullable=False),
    sa.Column("credits_earned", sa.Numeric(6, 2), nullable=False),
    sa.Column("credits_remaining", sa.Numeric(6, 2), nullable=False),
    sa.Column("met", sa.Boolean, nullable=False),
)

# A graduation requirement waived for a student (requirement 'online_course': the online
# course requirement, for Online Course Req. Populate Student Field).
graduation_waivers = sa.Table(
    "graduation_waivers",
    metadata,
    id_column("id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("requirement", sa.String(30), nullable=False),
    sa.Column("granted_on", sa.Date, nullable=False),
    sa.UniqueConstraint("student_id", "requirement", name="uq_graduation_waivers"),
)


# The gradebook: marking periods, each section's categories (weighted when the teacher's
# configuration says so), assignments in a quarter, and the students' scores.
marking_periods = sa.Table(
    "marking_periods",
    metadata,
    id_column("marking_period_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("mp_type", sa.String(4), nullable=False),  # QTR, SEM, FY
    sa.Column("short_name", sa.String(10), nullable=False),
    sa.Column("title", sa.String(50), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Index("ix_marking_periods_school_year", "school_id", "syear"),
)

gradebook_config = sa.Table(
    "gradebook_config",
    metadata,
    sa.Column(
        "course_period_id",
        sa.Integer,
        sa.ForeignKey("course_periods.course_period_id"),
        primary_key=True,
    ),
    # Weight grades by assignment category (the weights of a section's categories).
    sa.Column("weighted", sa.Boolean, nullable=False, server_default=sa.false()),
)

gradebook_categories = sa.Table(
    "gradebook_categories",
    metadata,
    id_column("category_id"),
    fk_column("course_period_id", "course_periods.course_period_id", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("weight", sa.Numeric(5, 2)),  # percent of the final grade, when weighted
)

gradebook_assignments = sa.Table(
    "gradebook_assignments",
    metadata,
    id_column("assignment_id"),
    fk_column("course_period_id", "course_periods.course_period_id", nullable=False),
    fk_column("category_id", "gradebook_categories.category_id", nullable=False),
    fk_column("marking_period_id", "marking_periods.marking_period_id", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("points", sa.Numeric(6, 2), nullable=False),  # points possible
    sa.Column("due_date", sa.Date),
    sa.Index("ix_gradebook_assignments_section", "course_period_id", "marking_period_id"),
)

gradebook_grades = sa.Table(
    "gradebook_grades",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column(
        "assignment_id",
        sa.Integer,
        sa.ForeignKey("gradebook_assignments.assignment_id"),
        primary_key=True,
    ),
    sa.Column("points", sa.Numeric(6, 2)),  # null: not graded yet
    sa.Column("exempt", sa.Boolean, nullable=False, server_default=sa.false()),
)

# The stored running grades: DT is a quarter's running grade, Dy the year's to the end of
# that quarter (its assignments and those of the earlier quarters).
gradebook_running_grades = sa.Table(
    "gradebook_running_grades",
    metadata,
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column(
        "course_period_id",
        sa.Integer,
        sa.ForeignKey("course_periods.course_period_id"),
        primary_key=True,
    ),
    sa.Column(
        "marking_period_id",
        sa.Integer,
        sa.ForeignKey("marking_periods.marking_period_id"),
        primary_key=True,
    ),
    sa.Column("grade_type", sa.String(2), primary_key=True),  # DT or Dy
    sa.Column("percent", sa.Numeric(6, 2), nullable=False),
    sa.Column("calculated_at", sa.DateTime(timezone=True)),
)
