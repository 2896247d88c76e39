"""Master schedule snapshots, graduation summary and waivers, ARMS dates, certifications."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0017"

_TABLES = (
    "master_schedule_snapshot_rows",
    "master_schedule_snapshots",
    "grad_requirements_summary",
    "grad_requirements",
    "graduation_waivers",
    "florida_arms_changes",
    "teacher_certifications",
    "course_cert_requirements",
)


def upgrade() -> None:
    op.add_column("course_periods", sa.Column("cert_status", sa.String(length=3), nullable=True))
    op.add_column("course_history", sa.Column("grad_subject", sa.String(length=20), nullable=True))
    op.add_column(
        "course_history",
        sa.Column("online", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "master_schedule_snapshots",
        sa.Column("snapshot_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_ids", sa.String(length=200), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=100), nullable=False),
        sa.Column("courses", sa.Integer(), nullable=False),
        sa.Column("sections", sa.Integer(), nullable=False),
        sa.Column("schedules", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["syear"], ["school_years.syear"]),
        sa.PrimaryKeyConstraint("snapshot_id"),
    )
    op.create_table(
        "master_schedule_snapshot_rows",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=30), nullable=False),
        sa.Column("row_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["master_schedule_snapshots.snapshot_id"]),
        sa.PrimaryKeyConstraint("snapshot_id", "table_name", "row_id"),
    )
    op.create_table(
        "grad_requirements",
        sa.Column("requirement_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=True),
        sa.Column("credits_required", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("requirement_id"),
        sa.UniqueConstraint("subject"),
    )
    op.create_table(
        "grad_requirements_summary",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("grade_level", sa.String(length=5), nullable=False),
        sa.Column("credits_required", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("credits_earned", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("credits_remaining", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["requirement_id"], ["grad_requirements.requirement_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("student_id", "requirement_id"),
    )
    op.create_table(
        "graduation_waivers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("requirement", sa.String(length=30), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("student_id", "requirement", name="uq_graduation_waivers"),
    )
    op.create_table(
        "florida_arms_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.String(length=3), nullable=False),
        sa.Column("change_date", sa.Date(), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log_id", name="uq_florida_arms_changes_log"),
    )
    op.create_index(
        "ix_florida_arms_changes_student", "florida_arms_changes", ["student_id", "element"]
    )
    op.create_table(
        "teacher_certifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("cert_code", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=1), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.staff_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_teacher_certifications_staff", "teacher_certifications", ["staff_id"])
    op.create_table(
        "course_cert_requirements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_number", sa.String(length=10), nullable=False),
        sa.Column("cert_code", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=1), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_course_cert_requirements_course", "course_cert_requirements", ["course_number"]
    )


def downgrade() -> None:
    # Children first; the indexes go with their tables.
    for name in _TABLES:
        op.drop_table(name)
    with op.batch_alter_table("course_history") as batch:
        batch.drop_column("online")
        batch.drop_column("grad_subject")
    with op.batch_alter_table("course_periods") as batch:
        batch.drop_column("cert_status")
