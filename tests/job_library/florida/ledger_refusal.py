"""A real database error injected into the FTP submissions: a trigger that refuses ledger rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

MESSAGE = "ledger refused for the test"


@contextmanager
def ledger_refused(engine: sa.Engine) -> Iterator[None]:
    """While open, every insert into processed_files fails inside the database itself."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_ledger BEFORE INSERT ON processed_files "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_ledger() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_ledger BEFORE INSERT ON processed_files "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_ledger()"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(sa.text("DROP TRIGGER refuse_ledger"))
            else:
                conn.execute(sa.text("DROP TRIGGER refuse_ledger ON processed_files"))
                conn.execute(sa.text("DROP FUNCTION refuse_ledger()"))


def ledger(engine: sa.Engine) -> list[tuple]:
    """The ledger's rows: file name, rows counted, job."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT file_name, rows, job_id FROM processed_files ORDER BY file_name")
            )
        ]
