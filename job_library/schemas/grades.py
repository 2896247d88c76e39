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
