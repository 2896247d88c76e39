"""Migration 0007 carries the old district settings over to System Preferences, and back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from include.focus_db.engine import MIGRATIONS, migrate
from include.repository import get_definition
from job_library.platform_schema import system_preferences
from job_library.schemas.district import schools
from tests.rows import good_row, insert_rows

MTSS = "alert_when_existing_mtss_students_enroll"


def _to(engine: sa.Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _old_district(engine: sa.Engine) -> None:
    """What a 0006 database held: district_settings, schools' flag, the profile parameter."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO district_settings (name, value) VALUES (:n, :v)"),
            [
                {"n": "timezone", "v": "America/Chicago"},
                {"n": "email_unsuccessful_only", "v": "true"},
                {"n": "school.3.class_rank_by", "v": "Unweighted"},
                {"n": "school.4.class_rank_by", "v": "percentile"},  # bad, but kept
                {"n": "school.x.class_rank_by", "v": "weighted"},  # no school: dropped
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO schools (school_id, title, short_name, school_number, "
                "district_number, rollover_second_school) VALUES (:i, :t, :s, '1', '37', :r)"
            ),
            [
                {"i": 3, "t": "Three", "s": "T3", "r": True},
                {"i": 4, "t": "Four", "s": "T4", "r": False},
            ],
        )
    insert_rows(
        engine,
        good_row("alert-a", job_class=MTSS, params={"profile": "Counselor", "max_listed": 5}),
        good_row("alert-b", job_class=MTSS, params={"profile": "Guidance"}),
        good_row("other", params={"profile": "left alone"}),
    )


def _prefs(engine: sa.Engine) -> set[tuple]:
    t = system_preferences
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.key, t.c.school_id, t.c.value, t.c.updated_by))
        return {tuple(r) for r in rows}


def _params(engine: sa.Engine, job_id: str):
    with engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT params FROM scheduled_jobs WHERE id = :i"), {"i": job_id}
        ).scalar_one()
    return value if isinstance(value, dict) else json.loads(value)


def test_upgrade_carries_every_setting_over_and_downgrade_gives_them_back(engine):
    _to(engine, "0006")
    _old_district(engine)
    migrate(engine)
    assert _prefs(engine) == {
        ("timezone", 0, "America/Chicago", "migration 0007"),
        ("email_unsuccessful_only", 0, "true", "migration 0007"),
        ("class_rank_by", 3, "unweighted", "migration 0007"),
        ("class_rank_by", 4, "percentile", "migration 0007"),
        ("rollover_second_school", 3, "true", "migration 0007"),
        # Several jobs named a profile: the first by id wins; the parameter is gone.
        ("mtss_enrollment_alert_profile", 0, "Counselor", "migration 0007"),
    }
    assert _params(engine, "alert-a") == {"max_listed": 5}
    assert _params(engine, "alert-b") == {}
    assert _params(engine, "other") == {"profile": "left alone"}
    with engine.connect() as conn:
        assert get_definition(conn, "alert-a").params == {"max_listed": 5}  # valid again
    tables = set(sa.inspect(engine).get_table_names())
    assert "district_settings" not in tables
    assert "rollover_second_school" not in {
        c["name"] for c in sa.inspect(engine).get_columns("schools")
    }

    _to(engine, "0006")
    with engine.connect() as conn:
        settings = dict(conn.execute(sa.text("SELECT name, value FROM district_settings")).all())
        rolls = dict(
            conn.execute(sa.text("SELECT school_id, rollover_second_school FROM schools")).all()
        )
    assert settings == {
        "timezone": "America/Chicago",
        "email_unsuccessful_only": "true",
        "school.3.class_rank_by": "unweighted",
        "school.4.class_rank_by": "percentile",
    }
    assert {k: bool(v) for k, v in rolls.items()} == {3: True, 4: False}
    assert _params(engine, "alert-a") == {"max_listed": 5, "profile": "Counselor"}
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(schools))


def test_an_empty_database_gets_no_preferences(engine):
    assert _prefs(engine) == set()
