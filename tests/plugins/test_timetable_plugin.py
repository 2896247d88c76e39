"""The timetable's plugin loads without the Jobs screen, and the screen's app loads on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from include.deferred_app import DeferredApp

ROOT = Path(__file__).resolve().parents[2]

# The dag-processor's path: serialising a DAG with our timetable makes Airflow load every
# module of the plugins folder to find the registered timetable class.
CHILD = """
import json, sys
import airflow.sdk, airflow.serialization.serialized_objects
baseline = set(sys.modules)
from airflow.serialization.serialized_objects import DagSerialization
from include.dag_builder import build_job_dag
from include.definitions import parse_definition
from airflow import plugins_manager

definition = parse_definition({"id": "nightly", "title": "Nightly", "class": "address_corrections",
                               "run_time": "02:00"})
dag = build_job_dag(definition, "America/New_York")
data = DagSerialization.to_dict(dag)
back = DagSerialization.from_dict(data)
new = set(sys.modules) - baseline
print(json.dumps({
    "timetables": sorted(plugins_manager.get_timetables_plugins()),
    "plugins": sorted(p.name for p in plugins_manager._get_plugins()[0]),
    "round_trip": back.timetable == dag.timetable,
    "screen": sorted(m for m in new if m.startswith(("include.jobs_api", "fastapi"))),
}))
"""


def test_loading_the_plugins_as_airflow_does_imports_nothing_of_the_screen(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env |= {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "include.timetable.FocusJobTimetable" in seen["timetables"]
    assert {"focus_jobs", "focus_timetable"} <= set(seen["plugins"])
    assert seen["round_trip"] is True
    assert seen["screen"] == []


def test_the_timetable_plugin_module_imports_only_the_timetable():
    code = (
        "import sys, importlib.util as u; "
        "s = u.spec_from_file_location('focus_timetable_plugin', sys.argv[1]); "
        "m = u.module_from_spec(s); s.loader.exec_module(m); "
        "print(sorted(n for n in sys.modules if n.startswith(('include.', 'job_library', "
        "'fastapi'))))"
    )
    path = ROOT / "plugins" / "focus_timetable_plugin.py"
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "['include.timetable']"


def _hello(request):
    return PlainTextResponse(f"hello from {request.scope.get('root_path')}")


app = Starlette(routes=[Route("/hello", _hello)])


def test_the_deferred_app_imports_its_target_on_the_first_request():
    deferred = DeferredApp(f"{__name__}:app")
    assert "not loaded yet" in repr(deferred)
    outer = Starlette()
    outer.mount("/focus-jobs", deferred)
    with TestClient(outer) as client:
        answer = client.get("/focus-jobs/hello")
    assert answer.status_code == 200
    assert answer.text == "hello from /focus-jobs"
    assert deferred.load() is app


def test_a_deferred_app_needs_module_and_attribute():
    with pytest.raises(ValueError, match="must be 'module:attribute'"):
        DeferredApp("include.jobs_api")
