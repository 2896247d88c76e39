"""Health: immunization requirements, records and compliance."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

immunization_requirements = sa.Table(
    "immunization_requirements",
    metadata,
    id_column("requirement_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("grade_id", "grade_levels.grade_id"),  # null: every grade
    sa.Column("vaccine", sa.String(20), nullable=False),
    sa.Column("doses_required", sa.Integer, nullable=False),
    sa.UniqueConstraint("syear", "grade_id", "vaccine", name="uq_immunization_requirements"),
)

immunization_records = sa.Table(
    "immunization_records",
    metadata,
    id_column("record_id"),
    fk_column("student_id", "students.student_id", nullable=False),
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
