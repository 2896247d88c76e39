"""Migration 0004 builds exactly the SIS tables of job_library.schemas, and only those."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from include.focus_db.engine import migrate
from include.focus_db.schema import metadata as jobs_metadata
from job_library.platform_schema import (
    custom_field_log,
    custom_field_values,
    custom_fields,
    seeded_defaults,
    site_profile,
    system_preferences,
)
from job_library.schema import metadata
from job_library.schemas import SIS_TABLES

PLATFORM_TABLES = (
    site_profile,
    system_preferences,
    custom_fields,
    custom_field_values,
    custom_field_log,
    seeded_defaults,
)


def test_migration_matches_the_schema(db):
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    # The scheduled-jobs tables belong to the glue's metadata, not the catalog's.
    own = [d for d in diffs if not (d[0] == "remove_table" and d[1].name in jobs_metadata.tables)]
    assert own == []


def test_upgrade_keeps_the_other_tables_and_downgrade_removes_only_sis(db):
    names = set(sa.inspect(db).get_table_names())
    assert {t.name for t in SIS_TABLES} <= names
    assert {"scheduled_jobs", "system_preferences", "student_addresses", "employees"} <= names
    migrate_down(db)
    after = set(sa.inspect(db).get_table_names())
    # Below 0007 the configuration tables are gone and district_settings is back; the run
    # claims of 0009 are gone too.
    platform = {t.name for t in PLATFORM_TABLES} | {"job_run_claims"}
    try:
        assert after == (names - {t.name for t in SIS_TABLES} - platform) | {"district_settings"}
    finally:  # the fixture empties every table afterwards: put them all back first
        migrate(db)
    assert set(sa.inspect(db).get_table_names()) == names


def migrate_down(engine: sa.Engine) -> None:
    from alembic import command
    from alembic.config import Config

    from include.focus_db.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
