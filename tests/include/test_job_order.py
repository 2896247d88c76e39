"""Run after: definition fields, refused links (missing, inactive, cycles) and upstream runs."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from airflow.serialization.serialized_objects import DagSerialization
from hypothesis import given, settings
from hypothesis import strategies as st

from include import cli
from include.dag_builder import TASK_ID, build_dags_from_table, job_asset
from include.definitions import (
    InvalidDefinition,
    document_to_row,
    parse_definition,
    row_to_document,
)
from include.focus_db.schema import scheduled_jobs
from include.job_order import find_cycle, last_runs, order_errors, waiting_for
from include.repository import JobTable, upsert
from include.timetable import FocusJobTimetable
from job_library.schema import job_output


def job(job_id: str, **fields) -> dict:
    doc = {"id": job_id, "title": job_id.replace("-", " ").title(), "class": "address_corrections"}
    if "run_after" not in fields:
        doc["run_time"] = "21:00"
    return doc | fields


def defs(*docs: dict):
    return [parse_definition(d) for d in docs]


def test_a_run_after_job_has_no_clock_of_its_own():
    d = parse_definition(
        job("rollover", run_after="set-next-school, set-next-school", not_before="22:00")
    )
    assert d.run_after == ("set-next-school",) and d.not_before == dt.time(22)
    assert d.to_document()["run_after"] == ["set-next-school"]
    assert d.to_document()["not_before"] == "22:00"
    assert "run_after" not in parse_definition(job("plain")).to_document()  # old files unchanged
    row = document_to_row(d)
    assert (row["run_after"], row["not_before"]) == ("set-next-school", "22:00")
    assert parse_definition(row_to_document(row | {"run_hour": None, "run_minute": None})) == d


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"run_after": ["a"], "run_time": "21:00"}, "run_time '21:00': a job that runs after"),
        ({"run_after": ["a"], "repeat_minutes": 5}, "repeat_minutes 5: a job that runs after"),
        ({"run_after": ["a"], "timeframe_end": "23:00"}, "timeframe_end '23:00': a job that runs"),
        ({"run_after": ["x"]}, "run_after 'x': a job cannot run after itself"),
        ({"run_after": ["Set Next School"]}, "'Set Next School' is not a job id"),
        ({"run_time": "21:00", "not_before": "22:00"}, "not_before '22:00': applies only with"),
        ({"run_after": ["a"], "not_before": "22:00+01:00"}, "not_before '22:00:00+01:00': give"),
        ({"run_time": "21:00", "calendar_schools": "1,north"}, "calendar_schools.1 'north'"),
    ],
)
def test_bad_run_after_fields_are_named(fields, expected):
    with pytest.raises(InvalidDefinition, match="job 'x'") as info:
        parse_definition({"id": "x", "title": "X", "class": "address_corrections"} | fields)
    assert expected in str(info.value)


def test_an_unquoted_not_before_in_yaml_means_that_time():
    doc = yaml.safe_load("run_after: [a]\nnot_before: 22:05\n")  # YAML 1.1: 1325
    assert parse_definition(job("x", **doc)).not_before == dt.time(22, 5)


def test_find_cycle_gives_the_path_back_to_its_start():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None


def test_order_errors_name_missing_inactive_and_the_cycle():
    table = {
        "set-next-school": (True, ()),
        "old-export": (False, ()),
        "rollover": (True, ("set-next-school",)),
        "cleanup": (True, ("rollover",)),
    }
    errors = order_errors(defs(job("a", run_after=["nope", "old-export"])), table)
    assert [str(e) for e in errors] == [
        "job 'a': run_after 'nope': no job has this id (see focus-jobs list)",
        "job 'a': run_after 'old-export': is inactive, so this job would never run: "
        "activate it or remove it here",
    ]
    # An inactive job may wait on an inactive one: neither runs.
    assert order_errors(defs(job("a", run_after=["old-export"], active=False)), table) == []
    # Set Next School made to run after Cleanup closes a loop of three.
    errors = order_errors(defs(job("set-next-school", run_after=["cleanup"])), table)
    assert [str(e) for e in errors] == [
        "job 'set-next-school': run_after ['cleanup']: makes a cycle: set-next-school runs after "
        "cleanup runs after rollover runs after set-next-school; remove one of these links"
    ]
    # Switching off a job that an active job runs after would leave that job waiting.
    errors = order_errors(defs(job("set-next-school", active=False)), table)
    assert [str(e) for e in errors] == [
        "job 'set-next-school': active False: job 'rollover' runs after this job: "
        "change that job first"
    ]


def _write(path: Path, jobs: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"jobs": jobs}))
    return path


def _ids(url: str) -> list[str]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        ids = sorted(conn.execute(sa.select(scheduled_jobs.c.id)).scalars())
    eng.dispose()
    return ids


def test_cli_import_refuses_a_cycle_and_a_missing_job_and_writes_nothing(
    focus_env, tmp_path, capsys
):
    url = os.environ["FOCUS_DB_URL"]
    upstream = job("set-next-school")
    assert cli.main(["import", str(_write(tmp_path / "one.yaml", [upstream]))]) == 0
    cycle = _write(
        tmp_path / "cycle.yaml",
        [
            job("rollover", run_after=["set-next-school"], not_before="22:00"),
            job("set-next-school", run_after=["cleanup"]),
            job("cleanup", run_after=["rollover"]),
        ],
    )
    capsys.readouterr()
    assert cli.main(["import", str(cycle)]) == 1
    err = capsys.readouterr().err
    assert (
        "row 1, job 'rollover': run_after ['set-next-school']: makes a cycle: rollover runs "
        "after set-next-school runs after cleanup runs after rollover" in err
    )
    assert "Nothing imported: 1 error(s)" in err
    missing = _write(tmp_path / "missing.yaml", [job("rollover", run_after=["set-next-schol"])])
    assert cli.main(["import", "--dry-run", str(missing)]) == 1
    assert "row 1, job 'rollover': run_after 'set-next-schol': no job has this id" in (
        capsys.readouterr().err
    )
    assert _ids(url) == ["set-next-school"]
    # The chain itself is fine, and `list` shows it.
    chain = _write(tmp_path / "chain.yaml", [job("rollover", run_after=["set-next-school"])])
    assert cli.main(["import", str(chain)]) == 0
    capsys.readouterr()
    cli.main(["list"])
    out = capsys.readouterr().out
    assert "after set-next-school" in out


def _output(conn: sa.Connection, job_id: str, run: str, finished: dt.datetime, ok: bool) -> None:
    conn.execute(
        sa.insert(job_output).values(
            job_id=job_id,
            run_id=run,
            started_at=finished - dt.timedelta(minutes=1),
            finished_at=finished,
            success=ok,
            summary="",
            text_output="",
            html_output="",
        )
    )


def test_waiting_for_counts_only_upstream_successes_since_the_last_run(engine: sa.Engine):
    t = dt.datetime(2027, 6, 5, 20, tzinfo=dt.UTC)
    with engine.begin() as conn:
        upsert(
            conn,
            defs(job("set-next-school"), job("rollover", run_after=["set-next-school"])),
            user="test",
        )
        conn.execute(sa.update(scheduled_jobs).values(created_at=t - dt.timedelta(days=30)))
        _output(conn, "set-next-school", "before-created", t - dt.timedelta(days=31), True)
    with engine.connect() as conn:
        # Its only success is older than the job that runs after it.
        assert waiting_for(conn, "rollover", ["set-next-school"]) == ["set-next-school"]
    with engine.begin() as conn:
        _output(conn, "set-next-school", "failed", t, False)
    with engine.connect() as conn:
        assert waiting_for(conn, "rollover", ["set-next-school"]) == ["set-next-school"]
        assert last_runs(conn, ["set-next-school"])["set-next-school"] == {
            "finished_at": t,
            "success": False,
        }
    with engine.begin() as conn:
        _output(conn, "set-next-school", "ok", t + dt.timedelta(hours=1), True)
    with engine.connect() as conn:
        assert waiting_for(conn, "rollover", ["set-next-school"]) == []
    with engine.begin() as conn:
        _output(conn, "rollover", "ran", t + dt.timedelta(hours=2, minutes=1), True)
    with engine.connect() as conn:
        assert waiting_for(conn, "rollover", ["set-next-school"]) == ["set-next-school"]


def test_dags_of_a_chain_emit_and_wait_for_job_assets():
    rows = [
        document_to_row(d)
        for d in defs(
            job("set-next-school"),
            job("rollover", run_after=["set-next-school"], not_before="22:00", weekdays=["sat"]),
            job("cleanup", run_after=["rollover", "set-next-school"]),
        )
    ]
    dags = build_dags_from_table(JobTable("America/New_York", rows))
    assert dags["set-next-school"].get_task(TASK_ID).outlets == [job_asset("set-next-school")]
    # What the scheduler reads: the serialized DAGs.
    stored = {k: DagSerialization.from_dict(DagSerialization.to_dict(v)) for k, v in dags.items()}
    cleanup = stored["cleanup"].timetable
    assert type(cleanup).__name__ == "AssetTriggeredTimetable"
    assert {a.name for a in cleanup.asset_condition.objects} == {
        job_asset("rollover").name,
        job_asset("set-next-school").name,
    }
    rollover = stored["rollover"].timetable
    # Assets or 22:00 on Saturdays: the timed half is the Focus timetable.
    assert type(rollover).__name__ == "AssetOrTimeSchedule"
    assert isinstance(rollover.timetable, FocusJobTimetable)
    assert rollover.timetable.schedule.run_time == dt.time(22)
    assert rollover.summary == "Asset or 22:00 sat (America/New_York)"
    assert "after set-next-school, not before 22:00 sat" in dags["rollover"].doc_md


def test_the_new_fields_survive_the_table_on_both_databases(engine: sa.Engine):
    from include.repository import load_definitions

    saved = defs(
        job("set-next-school", school_days_only=False, calendar_schools=[3, 1]),
        job("rollover", run_after=["set-next-school"], not_before="22:00", school_days_only=True),
        job("plain"),
    )
    with engine.begin() as conn:
        upsert(conn, saved, user="test")
    with engine.connect() as conn:
        loaded = {d.id: d for d in load_definitions(conn)}
    assert loaded == {d.id: d for d in saved}
    assert loaded["set-next-school"].calendar_schools == (3, 1)
    assert loaded["plain"].school_days_only is None


def _has_cycle(graph: dict[str, tuple[str, ...]]) -> bool:
    """Kahn's algorithm: a graph has a cycle when not every node can be taken in order."""
    waiting = {n: {u for u in ups if u in graph} for n, ups in graph.items()}
    while True:
        ready = [n for n, ups in waiting.items() if not ups]
        if not ready:
            return bool(waiting)
        for n in ready:
            del waiting[n]
        for ups in waiting.values():
            ups.difference_update(ready)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from("abcdefg"),
        st.lists(st.sampled_from("abcdefg"), max_size=3).map(tuple),
        max_size=7,
    )
)
def test_find_cycle_finds_a_real_cycle_exactly_when_there_is_one(graph):
    graph = {n: tuple(u for u in ups if u in graph) for n, ups in graph.items()}
    cycle = find_cycle(graph)
    assert (cycle is not None) == _has_cycle(graph)
    if cycle is not None:
        assert cycle[0] == cycle[-1] and len(set(cycle[:-1])) == len(cycle) - 1
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


@pytest.mark.parametrize("stored", ["false", "0", "f", "FALSE"])
def test_an_upstream_switched_off_by_a_direct_edit_counts_as_inactive(engine: sa.Engine, stored):
    """The save check reads ``active`` as the DAG factory does: text "false" is off (SQLite keeps
    what a direct edit wrote), so a job cannot be saved to wait on a job that has no DAG."""
    from include.job_order import check_order
    from tests.rows import good_row, insert_rows

    insert_rows(engine, good_row("old-export"))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":  # a direct edit: no type on the way
            conn.execute(sa.text("UPDATE scheduled_jobs SET active = :v"), {"v": stored})
        else:
            conn.execute(sa.text("UPDATE scheduled_jobs SET active = false"))
    with engine.connect() as conn:
        errors = check_order(conn, defs(job("after-it", run_after=["old-export"])))
    assert [(e.field, e.value) for e in errors] == [("run_after", "old-export")]
    assert "is inactive" in errors[0].message
