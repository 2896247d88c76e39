"""A file job's sensor defers to a real triggerer, which sees the file arrive on the SFTP drop."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from job_library.schema import employees
from tests.conftest import IN_CI
from tests.e2e.conftest import Airflow
from tests.openssh_server import OpenSshServer, unavailable_reason
from tests.rows import good_row, insert_rows

STAFF_FILE = "Employee ID,First,Last\nT1,Tia,Ray\nT2,Uma,Sol\n"
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TEMPLATE = {
    "connection": "district_sftp",
    "directory": "/imports/staff",
    "file_pattern": "staff_*.csv",
    "target_table": "employees",
    "column_mapping": {"Employee ID": "ein", "First": "first_name", "Last": "last_name"},
    "key_columns": ["ein"],
}


def test_import_waits_in_the_triggerer_until_its_file_arrives(airflow: Airflow):
    if not isinstance(airflow.sftp, OpenSshServer):
        reason = f"needs OpenSSH's sshd: {unavailable_reason()}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    engine = sa.create_engine(airflow.focus_db)
    insert_rows(
        engine,
        good_row(
            "staff-import",
            title="Staff import",
            job_class="scheduled_import",
            kind="import",
            params=TEMPLATE,
        ),
    )
    airflow.wait_for(
        "the dag-processor to publish staff-import",
        lambda: airflow.get("/dags/staff-import").status_code == 200,
    )
    airflow.sftp.folder("imports/staff")
    created = airflow.post("/dags/staff-import/dagRuns", {"logical_date": None, "conf": {}})
    assert created.status_code == 200, created.text
    run_id = created.json()["dag_run_id"]
    sensor = f"/dags/staff-import/dagRuns/{run_id}/taskInstances/wait_for_file"

    # No file yet: the sensor is handed to the triggerer (deferred), not holding a worker slot.
    airflow.wait_for(
        "the sensor to defer", lambda: airflow.get(sensor).json().get("state") == "deferred"
    )
    time.sleep(5)  # a couple of the triggerer's 2-second looks find nothing (not even . or ..)
    assert airflow.get(sensor).json()["state"] == "deferred"
    # Nor does an upload still in progress, a hidden file or a link.
    airflow.sftp.put("imports/staff/staff_0.csv.partial", "Employee ID,First,Last\n")
    airflow.sftp.put("imports/staff/.staff_0.csv", "Employee ID,First,Last\n")
    (airflow.sftp.root / "imports" / "staff" / "staff_9.csv").symlink_to("/etc/hostname")
    time.sleep(5)
    assert airflow.get(sensor).json()["state"] == "deferred"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(employees)).scalar() == 0

    (airflow.sftp.root / "imports" / "staff" / "staff_9.csv").unlink()
    airflow.sftp.put("imports/staff/staff_1.csv", STAFF_FILE)

    def finished():
        run = airflow.get(f"/dags/staff-import/dagRuns/{run_id}").json()
        return run if run["state"] in ("success", "failed") else None

    run = airflow.wait_for("the import to finish", finished)
    assert run["state"] == "success"
    assert airflow.get(sensor).json()["state"] == "success"
    output = airflow.xcom("staff-import", run_id)
    assert output["counts"]["inserted"] == 2 and output["counts"]["rejected_rows"] == 0
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(employees.c.ein, employees.c.first_name).order_by(employees.c.ein)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("T1", "Tia"), ("T2", "Uma")]
    processed = airflow.sftp.root / "imports" / "staff" / "processed"
    assert [p.name.startswith("staff_1_") for p in processed.iterdir()] == [True]
