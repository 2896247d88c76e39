"""make run's survey site: a survey database beside focus.db that the default job reaches."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from include.demo_survey import prepare_survey_site
from include.focus_db.engine import create_focus_engine
from include.repository import get_definition
from include.runner import run_job
from job_library.schemas.system import two_factor_auth
from job_library.site import SiteKind, SiteProfile, read_site_profile, write_site_profile
from tests.rows import good_row, insert_rows


def _profile(path):
    engine = create_focus_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return read_site_profile(conn)
    finally:
        engine.dispose()


def test_makes_a_survey_database_and_its_connection_once(tmp_path):
    env = {"FOCUS_HOME": str(tmp_path / "home")}
    path = prepare_survey_site(env)
    assert path == tmp_path / "home" / "survey_site.db"
    assert _profile(path).kind is SiteKind.SURVEY
    assert json.loads(env["AIRFLOW_CONN_SURVEY_SITE"]) == {"conn_type": "sqlite", "host": str(path)}
    # Again (the next make run): the database, its profile and the variable stay as they are.
    again = {"FOCUS_HOME": str(tmp_path / "home"), "AIRFLOW_CONN_SURVEY_SITE": "kept"}
    assert prepare_survey_site(again) == path
    assert again["AIRFLOW_CONN_SURVEY_SITE"] == "kept"
    assert _profile(path).kind is SiteKind.SURVEY


def test_a_survey_site_maintenance_job_with_its_defaults_copies_there(
    sqlite_engine, tmp_path, monkeypatch
):
    env = {"FOCUS_HOME": str(tmp_path / "home")}
    path = prepare_survey_site(env)
    monkeypatch.setenv("AIRFLOW_CONN_SURVEY_SITE", env["AIRFLOW_CONN_SURVEY_SITE"])
    with sqlite_engine.begin() as conn:
        write_site_profile(conn, SiteProfile(kind=SiteKind.PRODUCTION), user="t")
        conn.execute(
            sa.insert(two_factor_auth),
            [
                dict(user_id=1, method="totp", secret="S1"),
                dict(user_id=2, method="email", secret=None),
            ],
        )
    insert_rows(sqlite_engine, good_row("survey", job_class="survey_site_maintenance"))
    with sqlite_engine.connect() as conn:
        definition = get_definition(conn, "survey")
    result = run_job(
        definition,
        engine=sqlite_engine,
        timezone="America/New_York",
        file_store=tmp_path / "files" / "survey",
        log=logging.getLogger("t"),
        run_id="manual__1",
    )
    assert result.success, result.text
    assert "  survey_site: 2 added, 0 changed, 0 removed" in result.text
    survey = create_focus_engine(f"sqlite:///{path}")
    with survey.connect() as conn:
        rows = conn.execute(
            sa.select(two_factor_auth.c.user_id, two_factor_auth.c.secret).order_by(
                two_factor_auth.c.user_id
            )
        ).all()
    survey.dispose()
    assert [tuple(r) for r in rows] == [(1, "S1"), (2, None)]
