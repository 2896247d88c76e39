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
