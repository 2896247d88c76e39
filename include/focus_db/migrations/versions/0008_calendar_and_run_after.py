"""Scheduled jobs: school days only (and which schools' calendars), run after other jobs."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

_COLUMNS = (
    # NULL: the job class's own default (attendance classes run on school days only).
    sa.Column("school_days_only", sa.Boolean),
    # Comma-separated school ids whose calendars count; empty: every school's default calendar.
    sa.Column("calendar_schools", sa.Text, nullable=False, server_default=""),
    # Comma-separated ids of the jobs this one runs after.
    sa.Column("run_after", sa.Text, nullable=False, server_default=""),
    # HH:MM: a run after other jobs does not start before this local time.
    sa.Column("not_before", sa.String(5)),
)


def upgrade() -> None:
    with op.batch_alter_table("scheduled_jobs") as batch:
        for column in _COLUMNS:
            batch.add_column(column.copy())


def downgrade() -> None:
    with op.batch_alter_table("scheduled_jobs") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column.name)
