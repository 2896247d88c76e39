"""Building a job's DAG imports only its class's metadata, never what running the job needs.

A worker parses the DAG file before every task (for the one DAG it runs), so whatever the
factory imports is paid per task. Each catalog class (REGISTRY, so new classes are covered
without touching this file) is checked twice in one fresh interpreter that has imported
Airflow as a worker has: importing the class's module (the cheap import rule; every module
first), then executing the DAG file for that job's one DAG with Airflow's parsing context
set, as the task runner does. After each step it lists the forbidden modules that appeared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from include.repository import upsert, validate_documents
from job_library.registry import REGISTRY, example_params

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "focus_jobs.py"

# Only running a job needs these: the tables and their SQL, SFTP, HTTP clients, the screen.
FORBIDDEN_ON_BUILD = (
    "job_library.schema",
    "job_library.schemas",
    "job_library.platform_schema",
    "job_library.sis_sql",
    "include.runner",
    "include.jobs_api",
    "include.sftp_files",
    "airflow.providers.sftp.hooks",
    "airflow.providers.sftp.sensors",
    "airflow.providers.ssh.hooks",
    "paramiko",
    "asyncssh",
    "requests",
    "nh3",
    "pandas",
    "fastapi",
)
# A class's module alone (the cheap import rule) imports none of them either.
FORBIDDEN_ON_IMPORT = FORBIDDEN_ON_BUILD

# Parameters for classes whose model has required fields the generic filler cannot guess.
CHILD = """
import importlib, importlib.machinery, importlib.util, json, os, sys
import airflow.sdk, airflow.sdk.execution_time.task_runner, airflow.dag_processing.dagbag

FORBIDDEN_ON_BUILD, FORBIDDEN_ON_IMPORT, DAG_FILE, JOBS = json.loads(sys.argv[1])
# What Airflow itself already imported costs the factory nothing (its httpx client, ...).
baseline = set(sys.modules)

def new_forbidden(prefixes, since):
    return sorted(
        m for m in set(sys.modules) - since
        if any(m == p or m.startswith(p + ".") for p in prefixes)
    )

from job_library.registry import _LOCATIONS
report = {key: {} for key, _ in JOBS}
# Every module first: the factory's own reads (the site profile's table) come after.
for key, _ in JOBS:
    importlib.import_module(f"job_library.jobs.{_LOCATIONS[key].split(':')[0]}")
    report[key]["on_import"] = new_forbidden(FORBIDDEN_ON_IMPORT, baseline)
after_imports = set(sys.modules)
for key, job_id in JOBS:
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = job_id
    name = f"focus_jobs_{job_id.replace('-', '_')}"
    loader = importlib.machinery.SourceFileLoader(name, DAG_FILE)
    dag_module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(dag_module)
    dag = vars(dag_module).get(job_id)
    report[key] |= {
        "on_build": new_forbidden(FORBIDDEN_ON_BUILD, after_imports),
        "built": sorted(v.dag_id for v in vars(dag_module).values() if type(v).__name__ == "DAG"),
        "tags": sorted(dag.tags) if dag else [],
        "tasks": sorted(dag.task_ids) if dag else [],
    }
print(json.dumps(report))
"""


def test_building_each_class_dag_imports_nothing_its_run_needs(focus_env: Path):
    jobs = [(key, f"cheap-{i:02d}") for i, key in enumerate(REGISTRY)]
    documents = [
        {
            "id": job_id,
            "title": f"Cheap {key}",
            "class": key,
            "kind": str(REGISTRY[key].kind),
            "run_time": "02:00",
            "params": example_params(key),
        }
        for key, job_id in jobs
    ]
    definitions, errors = validate_documents(documents)
    assert not errors, f"give these classes example_params: {errors}"
    engine = sa.create_engine(os.environ["FOCUS_DB_URL"])
    with engine.begin() as conn:
        upsert(conn, definitions, user="test")
    engine.dispose()

    env = {k: v for k, v in os.environ.items() if not k.startswith("_AIRFLOW_PARSING")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    args = json.dumps([FORBIDDEN_ON_BUILD, FORBIDDEN_ON_IMPORT, str(DAG_FILE), jobs])
    out = subprocess.run(
        [sys.executable, "-c", CHILD, args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])

    assert set(report) == set(REGISTRY)
    for key, _ in jobs:
        seen = report[key]["on_import"]
        assert seen == [], f"importing {key}'s module imported {seen}"
    for key, job_id in jobs:
        seen = report[key]
        assert seen["built"] == [job_id], (key, seen)
        assert "config-error" not in seen["tags"], (key, seen["tags"])
        assert seen["on_build"] == [], f"building {key}'s DAG imported {seen['on_build']}"
    # The file jobs really got their sensor (built without the SFTP provider).
    file_jobs = {k for k in REGISTRY if "wait_for_file" in report[k]["tasks"]}
    assert {"frontline_leave", "metlife_incoming"} <= file_jobs
    # FLEID Export/Import reads its answers over SFTP but sends requests too: it never waits.
    assert "fleid_export_import" not in file_jobs
    assert report["fleid_export_import"]["tasks"] == ["run_job"]
