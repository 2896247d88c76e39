"""make run's web-API stand-ins: the seven web-API jobs, defined as README says
(include/web_standins/demo_jobs.yaml), run through the runner with make run's Airflow
connections (moved to a free port) against a generated demo district, and each does real work."""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import job_library.http_client as http_client
from include.config import PROJECT_ROOT
from include.demo_district import generate
from include.jobs_file import read_jobs_file
from include.repository import get_definition, upsert, validate_documents
from include.runner import run_job
from include.web_standins import (
    CONNECTIONS,
    WebStandIns,
    standins_address,
    start_local_standins,
)
from job_library.preferences import Preferences
from job_library.schemas.integrations import blackboard_links, calendar_events, drawer_payments
from tests.job_library.communications.conftest import free_port

JOBS = PROJECT_ROOT / "include" / "web_standins" / "demo_jobs.yaml"


def _connection(conn_id: str, port: int) -> str:
    """make run's connection ``conn_id`` (airflow_settings.yaml) moved to ``port``, as JSON."""
    data = yaml.safe_load((PROJECT_ROOT / "airflow_settings.yaml").read_text())
    (conn,) = [c for c in data["airflow"]["connections"] if c["conn_id"] == conn_id]
    return json.dumps(
        {
            "conn_type": conn["conn_type"],
            "host": conn["conn_host"],
            "port": port,
            "schema": conn.get("conn_schema"),
            "login": conn.get("conn_login"),
            "password": conn.get("conn_password"),
            "extra": conn.get("conn_extra") or {},
        }
    )


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch):
    port = free_port()
    server = WebStandIns("127.0.0.1", port, keep=True)
    for conn_id in CONNECTIONS:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", _connection(conn_id, port))
    monkeypatch.setattr(http_client, "pause", lambda seconds: None)
    warnings.simplefilter("ignore", UserWarning)  # openapi-core's note on OAuth2 schemes
    yield server
    server.stop()


def test_make_run_points_the_four_connections_at_one_standin_address():
    assert standins_address() == ("127.0.0.1", 8090)


def test_a_taken_port_is_said_and_nothing_starts(standins, tmp_path):
    settings = yaml.safe_load((PROJECT_ROOT / "airflow_settings.yaml").read_text())
    for conn in settings["airflow"]["connections"]:
        if conn["conn_id"] in CONNECTIONS:
            conn["conn_port"] = standins.port
    moved = tmp_path / "airflow_settings.yaml"
    moved.write_text(yaml.safe_dump(settings))
    local = start_local_standins(moved)
    assert local.standins is None
    assert local.line.startswith(f"  no web-API stand-ins: 127.0.0.1:{standins.port} is taken")
    local.stop()


def _run(engine: sa.Engine, tmp_path: Path, job_id: str, attempt: int):
    with engine.connect() as conn:
        definition = get_definition(conn, job_id)
    return run_job(
        definition,
        engine=engine,
        timezone="America/New_York",
        file_store=tmp_path / "files" / job_id,
        log=logging.getLogger("test"),
        run_id=f"manual__{attempt}",
    )


def _count(engine: sa.Engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


@pytest.mark.timeout(600)
def test_the_seven_web_api_jobs_do_real_work_against_the_standins(engine, standins, tmp_path):
    db = engine
    generate(db, 60, today=dt.date.today())  # the runner's clock is the real one
    # The feed's address moves with the stand-ins' port, as the connections do.
    text = JOBS.read_text().replace("127.0.0.1:8090/", f"127.0.0.1:{standins.port}/")
    entries = read_jobs_file(text.encode(), str(JOBS))
    definitions, errors = validate_documents(entries)
    assert errors == [] and len(definitions) == 7
    with db.begin() as conn:
        upsert(conn, definitions, user="test")
        # The cashouts wait for the settlement time (16:30 in the demo): any hour will do here.
        Preferences(conn).set("authorize_net_settlement_time", "00:00")
    ours = sa.select(calendar_events).where(calendar_events.c.uid.like("ics:%"))
    cashed = sa.select(drawer_payments).where(drawer_payments.c.cashout_id.is_not(None))

    ics = _run(db, tmp_path, "import-demo-ics", 1)
    # Book Fair 2 days, Band Night 1, Early Release 4 weeks, Report Cards 1: at Oak Ridge only.
    assert ics.success, ics.text
    assert _count(db, ours) == 8
    assert _count(db, ours.where(calendar_events.c.school_id != 1)) == 0

    edfi = _run(db, tmp_path, "edfi-data-sync", 1)
    assert edfi.success, edfi.text
    sent = {resource for resource, _ in standins.edfi.accepted}
    # Every resource the job sends, each with something of the demo's in it.
    assert sent == {
        "gradeLevelDescriptors", "localEducationAgencies", "schools", "sessions", "courses",
        "courseOfferings", "sections", "staffs",
        "staffEducationOrganizationAssignmentAssociations", "staffSectionAssociations",
        "students", "studentSchoolAssociations", "studentSectionAssociations",
    }  # fmt: skip
    stored = standins.edfi.stored
    # One district, its eight schools with a year-long session each, the sixty students.
    assert [len(stored[r]) for r in ("localEducationAgencies", "schools", "sessions")] == [1, 8, 8]
    assert len(stored["students"]) == 60
    assert standins.edfi.invalid_answers == [] and standins.edfi.schema_refusals == []

    # The demo's twelve card payments: eight through the portal, four in the Store.
    portal = _run(db, tmp_path, "portal-payments-cashout", 1)
    assert portal.success, portal.text
    assert _count(db, cashed) == 8
    assert _count(db, cashed.where(drawer_payments.c.source == "store")) == 0
    store = _run(db, tmp_path, "store-cashout", 1)
    assert store.success, store.text
    assert _count(db, cashed) == 12
    assert standins.authorize_net.invalid == []

    transfer = _run(db, tmp_path, "blackboard-transfer", 1)
    assert transfer.success, transfer.text
    assert standins.blackboard.users and standins.blackboard.courses
    load = _run(db, tmp_path, "blackboard-load", 1)
    assert load.success, load.text
    expected = len(standins.blackboard.users) + len(standins.blackboard.courses)
    assert _count(db, sa.select(blackboard_links)) == expected
    assert standins.blackboard.invalid == []

    # The demo chose no request-assistance scenario for its last school (Sabal).
    health = _run(db, tmp_path, "emergency-health-check", 1)
    assert not health.success
    assert health.counts == {"schools": 8, "ready": 7, "not_ready": 1}
    assert "Sabal Adult Education Center" in health.text
    assert standins.informacast.invalid == []

    # A second run of each (a new DAG run) finds nothing more to do.
    for job_id in ("import-demo-ics", "portal-payments-cashout", "store-cashout"):
        assert _run(db, tmp_path, job_id, 2).success
    assert _count(db, ours) == 8 and _count(db, cashed) == 12
    accepted = len(standins.edfi.accepted)
    assert _run(db, tmp_path, "edfi-data-sync", 2).success
    assert len(standins.edfi.accepted) == accepted


def test_the_feed_follows_rfc_5545_and_serves_the_demo_school_events(standins):
    import icalendar
    import requests

    answer = requests.get(standins.ics_url, timeout=10)
    assert answer.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Band Night", "Book Fair", "Early Release", "Report Cards Go Home"]
    assert requests.get(f"http://127.0.0.1:{standins.port}/nothing", timeout=10).status_code == 404
