"""A web-API job run by the runner finds its API through an Airflow connection, not its row."""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
from pathlib import Path

import pytest
from pydantic import ValidationError

from include.http_connections import endpoint_of
from include.repository import get_definition
from include.runner import run_job
from include.web_standins.edfi import BASE, CLIENT_ID, CLIENT_SECRET, EdFiStandIn
from job_library.jobs.integrations.edfi_sync import EdFiSyncParams
from job_library.schemas.district import grade_levels, school_years
from tests.rows import good_row, insert_rows


def test_the_runner_hands_the_job_its_airflow_connection(
    sqlite_engine, tmp_path: Path, monkeypatch
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openapi-core on OAuth2 schemes
        fake = EdFiStandIn()
    try:
        host, port = fake.server.url.removeprefix("http://").split(":")
        monkeypatch.setenv(
            "AIRFLOW_CONN_EDFI_API",
            json.dumps(
                {
                    "conn_type": "http",
                    "host": host,
                    "port": int(port),
                    "schema": "http",
                    "login": CLIENT_ID,
                    "password": CLIENT_SECRET,
                    "extra": {"base_path": BASE, "token_url": f"{fake.server.url}/oauth/token"},
                }
            ),
        )
        with sqlite_engine.begin() as conn:
            conn.execute(
                school_years.insert().values(
                    syear=2026,
                    title="2026-2027",
                    start_date=dt.date(2026, 8, 1),
                    end_date=dt.date(2027, 6, 30),
                    is_default=True,
                )
            )
            conn.execute(
                grade_levels.insert().values(
                    grade_id=1, short_name="KG", title="Kindergarten", sort_order=0
                )
            )
        insert_rows(
            sqlite_engine,
            good_row(
                "edfi",
                job_class="edfi_data_sync",
                kind="integration",
                params={"resources": ["gradeLevelDescriptors"]},
            ),
        )
        with sqlite_engine.connect() as conn:
            definition = get_definition(conn, "edfi")
        result = run_job(
            definition,
            engine=sqlite_engine,
            timezone="America/New_York",
            file_store=tmp_path / "files",
            log=logging.getLogger("test"),
            run_id="manual__1",
        )
    finally:
        fake.stop()
    assert result.success, result.text
    assert fake.accepted == [("gradeLevelDescriptors", "uri://ed-fi.org/GradeLevelDescriptor#KG")]
    assert fake.issued == 1  # the token came from the connection's client id and secret


def test_a_job_row_cannot_carry_credentials():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        EdFiSyncParams(client_secret="s3cret")


def test_a_connection_without_a_host_is_named():
    class Conn:
        conn_id, host, schema, port, login, password, extra_dejson = (
            "edfi_api",
            "",
            None,
            None,
            None,
            None,
            {},
        )

    with pytest.raises(LookupError, match="connection 'edfi_api' has no host"):
        endpoint_of(Conn())


def test_a_host_with_its_scheme_is_kept():
    class Conn:
        conn_id, host, schema, port, login, password = "x", "https://api.example/", "", None, "", ""
        extra_dejson = {"base_path": "v1"}

    assert endpoint_of(Conn()).base_url == "https://api.example/v1"
