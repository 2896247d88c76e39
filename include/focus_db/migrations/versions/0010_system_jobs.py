"""System jobs: uploaded files and their text, photos, SQL trigger rules, two-factor settings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "upload_fields",
        sa.Column("field_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=1), server_default="A", nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=True),
        sa.Column("retain_by", sa.String(length=10), server_default="upload", nullable=False),
        sa.CheckConstraint("category in ('A', 'B')", name="ck_upload_fields_category"),
        sa.CheckConstraint(
            "retain_by in ('upload', 'withdrawal')", name="ck_upload_fields_retain_by"
        ),
        sa.PrimaryKeyConstraint("field_id"),
    )
    op.create_table(
        "student_uploads",
        sa.Column("upload_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["field_id"], ["upload_fields.field_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.PrimaryKeyConstraint("upload_id"),
        sa.UniqueConstraint("stored_path"),
    )
    op.create_index("ix_student_uploads_student_id", "student_uploads", ["student_id"])
    op.create_index("ix_student_uploads_field_id", "student_uploads", ["field_id"])
    op.create_table(
        "document_text",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('read', 'unreadable')", name="ck_document_text_status"),
        sa.ForeignKeyConstraint(["upload_id"], ["student_uploads.upload_id"]),
        sa.PrimaryKeyConstraint("upload_id"),
    )
    op.create_table(
        "photo_uploads",
        sa.Column("photo_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_kind", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("person_kind in ('student', 'user')", name="ck_photo_uploads_kind"),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    op.create_index("ix_photo_uploads_person", "photo_uploads", ["person_kind", "person_id"])
    op.create_table(
        "sql_trigger_rules",
        sa.Column("rule_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("set_column", sa.String(length=100), nullable=False),
        sa.Column("set_value", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id"),
    )
    op.create_table(
        "two_factor_auth",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "profile_permissions",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.Column("can_use", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "permission"),
    )
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "name"),
    )


def downgrade() -> None:
    for table in (
        "user_preferences",
        "profile_permissions",
        "two_factor_auth",
        "sql_trigger_rules",
        "photo_uploads",
        "document_text",
        "student_uploads",
        "upload_fields",
    ):
        op.drop_table(table)
