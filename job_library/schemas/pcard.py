"""Purchasing-card transactions as the bank sends them, before and after they become drafts.

The drafts themselves are pcard_requisitions (schemas.communications), which PCard Email
Reminder watches; a transaction keeps the requisition made from it.
"""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

pcard_transactions = sa.Table(
    "pcard_transactions",
    metadata,
    id_column("transaction_id"),
    sa.Column("bank", sa.String(20), nullable=False),  # 'regions' or 'institution'
    sa.Column("reference", sa.String(40), nullable=False),  # the bank's own id
    sa.Column("card_last4", sa.String(4), nullable=False),
    sa.Column("cardholder", sa.String(200), nullable=False),
    sa.Column("transaction_date", sa.Date, nullable=False),
    sa.Column("merchant", sa.String(200), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    # The fiscal year of the transaction date (July to June, named by its ending year).
    sa.Column("fiscal_year", sa.Integer, nullable=False),
    fk_column("requisition_id", "pcard_requisitions.requisition_id"),
    sa.UniqueConstraint("bank", "reference", name="uq_pcard_transactions_reference"),
)
