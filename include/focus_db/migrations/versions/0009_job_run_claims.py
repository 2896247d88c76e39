"""The claim of each DAG run whose job committed, so that a run is applied once."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "job_run_claims",
        sa.Column("job_id", sa.String(100), primary_key=True),
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("try_number", sa.Integer),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_run_claims")
