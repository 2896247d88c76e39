"""The dag-processor's memo of the job classes (include/class_memo.py): the DAGs are the same
with it, without it and with a damaged one; once it knows the classes a parse imports no job
module; it forgets what the rows no longer use and never remembers parameters that failed."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import include.class_memo as class_memo
from include.dag_builder import build_dags, class_memo_path
from include.repository import upsert, validate_documents
from job_library.registry import REGISTRY, example_params
from job_library.site import AddOn, SiteProfile, write_site_profile
from tests.dags.conftest import child_env
from tests.rows import good_row, insert_rows


def _every_class(engine: sa.Engine) -> list[str]:
    """One job per catalog class, half of them on school days, a GA site with SSS only (so
    Florida and add-on classes are flagged); returns the job ids."""
    docs = [
        {
            "id": f"m-{key}".replace("_", "-")[:100],
            "title": f"Memo: {key}",
            "class": key,
            "kind": str(cls.kind),
            "params": example_params(key),
            "run_time": "02:00",
            "timeframe_end": "05:00",
        }
        | ({"school_days_only": True} if i % 3 == 0 else {})
        for i, (key, cls) in enumerate(REGISTRY.items())
    ]
    definitions, errors = validate_documents(docs)
    assert errors == []
    with engine.begin() as conn:
        upsert(conn, definitions, user="test")
        write_site_profile(conn, SiteProfile(state="GA", add_ons={AddOn.SSS}), user="test")
    return [d["id"] for d in docs]


def _shape(dag: Any) -> dict[str, Any]:
    """What a district sees of a DAG and what its tasks are given."""
    tasks = {}
    for task in dag.tasks:
        tasks[task.task_id] = {
            "type": type(task).__name__,
            "upstream": sorted(task.upstream_task_ids),
            "where": [getattr(task, a, None) for a in ("sftp_conn_id", "path", "file_pattern")],
            "timeout": getattr(task, "timeout", None),
            "days": repr(getattr(task, "days", None)),
        }
    return {
        "tags": sorted(dag.tags),
        "doc": dag.doc_md,
        "description": dag.description,
        "timetable": repr(getattr(dag.timetable, "serialize", lambda: None)()),
        "tasks": tasks,
    }


def _memo(db_home: Path) -> dict[str, Any]:
    return json.loads(class_memo_path(db_home / "scheduled_jobs.snapshot.json").read_text())


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The classes the memo looked up in the catalog (each one an import on a fresh parse)."""
    seen: list[str] = []
    real = class_memo.get_job_class

    def spy(key: str) -> Any:
        seen.append(key)
        return real(key)

    monkeypatch.setattr(class_memo, "get_job_class", spy)
    return seen


def test_the_dags_are_the_same_with_and_without_the_memo(db, tmp_path: Path, lookups):
    ids = _every_class(db)
    first = {k: _shape(v) for k, v in build_dags().items()}
    assert sorted(first) == sorted(ids)
    assert len(lookups) == len(REGISTRY)  # nothing known yet: every class looked up
    memo = _memo(tmp_path / "home")
    assert sorted(memo["classes"]) == sorted(REGISTRY)
    lookups.clear()
    second = {k: _shape(v) for k, v in build_dags().items()}
    assert lookups == []
    assert second == first
    # The facts came through the file: flagged classes, school days, file waits.
    fl = first["m-florida-test-id-assignment"]
    assert "unavailable-class" in fl["tags"]
    assert "is for FL districts; this site's state is GA" in fl["doc"]
    assert "unavailable-class" not in first["m-alert-when-existing-mtss-students-enroll"]["tags"]
    assert first["m-frontline-leave"]["tasks"]["wait_for_file"]["where"][0] == "frontline_sftp"
    assert "unavailable-class" in first["m-frontline-leave"]["tags"]  # ERP add-on missing


