"""Survey Site Maintenance: production's two-factor rows copied into real survey databases
(a SQLite file and a second Postgres database), which the site profiles tell apart."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from include.focus_db.engine import create_focus_engine, migrate
from job_library.base import ConnectionInfo, ConnectionNotFound
from job_library.jobs.system import _survey_work
from job_library.jobs.system.survey_site_maintenance import (
    SurveySiteMaintenance,
    SurveySiteMaintenanceParams,
)
from job_library.schemas.system import profile_permissions, two_factor_auth, user_preferences
from job_library.site import SiteKind, SiteProfile, write_site_profile
from tests.conftest import _PG_REASON, PG_ADMIN_URL
from tests.job_library.jobs_context import run_in_transaction

T = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
REQUIRED, ACCESS = _survey_work.PERMISSIONS
OPT_IN = _survey_work.OPT_IN_PREFERENCE


def _profile(engine: sa.Engine, kind: SiteKind | None) -> None:
    if kind is not None:
        with engine.begin() as conn:
            write_site_profile(conn, SiteProfile(kind=kind), user="test")


def _two_factor(engine: sa.Engine, tfa, perms, prefs) -> None:
    with engine.begin() as conn:
        if tfa:
            conn.execute(sa.insert(two_factor_auth), tfa)
        if perms:
            conn.execute(sa.insert(profile_permissions), perms)
        if prefs:
            conn.execute(sa.insert(user_preferences), prefs)


def _dump(engine: sa.Engine) -> tuple[list, list, list]:
    with engine.connect() as conn:
        return (
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(
                        two_factor_auth.c.user_id,
                        two_factor_auth.c.method,
                        two_factor_auth.c.secret,
                        two_factor_auth.c.enabled,
                    ).order_by(two_factor_auth.c.user_id)
                )
            ],
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(profile_permissions).order_by(
                        profile_permissions.c.profile_id, profile_permissions.c.permission
                    )
                )
            ],
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(user_preferences).order_by(
                        user_preferences.c.user_id, user_preferences.c.name
                    )
                )
            ],
        )


PRODUCTION = (
    [
        dict(user_id=1, method="totp", secret="S1", enabled=True, updated_at=T),
        dict(user_id=2, method="sms", secret=None, phone="555-0102", enabled=True, updated_at=T),
        dict(user_id=3, method="totp", secret="S3-new", enabled=False, updated_at=T),
    ],
    [
        dict(profile_id=1, permission=REQUIRED, can_use=True),
        dict(profile_id=1, permission=ACCESS, can_use=True),
        dict(profile_id=2, permission=ACCESS, can_use=True),
        dict(profile_id=2, permission="Students::Edit", can_use=True),
    ],
    [
        dict(user_id=1, name=OPT_IN, value="Y"),
        dict(user_id=2, name="theme", value="dark"),
    ],
)


@pytest.fixture
def survey_sqlite(tmp_path) -> Iterator[sa.Engine]:
    engine = create_focus_engine(f"sqlite:///{tmp_path / 'survey.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def survey_postgres() -> Iterator[tuple[sa.Engine, str]]:
    if _PG_REASON is not None:
        pytest.skip(_PG_REASON)
    name = f"focus_survey_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    migrate(engine)
    yield engine, name
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sites(db, survey_sqlite, survey_postgres, tmp_path):
    """Production (the parametrised database) and two survey sites holding stale rows."""
    pg, pg_name = survey_postgres
    _profile(db, SiteKind.PRODUCTION)
    _two_factor(db, *PRODUCTION)
    stale = (
        [
            dict(user_id=3, method="totp", secret="S3-old", enabled=True),
            dict(user_id=9, method="totp", secret="S9", enabled=True),
        ],
        [
            dict(profile_id=3, permission=REQUIRED, can_use=True),
            dict(profile_id=3, permission="Survey::Only", can_use=True),
        ],
        [
            dict(user_id=5, name=OPT_IN, value="Y"),
            dict(user_id=5, name="theme", value="light"),
        ],
    )
    for survey in (survey_sqlite, pg):
        _profile(survey, SiteKind.SURVEY)
        _two_factor(survey, *stale)
    admin = sa.make_url(PG_ADMIN_URL)
    connections = {
        "survey_a": ConnectionInfo("survey_a", "sqlite", host=str(tmp_path / "survey.db")),
        "survey_b": ConnectionInfo(
            "survey_b",
            "postgres",
            host=admin.host,
            port=admin.port,
            login=admin.username,
            schema=pg_name,
        ),
    }
    return survey_sqlite, pg, connections


def lookup(connections):
    def find(conn_id: str) -> ConnectionInfo:
        if conn_id not in connections:
            raise ConnectionNotFound(f"no Airflow connection {conn_id!r}")
        return connections[conn_id]

    return find


def _run(db, connections, sites_=("survey_a", "survey_b")):
    return run_in_transaction(
        db,
        SurveySiteMaintenance(),
        SurveySiteMaintenanceParams(survey_sites=list(sites_)),
        connections=lookup(connections),
    )


EXPECTED = (
    [(1, "totp", "S1", True), (2, "sms", None, True), (3, "totp", "S3-new", False)],
    [
        (1, REQUIRED, True),
        (1, ACCESS, True),
        (2, ACCESS, True),
        (3, "Survey::Only", True),  # not a two-factor permission: the survey site's own
    ],
    [(1, OPT_IN, "Y"), (5, "theme", "light")],
)


def test_copies_the_two_factor_settings_to_each_survey_site(db, sites):
    sqlite_site, pg_site, connections = sites
    before = _dump(db)
    result = _run(db, connections)
    assert result.success, result.text
    assert _dump(sqlite_site) == EXPECTED
    assert _dump(pg_site) == EXPECTED
    assert _dump(db) == before  # production is only read
    # Per site: 2 users added, user 3 changed, user 9 removed; 3 permissions added, profile
    # 3's Required removed; user 1's opt-in added, user 5's removed.
    assert dict(result.counts) == {
        "sites_updated": 2,
        "sites_failed": 0,
        "rows_added": 12,
        "rows_changed": 2,
        "rows_removed": 6,
    }
    assert "  survey_a: 6 added, 1 changed, 3 removed" in result.text


def test_second_run_changes_nothing(db, sites):
    _, _, connections = sites
    _run(db, connections)
    again = _run(db, connections)
    assert (
        again.counts["rows_added"],
        again.counts["rows_changed"],
        again.counts["rows_removed"],
    ) == (0, 0, 0)


def test_runs_only_on_the_production_site(db, sites):
    sqlite_site, _, connections = sites
    _profile(db, SiteKind.SURVEY)
    result = _run(db, connections)
    assert not result.success
    assert result.summary.startswith("Not run: this site's profile says a survey site")
    assert _dump(sqlite_site)[0][0] == (3, "totp", "S3-old", True)


def test_never_writes_to_a_site_whose_profile_is_not_survey(db, sites):
    sqlite_site, pg_site, connections = sites
    _profile(pg_site, SiteKind.PRODUCTION)
    result = _run(db, connections)
    assert not result.success
    assert "  survey_b: not updated: its site profile says a production site, not survey" in (
        result.text
    )
    assert _dump(sqlite_site) == EXPECTED
    assert _dump(pg_site)[0][0] == (3, "totp", "S3-old", True)


def test_an_unknown_or_unreachable_site_is_listed_and_the_others_are_done(db, sites):
    sqlite_site, _, connections = sites
    connections = {
        **connections,
        "down": ConnectionInfo("down", "postgres", host="127.0.0.1", port=1, schema="x"),
        "ftp": ConnectionInfo("ftp", "ftp", host="x"),
    }
    result = _run(db, connections, ("missing", "down", "ftp", "survey_a"))
    assert not result.success
    assert result.counts["sites_updated"] == 1 and result.counts["sites_failed"] == 3
    assert "  missing: not updated: no Airflow connection 'missing'" in result.text
    assert "  down: not updated: OperationalError" in result.text
    assert "  ftp: not updated: connection 'ftp' is of type 'ftp'" in result.text
    assert _dump(sqlite_site) == EXPECTED


def test_a_failure_midway_leaves_that_survey_site_as_it_was(db, sites, monkeypatch):
    sqlite_site, _, connections = sites
    real = _survey_work.mirror

    def mirror(conn, part, rows):
        if part.table is user_preferences:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(conn, part, rows)

    monkeypatch.setattr(_survey_work, "mirror", mirror)
    before = _dump(sqlite_site)
    result = _run(db, connections, ("survey_a",))
    assert "survey_a: not updated: OperationalError" in result.text
    assert _dump(sqlite_site) == before


def test_the_connection_comes_from_airflow(db, sites, monkeypatch, tmp_path):
    from include.job_connections import airflow_connection

    sqlite_site, _, _ = sites
    monkeypatch.setenv(
        "AIRFLOW_CONN_SURVEY_A",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "survey.db")}),
    )
    result = run_in_transaction(
        db,
        SurveySiteMaintenance(),
        SurveySiteMaintenanceParams(survey_sites=["survey_a"]),
        connections=airflow_connection,
    )
    assert result.success, result.text
    assert _dump(sqlite_site) == EXPECTED


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="is not an Airflow connection id"):
        SurveySiteMaintenanceParams(survey_sites=["bad id;"])
    with pytest.raises(ValueError, match="named twice"):
        SurveySiteMaintenanceParams(survey_sites=["a", "a"])
    schema = SurveySiteMaintenanceParams.model_json_schema()
    assert schema["properties"]["survey_sites"]["x-focus-lookup"] == "connections"
