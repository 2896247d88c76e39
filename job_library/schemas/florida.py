"""Florida state reporting: the class size counts."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

florida_classsize_counts = sa.Table(
    "florida_classsize_counts",
    metadata,
    id_column("id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("grade_group", sa.String(10), nullable=False),  # PK-3, 4-8, 9-12
    sa.Column("sections", sa.Integer, nullable=False),
    sa.Column("students", sa.Integer, nullable=False),
    sa.Column("average", sa.Numeric(6, 2), nullable=False),
    sa.UniqueConstraint(
        "school_id", "syear", "effective_date", "grade_group", name="uq_florida_classsize"
    ),
)
