"""Discipline: tardy thresholds and the detentions they lead to."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

tardy_thresholds = sa.Table(
    "tardy_thresholds",
    metadata,
    id_column("threshold_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("tardies", sa.Integer, nullable=False),  # tardies in the year that trigger it
    sa.Column("detention_minutes", sa.Integer, nullable=False, server_default="30"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.CheckConstraint("tardies > 0", name="ck_tardy_thresholds_positive"),
    sa.UniqueConstraint("school_id", "syear", "tardies", name="uq_tardy_thresholds_count"),
)

detentions = sa.Table(
    "detentions",
    metadata,
    id_column("detention_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    fk_column("threshold_id", "tardy_thresholds.threshold_id"),
    sa.Column("incident_date", sa.Date, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("served", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("student_id", "threshold_id", name="uq_detentions_threshold"),
)
