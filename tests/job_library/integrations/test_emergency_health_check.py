"""Emergency Services Health Check against a fake InformaCast Fusion API on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

import job_library.http_client as http_client
from include.notifications import should_send
from include.web_standins.informacast import TOKEN, InformaCastStandIn
from include.web_standins.loopback import Answer
from job_library.base import HttpEndpoint
from job_library.jobs.integrations.emergency_health_check import (
    EmergencyHealthCheckParams,
    EmergencyServicesHealthCheck,
)
from job_library.schemas.district import schools
from job_library.schemas.integrations import emergency_services_schools
from tests.job_library.jobs_context import run_in_transaction


@pytest.fixture
def informacast() -> Iterator[InformaCastStandIn]:
    fake = InformaCastStandIn(["L1", "A1", "L2", "A2", "L3"])
    yield fake
    fake.server.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


@pytest.fixture
def district(db: sa.Engine) -> sa.Engine:
    with db.begin() as conn:
        conn.execute(
            schools.insert(),
            [
                {
                    "school_id": s,
                    "title": t,
                    "short_name": t[:2],
                    "school_number": f"000{s}",
                    "district_number": "9",
                }
                for s, t in ((1, "Adams"), (2, "Baker"), (3, "Clark"), (4, "Drew"))
            ],
        )
        conn.execute(
            emergency_services_schools.insert(),
            [
                {"school_id": 1, "lockdown_scenario_id": "L1", "assistance_scenario_id": "A1"},
                {"school_id": 2, "lockdown_scenario_id": "L2", "assistance_scenario_id": "A2"},
                # Clark's assistance scenario was deleted in InformaCast.
                {"school_id": 3, "lockdown_scenario_id": "L3", "assistance_scenario_id": "A3"},
                # Drew has no row at all: nothing chosen.
            ],
        )
    return db


def run(engine, fake, token=TOKEN, **params):
    def lookup(conn_id: str) -> HttpEndpoint:
        assert conn_id == "informacast"
        return HttpEndpoint(conn_id, fake.server.url + "/api/v1", None, token)

    return run_in_transaction(
        engine, EmergencyServicesHealthCheck(), EmergencyHealthCheckParams(**params), http=lookup
    )


def test_each_school_is_judged_and_a_school_not_ready_fails_the_run(district, informacast, waits):
    result = run(district, informacast)
    assert informacast.invalid == []
    assert not result.success
    assert result.counts == {"schools": 4, "ready": 2, "not_ready": 2}
    assert result.text.splitlines() == [
        "InformaCast: 2 of 4 school(s) ready for lockdown and request assistance; 2 not ready.",
        "  NOT READY: Clark: the request assistance scenario A3 is not in InformaCast "
        "(deleted or renamed?)",
        "  NOT READY: Drew: no InformaCast scenario is chosen for lockdown; no InformaCast "
        "scenario is chosen for request assistance",
        "  ready: Adams: both would work",
        "  ready: Baker: both would work",
    ]
    # Unsuccessful: the job's addresses get the run's e-mail even with "unsuccessful only".
    assert should_send(SimpleNamespace(emails=["safety@district.example"]), result, True)


def test_all_ready_is_a_success(district, informacast, waits):
    result = run(district, informacast, schools=[1, 2])
    assert result.success and result.counts == {"schools": 2, "ready": 2, "not_ready": 0}


def test_a_refused_token_makes_every_school_not_ready(district, informacast, waits):
    result = run(district, informacast, token="expired")
    assert not result.success and result.counts["not_ready"] == 4
    assert "refused the access token: renew it" in result.summary
    assert waits == []  # a 401 is not retried


def test_a_500_between_pages_is_retried(district, informacast, waits):
    # Five scenarios, two a page: the middle page fails once, the last one is rate limited.
    informacast.fail_at["2"] = [Answer(500, b'{"status": 500, "message": "Server Error"}')]
    informacast.fail_at["4"] = [Answer(429, b"", {"Retry-After": "2"})]
    result = run(district, informacast, schools=[1, 2])
    assert result.success, result.text
    asked = [(r.query.get("start", ["first"])[0], a.status) for r, a in informacast.server.answers]
    assert asked == [("first", 200), ("2", 500), ("2", 200), ("4", 429), ("4", 200)]
    assert len(waits) == 2 and waits[1] == 2.0


def test_an_unknown_school_is_named(district, informacast, waits):
    result = run(district, informacast, schools=[1, 9])
    assert not result.success and "school(s) 9: no such school" in result.summary


def test_the_listing_is_capped_and_says_how_many_more(district, informacast, waits):
    result = run(district, informacast, max_listed=1)
    assert result.text.splitlines()[1:] == [
        "  NOT READY: Clark: the request assistance scenario A3 is not in InformaCast "
        "(deleted or renamed?)",
        "  ... and 3 more (listing capped at 1).",
    ]
    refused = run(district, informacast, token="expired", max_listed=3)
    assert refused.text.splitlines()[1:] == [
        f"  NOT READY: {school}: InformaCast refused the access token: renew it in InformaCast "
        "and in the informacast connection"
        for school in ("Adams", "Baker", "Clark")
    ] + ["  ... and 1 more (listing capped at 3)."]
