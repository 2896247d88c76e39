"""florida_pk12_initial.record widened to the DOE's current 160-character PK-12 record."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0018"


def upgrade() -> None:
    # Records in the retired 80-character layout key on the old student number, which the
    # DOE refuses: they go, so none is sent as the FTE; the next extract run rebuilds them.
    op.execute("DELETE FROM florida_pk12_initial WHERE LENGTH(record) <> 160")
    with op.batch_alter_table("florida_pk12_initial") as batch:
        batch.alter_column(
            "record",
            existing_type=sa.String(length=80),
            type_=sa.String(length=160),
            existing_nullable=False,
        )


def downgrade() -> None:
    # The 160-character records do not fit the old column; an extract run rebuilds them.
    op.execute("DELETE FROM florida_pk12_initial WHERE LENGTH(record) > 80")
    with op.batch_alter_table("florida_pk12_initial") as batch:
        batch.alter_column(
            "record",
            existing_type=sa.String(length=160),
            type_=sa.String(length=80),
            existing_nullable=False,
        )
