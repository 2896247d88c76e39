"""Rows and settings no validator let through, on SQLite and Postgres: one bad row, one DAG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException

from include.dag_builder import TASK_ID, build_dags, error_dag_id
from tests.rows import good_row, insert_rows

DAGS = Path(__file__).resolve().parents[2] / "dags"
DEEP = "[" * 3000 + "]" * 3000  # deeper than Python's json module can decode


# (row, what its error DAG's doc_md must say) for classes of bad values every backend can hold.
BAD = [
    (good_row("deep-params", params=DEEP), "RecursionError"),
    (good_row("string-params", params=json.dumps("just text")), "params"),
    (good_row("number-params", params="12"), "params"),
    (good_row("hour-overflow", run_hour=2**31 - 1), "run_time"),
    (good_row("priority-overflow", priority=2**31 - 1), "priority"),
    (good_row("far-future", start_date="9999-12-31"), "start_date"),
    (good_row("no-weekdays", weekdays=","), "weekdays"),
    (good_row("Not A Slug!"), "id"),
    (good_row("x y"), "id"),
    (good_row("x/y"), "id"),
]


def _error_dag(dags: dict, raw_id: str):
    dag = dags[error_dag_id(raw_id)]
    assert set(dag.tags) == {"config-error"}
    return dag


def test_every_class_of_bad_row_is_its_own_error_dag(db):
    insert_rows(db, good_row("healthy"), good_row("x_y"), *(row for row, _ in BAD))
    dags = build_dags()
    assert "config-error" not in dags["healthy"].tags
    # "x y" and "x/y" read alike; their error DAGs differ and neither replaces the valid x_y.
    assert "config-error" not in dags["x_y"].tags
    assert len({error_dag_id("x y"), error_dag_id("x/y"), "x_y"}) == 3
    assert len(dags) == 2 + len(BAD)
    for row, fragment in BAD:
        dag = _error_dag(dags, row["id"])
        assert fragment in dag.doc_md, (row["id"], dag.doc_md)
        with pytest.raises(AirflowFailException, match="definition is invalid"):
            dag.get_task(TASK_ID).execute({})


def test_error_dag_ids_cannot_be_slugs_or_collide():
    ids = ["Daily", "daily!", "daily?", "", " ", "a" * 300, "../x", "x\ny", "🙂", None, 7]
    found = [error_dag_id(i) for i in ids]
    assert len(set(found)) == len(ids)
    for dag_id in found:
        assert dag_id.startswith("invalid.") and len(dag_id) <= 100
    assert error_dag_id("daily") == "daily"  # a valid id is kept: its error DAG stands in


def test_the_real_dagbag_loads_the_good_rows_beside_bad_ones(db):
    insert_rows(db, good_row("healthy"), good_row("nightly", run_hour=4), *(r for r, _ in BAD))
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert {"healthy", "nightly"} <= set(bag.dag_ids)
    assert len(bag.dag_ids) == 2 + len(BAD)


def test_a_worker_parse_finds_the_error_dag_of_a_bad_id(db, monkeypatch):
    insert_rows(db, good_row("healthy"), good_row("Not A Slug!"), good_row("x y"))
    wanted = error_dag_id("Not A Slug!")
    assert list(build_dags(only_dag_id=wanted)) == [wanted]
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", wanted)
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert bag.dag_ids == [wanted]
    with pytest.raises(AirflowFailException, match="job 'Not A Slug!': id"):
        bag.dags[wanted].get_task(TASK_ID).execute({})


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Central Time", "../../etc/passwd", "A" * 300]
)
def test_a_bad_district_time_zone_makes_every_job_a_visible_error(db, zone):
    insert_rows(db, good_row("first"), good_row("second", job_class="daily_maintenance"))
    with db.begin() as conn:  # a direct edit: no validator on the way
        conn.execute(
            sa.text(
                "INSERT INTO system_preferences (key, school_id, value, updated_at, updated_by) "
                "VALUES ('timezone', 0, :v, CURRENT_TIMESTAMP, 'sql')"
            ),
            {"v": zone},
        )
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["first", "second"]
    for dag in bag.dags.values():
        assert set(dag.tags) == {"config-error"}
        assert "district setting timezone" in dag.doc_md
        assert "focus-jobs settings timezone" in dag.doc_md


def test_sqlite_only_values_are_isolated_too(sqlite_engine, tmp_path, monkeypatch):
    """Bytes that are not UTF-8 and text in number columns exist only on SQLite."""
    monkeypatch.setenv("FOCUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOCUS_DB_URL", str(sqlite_engine.url))
    insert_rows(
        sqlite_engine,
        good_row("healthy"),
        good_row("text-hour", run_hour="two"),
        good_row("blob-weekdays", weekdays=b"\x00\x01"),
        good_row("float-priority", priority=1e308),
    )
    with sqlite_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO scheduled_jobs (id, title, job_class, weekdays, params, created_at,"
                " created_by, updated_at, updated_by, run_hour, run_minute) VALUES"
                " ('latin1-title', CAST(X'4361666594' AS TEXT), 'address_corrections', 'mon',"
                " '{}', '2026-01-01', 't', '2026-01-01', 't', 2, 0)"
            )
        )
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert "config-error" not in bag.dags["healthy"].tags
    for dag_id in ("text-hour", "blob-weekdays", "float-priority", "latin1-title"):
        assert set(bag.dags[dag_id].tags) == {"config-error"}, dag_id
    assert "not UTF-8" in bag.dags["latin1-title"].doc_md
