"""Shared fixtures: a Focus database on SQLite and on Postgres, and an isolated Airflow home."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Airflow reads its configuration on first import: point it at a throwaway home first.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="focus-tests-airflow-"))
_ROOT = Path(__file__).resolve().parent.parent
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(_ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import job_library.platform_schema  # noqa: E402  (the configuration tables join it)
import job_library.schemas  # noqa: E402, F401  (the SIS tables join the metadata)
from include.focus_db.engine import create_focus_engine, migrate  # noqa: E402
from include.focus_db.schema import metadata as jobs_metadata  # noqa: E402
from job_library.schema import metadata as catalog_metadata  # noqa: E402
from tests.openssh_server import OpenSshServer, unavailable_reason  # noqa: E402
from tests.sftp_server import SftpServer  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "FOCUS_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reason() -> str | None:
    """Why Postgres tests cannot run here, or None when they can."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        return f"no Postgres answers at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
    return None


_PG_REASON = _postgres_reason()


def pytest_report_header(config: pytest.Config) -> list[str]:
    sshd = unavailable_reason()
    return [
        "postgres: " + ("available" if _PG_REASON is None else f"SKIPPED ({_PG_REASON})"),
        "openssh sshd: " + ("available" if sshd is None else f"SKIPPED ({sshd})"),
    ]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh Postgres database for this test session, dropped at the end."""
    if _PG_REASON is not None:
        if IN_CI:
            pytest.fail(f"CI=true requires Postgres: {_PG_REASON}")
        print(f"\nskipping Postgres tests: {_PG_REASON}")
        pytest.skip(_PG_REASON)
    name = f"focus_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    sa.create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_TABLES = [*jobs_metadata.sorted_tables, *catalog_metadata.sorted_tables]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A migrated, empty Focus database on each backend."""
    if request.param == "sqlite":
        migrated_sqlite(tmp_path / "focus.db")
        eng = create_focus_engine(f"sqlite:///{tmp_path / 'focus.db'}")
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    eng = sa.create_engine(url)
    migrate(eng)
    yield eng
    with eng.begin() as conn:
        for table in reversed(_TABLES):
            conn.execute(table.delete())
    eng.dispose()


_SQLITE_TEMPLATE = _AIRFLOW_HOME / "focus-migrated.db"


def migrated_sqlite(path: Path) -> None:
    """Put a Focus database brought to the head revision at ``path``.

    Running every migration costs about 0.7 s, and well over a thousand tests start from an
    empty migrated SQLite database: the first one is migrated once per session and copied.
    """
    if not _SQLITE_TEMPLATE.exists():
        building = _SQLITE_TEMPLATE.with_suffix(".building")
        eng = create_focus_engine(f"sqlite:///{building}")
        migrate(eng)
        eng.dispose()  # the last connection's close checkpoints the WAL into the file
        building.replace(_SQLITE_TEMPLATE)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SQLITE_TEMPLATE, path)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    migrated_sqlite(tmp_path / "focus.db")
    eng = create_focus_engine(f"sqlite:///{tmp_path / 'focus.db'}")
    yield eng
    eng.dispose()


@pytest.fixture
def focus_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the settings (FOCUS_HOME, DB URL, snapshot) at a fresh migrated SQLite home."""
    home = tmp_path / "focus-home"
    home.mkdir()
    url = f"sqlite:///{home / 'focus.db'}"
    monkeypatch.setenv("FOCUS_HOME", str(home))
    monkeypatch.setenv("FOCUS_DB_URL", url)
    monkeypatch.delenv("FOCUS_SNAPSHOT_PATH", raising=False)
    monkeypatch.delenv("FOCUS_FILE_STORE", raising=False)
    migrated_sqlite(home / "focus.db")
    return home


@pytest.fixture
def sftp() -> Iterator[OpenSshServer]:
    """Debian's OpenSSH sshd on loopback: a root-owned chroot, internal-sftp, an unprivileged
    user with key-only login; drop folders are made with ``folder``/``put``."""
    reason = unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true requires OpenSSH's sshd: {reason}")
        pytest.skip(reason)
    server = OpenSshServer().start()
    yield server
    server.stop()


@pytest.fixture
def asyncssh_sftp(tmp_path: Path) -> Iterator[SftpServer]:
    """The asyncssh test server, for tests that need a server to misbehave."""
    root = tmp_path / "sftp-root"
    root.mkdir()
    keys = tmp_path / "sftp-keys"
    keys.mkdir()
    server = SftpServer(root, keys).start()
    yield server
    server.stop()
