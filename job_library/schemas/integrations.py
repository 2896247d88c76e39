"""Web-API jobs: what was sent where, imported calendar events, cash drawers and settlements."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

# The sent-records ledger: the last version (digest) of each record a job sent to an API.
# A run that stops halfway keeps what it sent; the next one sends only what is missing
# or changed since.
sent_records = sa.Table(
    "sent_records",
    metadata,
    sa.Column("job_id", sa.String(100), primary_key=True),
    sa.Column("target", sa.String(100), primary_key=True),  # resource, e.g. ed-fi/students
    sa.Column("record_key", sa.String(200), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("remote_id", sa.String(100)),  # the id the API gave it, when it gives one
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# The school calendar's events. ``uid`` is set only on events an Import ICS job made: it
# names the feed (a hash of its URL), the school, the feed's own event UID and the date.
calendar_events = sa.Table(
    "calendar_events",
    metadata,
    id_column("event_id"),
    fk_column("school_id", "schools.school_id", nullable=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("uid", sa.String(700), unique=True),
    sa.Index("ix_calendar_events_school_date", "school_id", "event_date"),
)

# Student Billing: the cash drawers, the online payments taken in them (one per
# Authorize.net transaction) and the cashouts that close them.
cash_drawers = sa.Table(
    "cash_drawers",
    metadata,
    id_column("drawer_id"),
    sa.Column("title", sa.String(100), nullable=False),
    fk_column("school_id", "schools.school_id"),
    sa.Column("portal_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
)

cashouts = sa.Table(
    "cashouts",
    metadata,
    id_column("cashout_id"),
    fk_column("drawer_id", "cash_drawers.drawer_id", nullable=False),
    sa.Column("source", sa.String(10), nullable=False),  # portal or store
    sa.Column("batch_id", sa.String(30), nullable=False),  # Authorize.net settlement batch
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("payments", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("drawer_id", "source", "batch_id", name="uq_cashouts_drawer_batch"),
)

drawer_payments = sa.Table(
    "drawer_payments",
    metadata,
    id_column("payment_id"),
    fk_column("drawer_id", "cash_drawers.drawer_id", nullable=False),
    sa.Column("source", sa.String(10), nullable=False),  # portal (invoices, fees) or store
    sa.Column("transaction_id", sa.String(30), nullable=False, unique=True),  # Authorize.net
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
    fk_column("cashout_id", "cashouts.cashout_id"),
    sa.CheckConstraint("source in ('portal', 'store')", name="ck_drawer_payments_source"),
)

# What Authorize.net's transaction reporting said: settled batches (complete once all their
# transactions were read) and their transactions. A run that stops midway keeps the
# batches it read in full; the next run reads only the others.
settlement_batches = sa.Table(
    "settlement_batches",
    metadata,
    sa.Column("batch_id", sa.String(30), primary_key=True),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
)

settled_transactions = sa.Table(
    "settled_transactions",
    metadata,
    sa.Column("transaction_id", sa.String(30), primary_key=True),
    sa.Column(
        "batch_id", sa.String(30), sa.ForeignKey("settlement_batches.batch_id"), nullable=False
    ),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("invoice_number", sa.String(40)),
    sa.Index("ix_settled_transactions_batch", "batch_id"),
)

# Which Blackboard Learn record each Focus record is (Load Data From Blackboard API):
# kind ``student``, ``staff`` or ``section`` and the Focus id, to Blackboard's own id.
blackboard_links = sa.Table(
    "blackboard_links",
    metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("focus_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("blackboard_id", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(256)),
    sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
)

# Emergency Services (InformaCast): the scenario each school sends for a lockdown and for a
# request for assistance, as the district set them up.
emergency_services_schools = sa.Table(
    "emergency_services_schools",
    metadata,
    sa.Column(
        "school_id",
        sa.Integer,
        sa.ForeignKey("schools.school_id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("lockdown_scenario_id", sa.String(64)),
    sa.Column("assistance_scenario_id", sa.String(64)),
)
