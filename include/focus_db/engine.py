"""Engines for the Focus database and the migrations that shape it."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# A DAG-file parse must give up on a hanging database long before Airflow's
# dagbag_import_timeout (30 s) kills it, so that it falls back to the last good snapshot.
PARSE_CONNECT_TIMEOUT_SECONDS = 5
PARSE_STATEMENT_TIMEOUT_SECONDS = 5


@functools.cache
def get_engine(url: str) -> sa.Engine:
    """One engine per URL per process (see ``create_focus_engine``)."""
    return create_focus_engine(url)


@functools.cache
def get_parse_engine(url: str) -> sa.Engine:
    """The engine the DAG file reads through: every wait on the database is bounded.

    Postgres gets ``connect_timeout`` and a ``statement_timeout`` / ``lock_timeout`` (a locked
    table or a server that accepts but never answers); SQLite waits at most as long for a
    writer's lock.
    """
    if url.startswith("sqlite"):
        return create_focus_engine(url, busy_timeout=PARSE_CONNECT_TIMEOUT_SECONDS)
    connect_args: dict[str, object] = {}
    if url.startswith("postgresql"):
        limit_ms = PARSE_STATEMENT_TIMEOUT_SECONDS * 1000
        connect_args = {
            "connect_timeout": PARSE_CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={limit_ms} -c lock_timeout={limit_ms}",
        }
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can read: blank whatever sits before the @
        return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)


def redact(text: str, url: str) -> str:
    """``text`` with every form of ``url``'s password (plain or URL-quoted) blanked."""
    text = text.replace(url, redact_url(url))
    try:
        password = sa.engine.make_url(url).password
    except Exception:  # not a URL SQLAlchemy reads: take what sits between user: and @
        found = re.search(r"//[^:/@]*:([^@/]*)@", url)
        password = found[1] if found else None
    if password and len(str(password)) >= 4:  # shorter ones would blank ordinary words
        for form in {str(password), quote(str(password), safe=""), quote_plus(str(password))}:
            text = text.replace(form, "***")
    return text


def create_focus_engine(url: str, *, busy_timeout: float = 30) -> sa.Engine:
    """An engine on the Focus database whose transactions are real on every backend.

    On SQLite the driver's own transaction handling is switched off and SQLAlchemy's BEGIN
    is emitted instead, so DDL (a job's staging table) rolls back with the rest of a failed
    job; a busy writer is waited for instead of failing, and the journal is WAL.
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite would BEGIN only before DML
        # Text that is not UTF-8 fails only the row holding it (see row_to_document), not
        # every read of the table: its bytes come through as surrogate escapes.
        dbapi_connection.text_factory = _lenient_text
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


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
