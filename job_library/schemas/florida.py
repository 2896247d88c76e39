"""Florida state reporting: the class size counts, the ARMS change dates and teacher
certifications."""

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

# Florida ARMS Student Field Tracker: the date of each change to a tracked Student Field
# (element ESE, ELL, LS, ZDS or DOP), one row per entry of the field change log.
florida_arms_changes = sa.Table(
    "florida_arms_changes",
    metadata,
    id_column("id"),
    sa.Column("log_id", sa.Integer, nullable=False),  # custom_field_log.id
    sa.Column("student_id", sa.Integer, nullable=False),
    sa.Column("element", sa.String(3), nullable=False),
    sa.Column("change_date", sa.Date, nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.UniqueConstraint("log_id", name="uq_florida_arms_changes_log"),
    sa.Index("ix_florida_arms_changes_student", "student_id", "element"),
)

# Teacher certifications imported from HR: a certification subject code (its first three
# digits are the subject group), the scope of coverage and the days it is valid.
teacher_certifications = sa.Table(
    "teacher_certifications",
    metadata,
    id_column("id"),
    fk_column("staff_id", "staff.staff_id", nullable=False),
    sa.Column("cert_code", sa.String(10), nullable=False),
    sa.Column("scope", sa.String(1)),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),
    sa.Index("ix_teacher_certifications_staff", "staff_id"),
)

# The Course Code Directory's certification requirements of a state course number: a full
# certification code, or a 3-digit subject group code; scope NULL accepts any scope.
course_cert_requirements = sa.Table(
    "course_cert_requirements",
    metadata,
    id_column("id"),
    sa.Column("course_number", sa.String(10), nullable=False),
    sa.Column("cert_code", sa.String(10), nullable=False),
    sa.Column("scope", sa.String(1)),
    sa.Index("ix_course_cert_requirements_course", "course_number"),
)
