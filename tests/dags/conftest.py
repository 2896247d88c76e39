"""Fixtures of the DAG-file tests."""

from __future__ import annotations

import os
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


def child_env(engine: sa.Engine, home: Path) -> dict[str, str]:
    """The environment of a fresh Python process parsing the DAG file against ``engine``."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOCUS_", "_AIRFLOW"))}
    return env | {
        "FOCUS_DB_URL": engine.url.render_as_string(hide_password=False),
        "FOCUS_HOME": str(home),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "PYTHONPATH": str(root),
    }
