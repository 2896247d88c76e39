"""A Focus database that hangs is treated like one that is down; snapshots never poison a parse."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from include.dag_builder import build_dags
from include.focus_db.engine import redact, redact_url
from tests.rows import good_row, insert_rows

PASSWORD = "s3cret-Pass/word"
QUOTED = "s3cret-Pass%2Fword"


class SilentServer:
    """A loopback TCP server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)

    def close(self) -> None:
        self.sock.close()
        for client in self.clients:
            client.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("FOCUS_HOME", str(folder))
    monkeypatch.delenv("FOCUS_SNAPSHOT_PATH", raising=False)
    return folder


def _snapshot(home: Path, *ids: str, school_days: tuple[str, ...] = ()) -> Path:
    path = home / "scheduled_jobs.snapshot.json"
    rows = [
        {**good_row(i, school_days_only=i in school_days), "params": "{}"} for i in ids
    ]
    for row in rows:
        for audit in ("created_at", "created_by", "updated_at", "updated_by"):
            row.pop(audit)
    path.write_text(json.dumps({"timezone": "America/New_York", "rows": rows}))
    return path


def test_a_server_that_never_answers_falls_back_to_the_snapshot_in_seconds(
    silent, home, monkeypatch, caplog
):
    # A school-days job needs the calendar, every parse the site profile: once the table read
    # has fallen back, neither waits on the silent server again (one 5 s wait, not three).
    _snapshot(home, "kept-a", "kept-b", "kept-c", school_days=("kept-c",))
    url = f"postgresql+psycopg2://focus:{QUOTED}@127.0.0.1:{silent.port}/focus"
    monkeypatch.setenv("FOCUS_DB_URL", url)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        dags = build_dags()
    assert time.monotonic() - started < 15  # well under dagbag_import_timeout (30 s)
    assert len(silent.clients) == 1  # the table's read only
    assert sorted(dags) == ["kept-a", "kept-b", "kept-c"]
    assert "config-error" not in dags["kept-c"].tags
    assert "using the last good definitions" in caplog.text
    assert PASSWORD not in caplog.text and QUOTED not in caplog.text


def test_without_a_snapshot_the_import_error_names_no_password(silent, home, monkeypatch):
    url = f"postgresql+psycopg2://focus:{QUOTED}@127.0.0.1:{silent.port}/focus"
    monkeypatch.setenv("FOCUS_DB_URL", url)
    with pytest.raises(RuntimeError, match="no usable last good snapshot") as raised:
        build_dags()
    assert QUOTED not in str(raised.value) and PASSWORD not in str(raised.value)
    assert "focus:***@127.0.0.1" in str(raised.value)


def test_a_table_locked_by_another_transaction_falls_back_within_seconds(
    postgres_url, home, monkeypatch, caplog
):
    engine = sa.create_engine(postgres_url)
    from include.focus_db.engine import migrate

    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM scheduled_jobs"))
    insert_rows(engine, good_row("nightly"))
    monkeypatch.setenv("FOCUS_DB_URL", postgres_url)
    assert list(build_dags()) == ["nightly"]  # writes the snapshot
    with engine.connect() as locker:
        locker.execute(sa.text("LOCK TABLE scheduled_jobs IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            dags = build_dags()
        elapsed = time.monotonic() - started
        locker.rollback()
    assert elapsed < 15
    assert list(dags) == ["nightly"]
    assert "using the last good definitions" in caplog.text
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM scheduled_jobs"))
    engine.dispose()


def test_a_snapshot_that_cannot_be_written_never_fails_the_parse(focus_env, monkeypatch, caplog):
    blocker = focus_env / "not-a-folder"
    blocker.write_text("a file where the snapshot's folder should be")
    monkeypatch.setenv("FOCUS_SNAPSHOT_PATH", str(blocker / "snapshot.json"))
    insert_rows(sa.create_engine(os.environ["FOCUS_DB_URL"]), good_row("a"), good_row("b"))
    with caplog.at_level(logging.WARNING):
        assert sorted(build_dags()) == ["a", "b"]
    assert "could not be written" in caplog.text


def test_the_snapshot_is_written_only_when_every_row_built(focus_env):
    engine = sa.create_engine(os.environ["FOCUS_DB_URL"])
    snapshot = focus_env / "scheduled_jobs.snapshot.json"
    insert_rows(engine, good_row("good"), good_row("bad", weekdays="someday"))
    assert sorted(build_dags()) == ["bad", "good"]
    assert not snapshot.exists()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE scheduled_jobs SET weekdays = 'mon' WHERE id = 'bad'"))
    build_dags()
    assert sorted(r["id"] for r in json.loads(snapshot.read_text())["rows"]) == ["bad", "good"]
    with engine.begin() as conn:  # broken again: the good snapshot stays as it was
        conn.execute(sa.text("UPDATE scheduled_jobs SET params = '{oops' WHERE id = 'bad'"))
    before = snapshot.read_text()
    build_dags()
    assert snapshot.read_text() == before


@pytest.mark.parametrize(("kept", "now", "loud"), [(4, 0, True), (4, 1, True), (4, 2, False)])
def test_a_read_far_smaller_than_the_snapshot_is_logged_loudly(focus_env, caplog, kept, now, loud):
    engine = sa.create_engine(os.environ["FOCUS_DB_URL"])
    insert_rows(engine, *(good_row(f"job-{i}") for i in range(kept)))
    build_dags()
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM scheduled_jobs WHERE id >= :first"), {"first": f"job-{now}"}
        )
    with caplog.at_level(logging.WARNING):
        build_dags()
    shrank = [r for r in caplog.records if "SCHEDULED JOBS SHRANK" in r.getMessage()]
    assert bool(shrank) is loud
    if loud:
        assert shrank[0].levelno == logging.ERROR
        assert f"lists {now} active job(s)" in shrank[0].getMessage()


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql+psycopg2://focus:hunter22@db:5432/focus", "hunter22"),
        ("postgresql://u:p%40ss%2Fw0rd@db/focus", "p%40ss%2Fw0rd"),
        ("not a url://u:topsecret@host/x", "topsecret"),
    ],
)
def test_urls_are_redacted_in_every_form(url, secret):
    assert secret not in redact_url(url)
    text = f"could not connect to {url} (password {secret} rejected)"
    assert secret not in redact(text, url)
