"""A real Airflow (api-server, scheduler, dag-processor) runs jobs materialised from the table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.schema import job_output, student_addresses
from tests.e2e.conftest import Airflow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_materialised_job_runs_on_a_real_scheduler(airflow: Airflow):
    dag = airflow.wait_for(
        "the dag-processor to publish address-corrections",
        lambda: (r := airflow.get("/dags/address-corrections")).status_code == 200 and r.json(),
    )
    assert dag["timetable_summary"] == "02:00 within 01:00-05:00 mon-fri (America/New_York)"
    assert {t["name"] for t in dag["tags"]} >= {"kind:built-in", "module:SIS"}
    assert dag["max_active_runs"] == 1 and dag["is_paused"] is False

    run = airflow.run_to_completion("address-corrections")
    assert run["state"] == "success"
    # Besides this manual run, the demo job's own 02:00 New York run falls inside a suite
    # started around then (the timetable's 15-minute grace): the first run does the work and
    # any later one finds nothing left to correct.
    runs = airflow.get("/dags/address-corrections/dagRuns").json()["dag_runs"]
    done = sorted(
        (r for r in runs if r["state"] == "success"),
        key=lambda r: (r["start_date"], r["dag_run_id"]),
    )
    assert run["dag_run_id"] in {r["dag_run_id"] for r in done}
    first, *later = done
    output = airflow.xcom("address-corrections", first["dag_run_id"])
    # The demo addresses (include/cli.py): 3 of 4 need a correction, worked out by hand.
    assert output["success"] is True
    assert output["counts"] == {"checked": 4, "corrected": 3}
    for other in later:
        assert airflow.xcom("address-corrections", other["dag_run_id"])["counts"] == {
            "checked": 4,
            "corrected": 0,
        }
    engine = sa.create_engine(airflow.focus_db)
    with engine.connect() as conn:
        streets = (
            conn.execute(
                sa.select(student_addresses.c.address).order_by(student_addresses.c.address_id)
            )
            .scalars()
            .all()
        )
        stored = conn.execute(
            sa.select(job_output.c.run_id, job_output.c.success).where(
                job_output.c.job_id == "address-corrections"
            )
        ).all()
    engine.dispose()
    assert streets == ["123 N Main St", "45 S Ocean Blvd", "9 Court St W", "700 NW 3rd Ave"]
    assert sorted(stored) == sorted((r["dag_run_id"], True) for r in done)
    log = airflow.get(
        f"/dags/address-corrections/dagRuns/{first['dag_run_id']}/taskInstances/run_job/logs/1"
    )
    assert log.status_code == 200 and "Corrected 3 of 4 address(es)." in log.text


def test_missing_class_job_fails_with_its_output(airflow: Airflow):
    airflow.wait_for(
        "the dag-processor to publish legacy-php-export",
        lambda: airflow.get("/dags/legacy-php-export").status_code == 200,
    )
    run = airflow.run_to_completion("legacy-php-export")
    assert run["state"] == "failed"
    output = airflow.xcom("legacy-php-export", run["dag_run_id"])
    assert output["success"] is False
    assert "'Legacy PHP Export' (legacy-php-export) could not be completed" in output["summary"]


def test_daily_maintenance_reaches_airflow_history_from_its_task(airflow: Airflow):
    airflow.wait_for(
        "the dag-processor to publish daily-maintenance",
        lambda: airflow.get("/dags/daily-maintenance").status_code == 200,
    )
    run = airflow.run_to_completion("daily-maintenance")
    assert run["state"] == "success"
    output = airflow.xcom("daily-maintenance", run["dag_run_id"])
    # Through the focus_airflow_api connection the task pruned Airflow's history: nothing is
    # old enough yet, and its own run (still running) is never touched.
    assert output["summary"].startswith("Removed 0 Airflow run(s)")
    assert output["counts"] == {"runs_deleted": 0, "outputs_deleted": 0}
    assert airflow.get(f"/dags/daily-maintenance/dagRuns/{run['dag_run_id']}").status_code == 200


def test_a_row_with_a_bad_id_fails_visibly_on_a_real_worker(airflow: Airflow):
    """The worker's one-DAG parse (get_parsing_context) finds the error DAG of a non-slug id."""
    from include.dag_builder import error_dag_id
    from tests.rows import good_row, insert_rows

    engine = sa.create_engine(airflow.focus_db)
    insert_rows(engine, good_row("Nightly Import!", weekdays="mon,funday"))
    try:
        dag_id = error_dag_id("Nightly Import!")
        assert dag_id.startswith("invalid.Nightly_Import.")
        dag = airflow.wait_for(
            f"the dag-processor to publish {dag_id}",
            lambda: (r := airflow.get(f"/dags/{dag_id}")).status_code == 200 and r.json(),
        )
        assert [t["name"] for t in dag["tags"]] == ["config-error"]
        run = airflow.run_to_completion(dag_id)
        assert run["state"] == "failed"
        log = airflow.get(
            f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances/run_job/logs/1"
        )
        assert log.status_code == 200
        assert "This job's definition is invalid" in log.text
        assert "job 'Nightly Import!': id" in log.text
        assert "funday" in log.text
    finally:  # the Airflow of this session is shared: later tests count the jobs
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id = 'Nightly Import!'"))
        engine.dispose()
