"""Migration 0023 widens florida_pk12_initial.record to the DOE's 160 characters, on SQLite
and Postgres, and drops records of the retired layout both ways (an extract run rebuilds them)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from include.focus_db.engine import MIGRATIONS, migrate
from tests.job_library.district import load

OLD = "3700111" + " " * 9 + "22627" + " " * 59  # the 2004-05 layout: 80 characters
NEW = "370011" + " " * 10 + "22627" + " " * 41 + "1" + " " * 9 + "FL000000000001" + " " * 74


def _to(engine: sa.Engine, revision: str, down: bool) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT record FROM florida_pk12_initial")).scalars())


def _width(engine: sa.Engine) -> int:
    (column,) = [
        c for c in sa.inspect(engine).get_columns("florida_pk12_initial") if c["name"] == "record"
    ]
    return column["type"].length


def _insert(engine: sa.Engine, record: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO florida_pk12_initial (syear, survey, school_id, student_id, record) "
                "VALUES (2026, '2', 1, 1, :r)"
            ),
            {"r": record},
        )


def test_0023_widens_the_record_and_drops_the_retired_layout(db):
    assert (len(OLD), len(NEW)) == (80, 160)
    load(db)
    try:
        _to(db, "0018", down=True)
        assert _width(db) == 80
        _insert(db, OLD)
        _to(db, "0023", down=False)
        assert _width(db) == 160
        assert _stored(db) == []
        _insert(db, NEW)
        assert _stored(db) == [NEW]
        _to(db, "0018", down=True)
        assert _width(db) == 80
        assert _stored(db) == []
    finally:
        migrate(db)
    assert _width(db) == 160
