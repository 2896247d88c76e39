"""District Assessments: assessments, their classes, students, answer keys, responses and
scores, the re-scoring queue and the item banks' question counts."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

district_assessments = sa.Table(
    "district_assessments",
    metadata,
    id_column("assessment_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    # The vendor's id of the assessment (imports name assessments by it).
    sa.Column("external_id", sa.String(40), unique=True),
    # Whether the student listing follows the selected classes (Dynamic Scheduling).
    sa.Column("dynamic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
)

# The classes an assessment is given to.
district_assessment_sections = sa.Table(
    "district_assessment_sections",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    ),
    sa.Column(
        "course_period_id",
        sa.Integer,
        sa.ForeignKey("course_periods.course_period_id"),
        primary_key=True,
    ),
)

# The student listing of an assessment.
district_assessment_students = sa.Table(
    "district_assessment_students",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    ),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("use_text_to_speech", sa.Boolean, nullable=False, server_default=sa.false()),
    # Added by hand (kept by Dynamic Scheduling) or from the classes (follows them).
    sa.Column("added_by", sa.String(10), nullable=False, server_default="manual"),
)

# The answer key: one row per question.
district_assessment_items = sa.Table(
    "district_assessment_items",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    ),
    sa.Column("item_no", sa.Integer, primary_key=True),
    sa.Column("correct_answer", sa.String(20), nullable=False),
    sa.Column("points", sa.Integer, nullable=False, server_default="1"),
    sa.Column("standard", sa.String(40)),
)

district_assessment_responses = sa.Table(
    "district_assessment_responses",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    ),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("item_no", sa.Integer, primary_key=True),
    sa.Column("response", sa.String(20)),
)

# One score per student and assessment, from the responses and the answer key.
district_assessment_results = sa.Table(
    "district_assessment_results",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    ),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), primary_key=True),
    sa.Column("points_earned", sa.Integer, nullable=False),
    sa.Column("points_possible", sa.Integer, nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
)

# Assessments marked for re-scoring (District Assessments > Options).
district_assessment_rescore_queue = sa.Table(
    "district_assessment_rescore_queue",
    metadata,
    id_column("id"),
    fk_column("assessment_id", "district_assessments.assessment_id", nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
)

# How many standards-tagged questions each item bank holds per standard.
item_bank_question_counts = sa.Table(
    "item_bank_question_counts",
    metadata,
    sa.Column("item_bank", sa.String(20), primary_key=True),  # focus or certica
    sa.Column("standard", sa.String(40), primary_key=True),
    sa.Column("question_count", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
