"""Engines for the Focus database and the migrations that shape it."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@functools.cache
def get_engine(url: str) -> sa.Engine:
    """One engine per URL per process (see ``create_focus_engine``)."""
    return create_focus_engine(url)


def create_focus_engine(url: str) -> sa.Engine:
    """An engine on the Focus database whose transactions are real on every backend.

    On SQLite the driver's own transaction handling is switched off and SQLAlchemy's BEGIN
    is emitted instead, so DDL (a job's staging table) rolls back with the rest of a failed
    job; a busy writer is waited for instead of failing, and the journal is WAL.
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite would BEGIN only before DML
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the Focus database to ``revision`` with Alembic."""
    from alembic import command  # not at import: DAG-file parses never migrate
    from alembic.config import Config

    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
