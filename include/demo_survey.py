"""The demo's survey site: a second SQLite Focus database Survey Site Maintenance copies to."""

from __future__ import annotations

import json
from pathlib import Path

from job_library.jobs.system.survey_site_maintenance import DEFAULT_SURVEY_SITE

SURVEY_DB = "survey_site.db"  # beside the demo's focus.db in FOCUS_HOME


def connection_variable(conn_id: str = DEFAULT_SURVEY_SITE) -> str:
    """The environment variable Airflow reads the connection ``conn_id`` from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def prepare_survey_site(env: dict[str, str]) -> Path:
    """Create (or bring up to date) the survey site's database in ``env['FOCUS_HOME']``,
    mark it a survey site, and add its Airflow connection to ``env``.

    The connection is the one a Survey Site Maintenance job uses by default, so the job
    created from the catalog under ``make run`` copies the demo district's two-factor
    settings there. A profile or a connection already set is left as it is.

    :param env: the environment of the Airflow processes; gains the connection variable.
    """
    from include.focus_db.engine import create_focus_engine, migrate
    from job_library.site import SiteKind, SiteProfile, read_site_profile, write_site_profile

    path = Path(env["FOCUS_HOME"]) / SURVEY_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_focus_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        with engine.begin() as conn:
            if read_site_profile(conn) is None:
                write_site_profile(conn, SiteProfile(kind=SiteKind.SURVEY), user="demo")
    finally:
        engine.dispose()
    add_survey_connection(env)
    return path


def add_survey_connection(env: dict[str, str]) -> None:
    """Add the survey site's Airflow connection to ``env`` (one already set is kept)."""
    path = Path(env["FOCUS_HOME"]) / SURVEY_DB
    env.setdefault(connection_variable(), json.dumps({"conn_type": "sqlite", "host": str(path)}))
