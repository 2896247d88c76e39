"""Fixtures of the DAG-file tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa


@pytest.fixture
def db(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """The DAG file's settings pointed at ``engine`` (SQLite or Postgres)."""
    monkeypatch.setenv("FOCUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOCUS_DB_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("FOCUS_SNAPSHOT_PATH", raising=False)
    monkeypatch.delenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", raising=False)
    return engine
