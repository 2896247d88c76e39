"""Standardized tests, their parts and score types, and students' scores."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

standardized_tests = sa.Table(
    "standardized_tests",
    metadata,
    id_column("test_id"),
    sa.Column("short_name", sa.String(10), nullable=False, unique=True),
    sa.Column("title", sa.String(100), nullable=False),
)

test_parts = sa.Table(
    "test_parts",
    metadata,
    id_column("part_id"),
    fk_column("test_id", "standardized_tests.test_id", nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    # READING, MATH or LANGUAGE: the subject area the part measures (adult education levels).
    sa.Column("subject", sa.String(10)),
    # Florida: ELA when the part can meet the ELA graduation requirement (FSA ELA 10, a
    # concordant ACT/SAT part), and the least scale score that passes (also for EOC exams).
    sa.Column("graduation_requirement", sa.String(10)),
    sa.Column("passing_score", sa.Integer),
    sa.UniqueConstraint("test_id", "short_name", name="uq_test_parts_name"),
)

test_score_types = sa.Table(
    "test_score_types",
    metadata,
    id_column("score_type_id"),
    fk_column("test_id", "standardized_tests.test_id", nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False),  # SS, LEVEL, FLTESTID, AEFL...
    sa.UniqueConstraint("test_id", "short_name", name="uq_test_score_types_name"),
)

student_tests = sa.Table(
    "student_tests",
    metadata,
    id_column("student_test_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("test_id", "standardized_tests.test_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
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