def test_a_parse_that_knows_the_classes_imports_no_job_module(db, tmp_path: Path):
    _every_class(db)
    env = child_env(db, tmp_path / "home")
    child = (
        "import json, sys\n"
        "from include.dag_builder import build_dags\n"
        "dags = build_dags()\n"
        "print(json.dumps([len(dags), sorted(m for m in sys.modules "
        "if m.startswith('job_library.jobs.'))]))\n"
    )

    def parse() -> tuple[int, list[str]]:
        out = subprocess.run(
            [sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr[-2000:]
        count, modules = json.loads(out.stdout.strip().splitlines()[-1])
        return count, modules

    count, modules = parse()  # learns
    assert count == len(REGISTRY) and len(modules) >= len(REGISTRY) // 2
    assert parse() == (len(REGISTRY), [])


def test_another_version_of_the_library_is_not_trusted(db, tmp_path: Path, lookups, monkeypatch):
    insert_rows(db, good_row("a"), good_row("b", job_class="daily_maintenance", params={}))
    build_dags()
    lookups.clear()
    monkeypatch.setattr(class_memo, "library_version", lambda: "another version")
    build_dags()
    assert sorted(lookups) == ["address_corrections", "daily_maintenance"]
    assert _memo(tmp_path / "home")["version"] == "another version"


def test_the_library_version_follows_its_files(tmp_path: Path, monkeypatch):
    library = tmp_path / "job_library"
    (library / "jobs").mkdir(parents=True)
    (library / "jobs" / "one.py").write_text("TITLE = 'one'\n")
    (library / "base.py").write_text("X = 1\n")
    monkeypatch.setattr(class_memo, "_LIBRARY", library)
    before = class_memo.library_version()
    assert class_memo.library_version() == before
    (library / "jobs" / "one.py").write_text("TITLE = 'two'\n")  # same size, new mtime
    os.utime(library / "jobs" / "one.py", ns=(1, 1))
    changed = class_memo.library_version()
    assert changed != before
    (library / "jobs" / "new.py").write_text("")
    assert class_memo.library_version() != changed


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"version": "?", "classes": {}, "params": {}}),
        "VERSION",  # replaced by the current version with damaged entries below
    ],
)
def test_a_damaged_memo_costs_an_import_and_nothing_else(
    db, tmp_path: Path, lookups, caplog, content: str
):
    insert_rows(db, good_row("a"), good_row("b", job_class="frontline_leave", params={}))
    want = {k: _shape(v) for k, v in build_dags().items()}
    path = class_memo_path(tmp_path / "home" / "scheduled_jobs.snapshot.json")
    if content == "VERSION":
        damaged = _memo(tmp_path / "home")
        damaged["classes"]["frontline_leave"] = {"key": 5}
        content = json.dumps(damaged)
    path.write_text(content)
    lookups.clear()
    with caplog.at_level(logging.WARNING):
        got = {k: _shape(v) for k, v in build_dags().items()}
    assert got == want
    assert lookups  # learnt again
    assert _memo(tmp_path / "home")["version"] == class_memo.library_version()
    lookups.clear()
    build_dags()
    assert lookups == []


def test_parameters_that_failed_are_never_remembered(db, tmp_path: Path, lookups):
    bad = good_row("bad", job_class="daily_maintenance", params={"days": "lots"})
    insert_rows(db, good_row("a"), bad)
    for _ in range(2):
        dags = build_dags()
        assert "config-error" in dags["bad"].tags
        assert "params.days" in dags["bad"].doc_md
    memo = _memo(tmp_path / "home")
    assert sorted(memo["classes"]) == ["address_corrections"]
    assert [k.split("\n")[0] for k in memo["params"]] == ["address_corrections"]


def test_the_memo_forgets_what_the_rows_no_longer_use(db, tmp_path: Path, lookups):
    insert_rows(db, good_row("a"), good_row("b", job_class="daily_maintenance", params={}))
    build_dags()
    assert sorted(_memo(tmp_path / "home")["classes"]) == [
        "address_corrections",
        "daily_maintenance",
    ]
    with db.begin() as conn:
        conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id = 'b'"))
    build_dags()
    memo = _memo(tmp_path / "home")
    assert sorted(memo["classes"]) == ["address_corrections"]
    assert len(memo["params"]) == 1


def test_new_parameters_of_a_known_class_are_validated(db, tmp_path: Path, lookups):
    insert_rows(db, good_row("b", job_class="daily_maintenance", params={}))
    build_dags()
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE scheduled_jobs SET params = :p WHERE id = 'b'"),
            {"p": json.dumps({"days": "lots"})},
        )
    assert "config-error" in build_dags()["b"].tags


def test_a_library_whose_version_cannot_be_read_only_costs_the_memo(
    db, tmp_path: Path, lookups, monkeypatch
):
    insert_rows(db, good_row("a"))
    build_dags()
    monkeypatch.setattr(class_memo, "_LIBRARY", tmp_path / "no-such-folder")
    lookups.clear()
    assert sorted(build_dags()) == ["a"]
    assert lookups == ["address_corrections"]
