"""ERP master data the extracts read: the chart of accounts, vendors, purchase orders.

The postings themselves are gl_transactions and gl_periods (schemas.communications).
"""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

gl_accounts = sa.Table(
    "gl_accounts",
    metadata,
    sa.Column("account", sa.String(40), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("account_type", sa.String(20), nullable=False),  # asset, liability, ... expense
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

erp_vendors = sa.Table(
    "erp_vendors",
    metadata,
    id_column("vendor_id"),
    sa.Column("vendor_number", sa.String(20), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("tax_id", sa.String(20)),
    sa.Column("city", sa.String(100)),
    sa.Column("state", sa.String(2)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

erp_purchase_orders = sa.Table(
    "erp_purchase_orders",
    metadata,
    id_column("po_id"),
    sa.Column("po_number", sa.String(20), nullable=False, unique=True),
    fk_column("vendor_id", "erp_vendors.vendor_id", nullable=False),
    sa.Column("po_date", sa.Date, nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
)
