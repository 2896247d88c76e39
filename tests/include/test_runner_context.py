"""The runner hands jobs the district's shared files folder and Airflow's connections."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import sqlalchemy as sa

from include.focus_db.engine import create_focus_engine, migrate
from include.repository import get_definition
from include.runner import DISTRICT_FILES, run_job
from job_library.schemas.system import photo_uploads, two_factor_auth
from job_library.site import SiteKind, SiteProfile, write_site_profile
from tests.rows import good_row, insert_rows


def _run(engine, tmp_path, job_id):
    with engine.connect() as conn:
        definition = get_definition(conn, job_id)
    return run_job(
        definition,
        engine=engine,
        timezone="America/New_York",
        file_store=tmp_path / "files" / job_id,
        log=logging.getLogger("t"),
        run_id="manual__1",
    )


def test_file_jobs_share_the_district_folder_beside_the_jobs_folders(sqlite_engine, tmp_path):
    photos = tmp_path / "files" / DISTRICT_FILES / "photos"
    (photos / "uploads").mkdir(parents=True)
    (photos / "uploads" / "7.jpg").write_bytes(b"jpg")
    insert_rows(sqlite_engine, good_row("photos", job_class="symlink_photos"))
    with sqlite_engine.begin() as conn:
        conn.execute(
            sa.insert(photo_uploads).values(
                person_kind="student",
                person_id=7,
                stored_path="uploads/7.jpg",
                uploaded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )
    result = _run(sqlite_engine, tmp_path, "photos")
    assert result.success, result.text
    assert (photos / "portal" / "students" / "7.jpg").read_bytes() == b"jpg"


def test_connections_are_airflows(sqlite_engine, tmp_path, monkeypatch):
    survey = create_focus_engine(f"sqlite:///{tmp_path / 'survey.db'}")
    migrate(survey)
    with survey.begin() as conn:
        write_site_profile(conn, SiteProfile(kind=SiteKind.SURVEY), user="t")
    with sqlite_engine.begin() as conn:
        write_site_profile(conn, SiteProfile(kind=SiteKind.PRODUCTION), user="t")
        conn.execute(sa.insert(two_factor_auth).values(user_id=1, method="totp", secret="S"))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SURVEY_ONE",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "survey.db")}),
    )
    insert_rows(
        sqlite_engine,
        good_row(
            "survey",
            job_class="survey_site_maintenance",
            params={"survey_sites": ["survey_one", "survey_two"]},
        ),
    )
    result = _run(sqlite_engine, tmp_path, "survey")
    assert "  survey_one: 1 added, 0 changed, 0 removed" in result.text
    assert "  survey_two: not updated: no Airflow connection 'survey_two'" in result.text
    with survey.connect() as conn:
        assert conn.execute(sa.select(two_factor_auth.c.secret)).scalars().all() == ["S"]
    survey.dispose()


@pytest.fixture(autouse=True)
def _no_stray_connections(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SURVEY_TWO", raising=False)
