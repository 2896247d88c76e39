"""System and maintenance tables: uploaded files and their text, photos, rules, two-factor."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

# Student upload fields (Document Management): category B files are purged after the
# field's retention years, counted from the upload date or the student's withdrawal date.
upload_fields = sa.Table(
    "upload_fields",
    metadata,
    id_column("field_id"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("category", sa.String(1), nullable=False, server_default="A"),
    sa.Column("retention_years", sa.Integer),
    sa.Column("retain_by", sa.String(10), nullable=False, server_default="upload"),
    sa.CheckConstraint("category in ('A', 'B')", name="ck_upload_fields_category"),
    sa.CheckConstraint("retain_by in ('upload', 'withdrawal')", name="ck_upload_fields_retain_by"),
)

# One row per uploaded file; stored_path is relative to the district's files folder.
student_uploads = sa.Table(
    "student_uploads",
    metadata,
    id_column("upload_id"),
    fk_column("student_id", "students.student_id", nullable=False, index=True),
    fk_column("field_id", "upload_fields.field_id", nullable=False, index=True),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("stored_path", sa.String(500), nullable=False, unique=True),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
)

# The searchable text of an upload (Document Management); status read or unreadable.
document_text = sa.Table(
    "document_text",
    metadata,
    fk_column("upload_id", "student_uploads.upload_id", nullable=False, primary_key=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("method", sa.String(10)),
    sa.Column("content", sa.Text),
    sa.Column("reason", sa.String(500)),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status in ('read', 'unreadable')", name="ck_document_text_status"),
)

# Photos uploaded for students and users (Symlink Photos links them for the portal).
photo_uploads = sa.Table(
    "photo_uploads",
    metadata,
    id_column("photo_id"),
    sa.Column("person_kind", sa.String(10), nullable=False),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("stored_path", sa.String(500), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("person_kind in ('student', 'user')", name="ck_photo_uploads_kind"),
    sa.Index("ix_photo_uploads_person", "person_kind", "person_id"),
)

# Rules of Setup > Edit Rules & Workflow: when every condition holds for a row of the
# table, the action sets a column to a value. Enforced only by the SQL Triggers job.
sql_trigger_rules = sa.Table(
    "sql_trigger_rules",
    metadata,
    id_column("rule_id"),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("table_name", sa.String(100), nullable=False),
    # [{"column": ..., "op": ..., "value": ...}, ...], all of which must hold.
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("set_column", sa.String(100), nullable=False),
    sa.Column("set_value", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

# Two-factor settings (Survey Site Maintenance copies these from production to survey sites).
two_factor_auth = sa.Table(
    "two_factor_auth",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("secret", sa.String(200)),
    sa.Column("phone", sa.String(30)),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

profile_permissions = sa.Table(
    "profile_permissions",
    metadata,
    sa.Column("profile_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("permission", sa.String(100), primary_key=True),
    sa.Column("can_use", sa.Boolean, nullable=False, server_default=sa.true()),
)

user_preferences = sa.Table(
    "user_preferences",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text),
)
