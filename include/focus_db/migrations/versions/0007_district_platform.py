"""The district's configuration: site profile, System Preferences, Student Fields, seeded defaults.

Carries the old settings over: district_settings (time zone, e-mail unsuccessful only, each
school's ``school.<id>.class_rank_by``), schools.rollover_second_school and the MTSS alert
profile that was a job parameter become System Preferences.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

MTSS_ALERT = "alert_when_existing_mtss_students_enroll"
BY = "migration 0007"

_prefs = sa.table(
    "system_preferences",
    sa.column("key", sa.String),
    sa.column("school_id", sa.Integer),
    sa.column("value", sa.Text),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("updated_by", sa.String),
)
_settings = sa.table("district_settings", sa.column("name", sa.String), sa.column("value", sa.Text))
_schools = sa.table(
    "schools", sa.column("school_id", sa.Integer), sa.column("rollover_second_school", sa.Boolean)
)
_jobs = sa.table(
    "scheduled_jobs",
    sa.column("id", sa.String),
    sa.column("job_class", sa.String),
    sa.column("params", sa.Text),
)


def upgrade() -> None:
    op.create_table(
        "site_profile",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(2)),
        sa.Column("site_kind", sa.String(20), nullable=False),
        sa.Column("add_ons", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "system_preferences",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("school_id", sa.Integer, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "custom_fields",
        sa.Column("field_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("alias", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("field_type", sa.String(20), nullable=False),
        sa.Column("record_table", sa.String(20), nullable=False),
        sa.Column("log_changes", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "custom_field_values",
        sa.Column(
            "field_id", sa.Integer, sa.ForeignKey("custom_fields.field_id"), primary_key=True
        ),
        sa.Column("record_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "custom_field_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("field_id", sa.Integer, sa.ForeignKey("custom_fields.field_id"), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
    )
    op.create_index(
        "ix_custom_field_log_field_record", "custom_field_log", ["field_id", "record_id"]
    )
    op.create_table(
        "seeded_defaults",
        sa.Column("job_class", sa.String(100), primary_key=True),
        sa.Column("job_id", sa.String(100), nullable=False),
        sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _carry_settings_over()
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("rollover_second_school")
    op.drop_table("district_settings")


def _carry_settings_over() -> None:
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    carried: dict[tuple[str, int], str] = {}
    for name, value in conn.execute(sa.select(_settings.c.name, _settings.c.value)):
        parts = name.split(".")
        if name == "timezone":
            carried[("timezone", 0)] = value
        elif name == "email_unsuccessful_only":
            carried[(name, 0)] = "true" if value.strip().lower() == "true" else "false"
        elif (
            len(parts) == 3
            and parts[0] == "school"
            and parts[1].isdigit()
            and parts[2] == "class_rank_by"
        ):
            # Kept as it was, even a bad value: the job then names it and its school.
            carried[("class_rank_by", int(parts[1]))] = value.strip().lower()
    for (school_id,) in conn.execute(
        sa.select(_schools.c.school_id).where(_schools.c.rollover_second_school == sa.true())
    ):
        carried[("rollover_second_school", school_id)] = "true"
    # The MTSS alert profile was each job's parameter; it is one district preference now.
    for job_id, params in conn.execute(
        sa.select(_jobs.c.id, _jobs.c.params)
        .where(_jobs.c.job_class == MTSS_ALERT)
        .order_by(_jobs.c.id)
    ):
        document = params if isinstance(params, dict) else json.loads(params or "{}")
        if not isinstance(document, dict) or "profile" not in document:
            continue
        profile = document.pop("profile")
        if isinstance(profile, str) and profile.strip():
            carried.setdefault(("mtss_enrollment_alert_profile", 0), profile.strip())
        conn.execute(
            sa.update(_jobs).where(_jobs.c.id == job_id).values(params=json.dumps(document))
        )
    if carried:
        conn.execute(
            sa.insert(_prefs),
            [
                {"key": k, "school_id": s, "value": v, "updated_at": now, "updated_by": BY}
                for (k, s), v in carried.items()
            ],
        )


def downgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "district_settings",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    with op.batch_alter_table("schools") as batch:
        batch.add_column(
            sa.Column(
                "rollover_second_school", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    rows = conn.execute(sa.select(_prefs.c.key, _prefs.c.school_id, _prefs.c.value)).all()
    settings = []
    for key, school_id, value in rows:
        if key in ("timezone", "email_unsuccessful_only") and school_id == 0:
            settings.append({"name": key, "value": value})
        elif key == "class_rank_by" and school_id:
            settings.append({"name": f"school.{school_id}.class_rank_by", "value": value})
        elif key == "rollover_second_school" and school_id and value == "true":
            conn.execute(
                sa.update(_schools)
                .where(_schools.c.school_id == school_id)
                .values(rollover_second_school=True)
            )
        elif key == "mtss_enrollment_alert_profile" and school_id == 0:
            for job_id, params in conn.execute(
                sa.select(_jobs.c.id, _jobs.c.params).where(_jobs.c.job_class == MTSS_ALERT)
            ).all():
                document = params if isinstance(params, dict) else json.loads(params or "{}")
                document["profile"] = value
                conn.execute(
                    sa.update(_jobs).where(_jobs.c.id == job_id).values(params=json.dumps(document))
                )
    if settings:
        conn.execute(sa.insert(_settings), settings)
    for table in (
        "seeded_defaults",
        "custom_field_log",
        "custom_field_values",
        "custom_fields",
        "system_preferences",
        "site_profile",
    ):
        op.drop_table(table)
