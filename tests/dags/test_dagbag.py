"""Airflow's own DagBag over dags/: fixture rows, good and bad, give zero import errors."""

from __future__ import annotations

import os
from pathlib import Path

from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

from include.focus_db.engine import get_engine
from tests.rows import good_row, insert_rows

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_dagbag_loads_every_row_without_import_errors(focus_env):
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("address-corrections"),
        good_row("daily-maintenance", job_class="daily_maintenance", params={"days": 14}),
        good_row(
            "comm-queue",
            job_class="daily_maintenance",
            run_hour=None,
            run_minute=None,
            repeat_minutes=15,
        ),
        good_row("gone", job_class="no_such_class"),
        good_row("broken", weekdays="sometimes"),
    )
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == [
        "address-corrections",
        "broken",
        "comm-queue",
        "daily-maintenance",
        "gone",
    ]
    assert "config-error" in bag.dags["broken"].tags
    assert "missing-class" in bag.dags["gone"].tags
    # What the dag-processor stores must round-trip through the registered timetable.
    for dag_id in ("address-corrections", "comm-queue"):
        dag = bag.dags[dag_id]
        assert DagSerialization.from_dict(DagSerialization.to_dict(dag)).timetable == dag.timetable
