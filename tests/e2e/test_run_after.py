"""Run after, on a real scheduler: an upstream job's success starts the downstream job, its
failure does not; a run that comes before the not-before time does not run the job."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.definitions import parse_definition
from include.repository import upsert
from tests.e2e.conftest import Airflow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NY = ZoneInfo("America/New_York")  # the district time zone of the e2e Focus database


def _job(job_id: str, job_class: str, **fields) -> dict:
    doc = {"id": job_id, "title": job_id.replace("-", " ").title(), "class": job_class}
    if "run_after" not in fields:
        doc |= {"run_time": "03:00", "weekdays": ["sun"], "start_date": "2099-01-04"}
    return doc | fields


def _save(airflow: Airflow, *docs: dict) -> None:
    engine = sa.create_engine(airflow.focus_db)
    with engine.begin() as conn:
        upsert(conn, [parse_definition(d) for d in docs], user="e2e")
    engine.dispose()


def _runs(airflow: Airflow, dag_id: str) -> list[dict]:
    response = airflow.get(f"/dags/{dag_id}/dagRuns?order_by=-run_after")
    return response.json()["dag_runs"] if response.status_code == 200 else []


def test_an_upstream_success_starts_the_downstream_job_and_a_failure_does_not(airflow: Airflow):
    now = dt.datetime.now(NY)
    # A not-before time an hour from now (unless that passes midnight: then none is tested).
    later = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    later_ok = later > now.time()
    _save(
        airflow,
        _job("chain-upstream", "worker_check"),
        _job("chain-upstream-broken", "legacy_php_export"),  # missing class: its runs fail
        _job("chain-downstream", "worker_check", run_after=["chain-upstream"]),
        _job("chain-after-broken", "worker_check", run_after=["chain-upstream-broken"]),
        *(
            [
                _job(
                    "chain-not-yet",
                    "worker_check",
                    run_after=["chain-upstream"],
                    not_before=f"{later:%H:%M}",
                )
            ]
            if later_ok
            else []
        ),
    )
    ids = ["chain-upstream", "chain-upstream-broken", "chain-downstream", "chain-after-broken"]
    ids += ["chain-not-yet"] if later_ok else []
    for dag_id in ids:
        airflow.wait_for(
            f"the dag-processor to publish {dag_id}",
            lambda d=dag_id: airflow.get(f"/dags/{d}").status_code == 200,
        )
    assert airflow.get("/dags/chain-downstream").json()["timetable_summary"] is not None

    failed = airflow.run_to_completion("chain-upstream-broken")
    assert failed["state"] == "failed"
    ok = airflow.run_to_completion("chain-upstream")
    assert ok["state"] == "success"

    # The scheduler turns the asset event of the success into a run of the downstream job.
    run = airflow.wait_for(
        "an asset-triggered run of chain-downstream",
        lambda: next((r for r in _runs(airflow, "chain-downstream")), None),
    )
    assert run["run_type"] == "asset_triggered"

    def finished():
        r = airflow.get(f"/dags/chain-downstream/dagRuns/{run['dag_run_id']}").json()
        return r if r["state"] in ("success", "failed") else None

    assert airflow.wait_for("chain-downstream to finish", finished)["state"] == "success"
    output = airflow.xcom("chain-downstream", run["dag_run_id"])
    assert output["success"] is True

    events = airflow.get("/assets/events?source_dag_id=chain-upstream-broken").json()
    assert events["total_entries"] == 0  # a failed run emits nothing
    if later_ok:
        # The not-before job got its run too, and left it skipped: it is not time yet.
        waiting = airflow.wait_for(
            "an asset-triggered run of chain-not-yet",
            lambda: next(
                (r for r in _runs(airflow, "chain-not-yet") if r["state"] in ("success", "failed")),
                None,
            ),
        )
        tis = airflow.get(
            f"/dags/chain-not-yet/dagRuns/{waiting['dag_run_id']}/taskInstances"
        ).json()["task_instances"]
        assert [t["state"] for t in tis] == ["skipped"]
    # The failure started nothing, also after the scheduler had time to act on the success.
    time.sleep(10)
    assert _runs(airflow, "chain-after-broken") == []

    # The Jobs screen's list shows each link with the upstream job's last run.
    screen = f"{airflow.url}/focus-jobs/api"
    jobs = {
        j["id"]: j
        for j in airflow.session.get(f"{screen}/jobs", params={"page_size": 500}).json()["jobs"]
    }
    [link] = jobs["chain-downstream"]["run_after"]
    assert (link["id"], link["title"], link["last_success"]) == (
        "chain-upstream",
        "Chain Upstream",
        True,
    )
    [broken] = jobs["chain-after-broken"]["run_after"]
    assert broken["last_success"] is False
    assert jobs["chain-downstream"]["job_time"] == "After Chain Upstream"
    # Closing the loop is refused at save, naming the path; nothing changes.
    response = airflow.session.put(
        f"{screen}/jobs/chain-upstream",
        json=_job("chain-upstream", "worker_check", run_after=["chain-downstream"])
        | {"run_time": None, "weekdays": ["sun"], "start_date": None},
        timeout=30,
    )
    assert response.status_code == 422, response.text
    assert [e["text"] for e in response.json()["errors"]] == [
        "job 'chain-upstream': run_after ['chain-downstream']: makes a cycle: chain-upstream "
        "runs after chain-downstream runs after chain-upstream; remove one of these links"
    ]
    response = airflow.session.delete(f"{screen}/jobs/chain-upstream", timeout=30)
    assert response.status_code == 409
    assert "chain-downstream" in response.json()["detail"]
