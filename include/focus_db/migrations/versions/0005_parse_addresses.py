"""Parse Addresses: what each parsed address was parsed from, and against which catalog."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_COLUMNS = ("source", "catalog_stamp", "in_catalog", "parse_error")


def upgrade() -> None:
    with op.batch_alter_table("address_parsed") as batch:
        batch.add_column(sa.Column("source", sa.Text))
        batch.add_column(sa.Column("catalog_stamp", sa.String(64)))
        batch.add_column(
            sa.Column("in_catalog", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("parse_error", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("address_parsed") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
