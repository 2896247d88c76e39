"""Student addresses as parsed, and the district's Address Catalog for zoning."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

# Parsed components of a student address (student_addresses holds the address as entered).
address_parsed = sa.Table(
    "address_parsed",
    metadata,
    sa.Column(
        "address_id",
        sa.Integer,
        sa.ForeignKey("student_addresses.address_id"),
        primary_key=True,
    ),
    sa.Column("house_number", sa.Integer),
    sa.Column("pre_direction", sa.String(2)),
    sa.Column("street_name", sa.String(100)),
    sa.Column("street_type", sa.String(10)),
    sa.Column("post_direction", sa.String(2)),
    sa.Column("unit", sa.String(20)),
    sa.Column("zipcode", sa.String(10)),
    sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=False),
    # Parse Addresses: what was parsed (address|address2|zipcode as entered) and the Address
    # Catalog's fingerprint then; a row is parsed again only when either has changed.
    sa.Column("source", sa.Text),
    sa.Column("catalog_stamp", sa.String(64)),
    # The parsed street is a street of the catalog; why the address could not be parsed.
    sa.Column("in_catalog", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("parse_error", sa.String(200)),
)

# The district's Address Catalog: a street segment and the school it is zoned for.
address_catalog = sa.Table(
    "address_catalog",
    metadata,
    id_column("catalog_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("house_number_low", sa.Integer, nullable=False),
    sa.Column("house_number_high", sa.Integer, nullable=False),
    sa.Column("parity", sa.String(4), nullable=False, server_default="both"),  # odd/even/both
    sa.Column("pre_direction", sa.String(2)),
    sa.Column("street_name", sa.String(100), nullable=False),
    sa.Column("street_type", sa.String(10)),
    sa.Column("post_direction", sa.String(2)),
    sa.Column("zipcode", sa.String(10), nullable=False),
    sa.Column("city", sa.String(100)),
    fk_column("low_grade_id", "grade_levels.grade_id", nullable=False),
    fk_column("high_grade_id", "grade_levels.grade_id", nullable=False),
    fk_column("zoned_school_id", "schools.school_id"),
    sa.Column("zoned_district", sa.String(10)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("parity in ('odd', 'even', 'both')", name="ck_address_catalog_parity"),
    sa.Index("ix_address_catalog_street", "street_name", "zipcode"),
)
