"""The job catalog: stable keys, metadata, form schemas, and no Airflow anywhere."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from job_library.base import JobKind
from job_library.registry import REGISTRY, catalog

LIBRARY = Path(__file__).resolve().parents[2] / "job_library"


def test_job_library_never_imports_airflow_statically():
    offenders = []
    for path in LIBRARY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "airflow"]
    assert offenders == []


def test_importing_every_job_loads_no_airflow_module():
    code = (
        "import sys, pkgutil, importlib, job_library, job_library.jobs\n"
        "import job_library.registry\n"
        "for m in pkgutil.walk_packages(job_library.__path__, 'job_library.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n == 'airflow' or n.startswith('airflow.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_class_has_a_stable_key_and_metadata():
    assert {"missing_class", "daily_maintenance", "address_corrections", "rollover"} <= set(
        REGISTRY
    )
    for key, cls in REGISTRY.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
        assert cls.key == key
        assert cls.title and cls.description and cls.module
        assert isinstance(cls.kind, JobKind)


def test_rollover_form_has_enrollment_date_and_code():
    entry = next(e for e in catalog() if e["key"] == "rollover")
    props = entry["params_schema"]["properties"]
    assert props["enrollment_date"]["title"] == "Enrollment date"
    assert props["enrollment_date"]["format"] == "date"
    assert props["enrollment_code"]["title"] == "Enrollment code"
    assert set(entry["params_schema"]["required"]) == {"enrollment_date", "enrollment_code"}


def test_daily_maintenance_form_has_days_with_default_and_bounds():
    entry = next(e for e in catalog() if e["key"] == "daily_maintenance")
    days = entry["params_schema"]["properties"]["days"]
    assert (days["type"], days["default"], days["minimum"]) == ("integer", 30, 1)


def test_store_history_choices_match_the_retention_table():
    from typing import get_args

    from include.definitions import HistoryRetention
    from job_library.retention import RETENTION_DAYS

    assert set(get_args(HistoryRetention)) == set(RETENTION_DAYS)


def test_building_one_job_imports_only_that_job():
    # What a task's DAG parse pays: one job module, not the catalog and the SIS schema.
    code = (
        "import sys\n"
        "from job_library.registry import get_job_class\n"
        "get_job_class('address_corrections')\n"
        "print(sorted(n for n in sys.modules if n.startswith('job_library.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(
        [
            "job_library.base",
            "job_library.jobs",
            "job_library.jobs.sis",
            "job_library.jobs.sis.address_corrections",
            "job_library.output",
            "job_library.registry",
            "job_library.usps",  # the USPS tables themselves load on first use
        ]
    )


def test_an_unknown_key_is_not_in_the_catalog():
    from job_library.registry import get_job_class

    assert get_job_class("legacy_php_export") is None
    assert "legacy_php_export" not in REGISTRY
    assert len(REGISTRY) == len(list(REGISTRY)) == len(catalog())


def test_every_class_has_parameters_it_validates_with():
    """The benchmarks and the build checks make jobs of every class from these."""
    from job_library.registry import example_params

    refused = {}
    for key, cls in REGISTRY.items():
        try:
            cls.params_model.model_validate(example_params(key))
        except ValueError as exc:
            refused[key] = str(exc).splitlines()[0]
    assert refused == {}, "give these classes example_params"
