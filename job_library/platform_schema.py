"""The district's configuration tables: site profile, System Preferences, Student Fields."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata

# One row (id 1) when the site profile is set; no row: not set, every class is offered.
site_profile = sa.Table(
    "site_profile",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(2)),
    sa.Column("site_kind", sa.String(20), nullable=False),
    # Comma-separated add-on keys, sorted (job_library.site.AddOn).
    sa.Column("add_ons", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

# System Preferences: school_id 0 holds the district's value of a preference, any other id
# that school's (a school preference). The value is the preference type's canonical text.
system_preferences = sa.Table(
    "system_preferences",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("school_id", sa.Integer, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

# Student Fields: Focus's numbered custom fields (custom_698 ...) with their aliases.
custom_fields = sa.Table(
    "custom_fields",
    metadata,
    sa.Column("field_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("alias", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("field_type", sa.String(20), nullable=False),
    # students: one value per student; schedule: one value per schedule record.
    sa.Column("record_table", sa.String(20), nullable=False),
    sa.Column("log_changes", sa.Boolean, nullable=False, server_default=sa.false()),
)

custom_field_values = sa.Table(
    "custom_field_values",
    metadata,
    sa.Column("field_id", sa.Integer, sa.ForeignKey("custom_fields.field_id"), primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Text, nullable=False),
)

custom_field_log = sa.Table(
    "custom_field_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("field_id", sa.Integer, sa.ForeignKey("custom_fields.field_id"), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Index("ix_custom_field_log_field_record", "field_id", "record_id"),
)

# The default jobs `focus-jobs seed-defaults` created once, by class: never seeded twice,
# so a default job an administrator deleted stays deleted.
seeded_defaults = sa.Table(
    "seeded_defaults",
    metadata,
    sa.Column("job_class", sa.String(100), primary_key=True),
    sa.Column("job_id", sa.String(100), nullable=False),
    sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
)
