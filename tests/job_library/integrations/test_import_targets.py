"""The import targets a template is checked against are those of the table definitions."""

from __future__ import annotations

import subprocess
import sys

from job_library.jobs.integrations.import_targets import TARGETS, from_tables


def test_the_import_targets_catalog_matches_the_table_definitions():
    # Checking a template reads TARGETS, not the tables (a DAG-file parse must not import
    # them); regenerate with `python -m job_library.jobs.integrations.import_targets`.
    assert from_tables() == TARGETS


def test_a_target_names_its_columns_what_a_new_row_needs_and_its_keys():
    columns, required, keys = TARGETS["employees"]
    assert "ein" in columns and set(required) <= set(columns)
    assert keys[0] and all(set(k) <= set(columns) for k in keys)


def test_reading_the_targets_imports_no_table_definitions():
    code = (
        "import sys, job_library.jobs.integrations.scheduled_import\n"
        "print([m for m in sys.modules if m.startswith('job_library.schema')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
