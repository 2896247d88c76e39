"""Automatic Course Requests: an index on the rows still queued."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_index(
        "ix_automatic_course_requests_queued",
        "automatic_course_requests",
        ["syear", "school_id"],
        postgresql_where=sa.text("processed_at IS NULL"),
        sqlite_where=sa.text("processed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_automatic_course_requests_queued", table_name="automatic_course_requests")
