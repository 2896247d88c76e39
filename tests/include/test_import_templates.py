"""Import templates cannot reach other integrations' files, nor leave their own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from include import cli
from include.definitions import InvalidDefinition, parse_definition
from include.jobs_file import dump_jobs
from include.save_checks import owned_connections, save_errors

TEMPLATE = {
    "connection": "district_sftp",
    "directory": "/imports/staff",
    "file_pattern": "staff_*.csv",
    "target_table": "employees",
    "column_mapping": {"Employee ID": "ein", "Last": "last_name", "First": "first_name"},
    "key_columns": ["ein"],
}


def _job(job_id: str, active: bool = True, **params: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "title": f"Import {job_id}",
        "class": "scheduled_import",
        "kind": "import",
        "run_time": "05:00",
        "active": active,
        "params": {**TEMPLATE, **params},
    }


def _field_errors(**params: Any) -> list[str]:
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(_job("staff", **params))
    return [f"{e.field}: {e.message}" for e in info.value.errors]


def test_the_owned_connections_come_from_the_catalog():
    assert owned_connections() == {
        "assessments_sftp": "Import Assessment Question Count / Import Assessments",
        "fleid_sftp": "FLEID Export/Import",
        "frontline_sftp": "Frontline Leave",
        "metlife_sftp": "MetLife Incoming",
        "neogov_sftp": "NeoGov New Hires / NeoGov User Data",
        "pcard_sftp": "Pcard Imports",
        "peer_sftp": "Florida Peer Nightly Import / Import Peer Data",
        "regions_sftp": "Regions Bank Import",
    }


@pytest.mark.parametrize(
    ("connection", "owner"),
    [
        ("frontline_sftp", "Frontline Leave"),
        ("metlife_sftp", "MetLife Incoming"),
        ("neogov_sftp", "NeoGov New Hires / NeoGov User Data"),
    ],
)
def test_a_connection_an_integration_owns_is_refused_beside_the_field(connection, owner):
    d = parse_definition(_job("staff", connection=connection))
    errors = save_errors([d], [], allow_missing_class=False, missing_class_hint="x")
    assert [(e.field, e.value) for e in errors] == [("params.connection", connection)]
    assert f"belongs to the {owner} integration" in errors[0].message


@pytest.mark.parametrize("directory", ["/", "//", "imports/staff", "/a/../b", "/a/./b", "/a\\b"])
def test_a_directory_outside_a_plain_absolute_folder_is_refused(directory):
    assert [e.split(":")[0] for e in _field_errors(directory=directory)] == ["params.directory"]


@pytest.mark.parametrize("folder", ["..", ".", "...", "/abs", "a/../b", "../x", ""])
def test_the_processed_folder_stays_inside_the_directory(folder):
    assert [e.split(":")[0] for e in _field_errors(processed_folder=folder)] == [
        "params.processed_folder"
    ]


@pytest.mark.parametrize(
    ("delimiter", "quote_char", "field"),
    [
        ("", '"', "params.delimiter"),
        (";;", '"', "params.delimiter"),
        ("\n", '"', "params.delimiter"),
        ("a", '"', "params.delimiter"),
        ("1", '"', "params.delimiter"),
        (",", " ", "params.quote_char"),
        (",", "\x00", "params.quote_char"),
        (",", ",", "params.quote_char"),
        ("\t", "\t", "params.quote_char"),
    ],
)
def test_delimiter_and_quote_are_single_printable_and_different(delimiter, quote_char, field):
    errors = _field_errors(delimiter=delimiter, quote_char=quote_char)
    assert [e.split(":")[0] for e in errors] == [field]


@pytest.mark.parametrize(("delimiter", "quote_char"), [("\t", '"'), ("|", "'"), (";", "`")])
def test_usual_delimiters_and_quotes_are_fine(delimiter, quote_char):
    parse_definition(_job("staff", delimiter=delimiter, quote_char=quote_char))


@pytest.fixture
def db(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("FOCUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOCUS_DB_URL", engine.url.render_as_string(hide_password=False))
    return engine


def _import(tmp_path: Path, *jobs: dict[str, Any]) -> int:
    path = tmp_path / "jobs.yaml"
    path.write_text(dump_jobs(list(jobs)))
    return cli.main(["import", str(path)])


def test_a_directory_another_active_import_reads_is_refused(db, tmp_path, capsys):
    assert _import(tmp_path, _job("staff-a")) == 0
    assert _import(tmp_path, _job("staff-b")) == 1
    err = capsys.readouterr().err
    assert "job 'staff-b': params.directory '/imports/staff': is already read by the job" in err
    # Another connection, or an inactive job, reads nothing that matters here.
    assert _import(tmp_path, _job("staff-c", connection="other_sftp")) == 0
    assert _import(tmp_path, _job("staff-d", active=False)) == 0
    # Re-saving the same job is not a conflict with itself.
    assert _import(tmp_path, _job("staff-a")) == 0


def test_processed_folders_never_feed_another_import(db, tmp_path, capsys):
    assert _import(tmp_path, _job("staff-a")) == 0
    # Reading where staff-a moves its imported files...
    assert _import(tmp_path, _job("staff-b", directory="/imports/staff/processed")) == 1
    assert "is where the job 'staff-a' moves the files it imported" in capsys.readouterr().err
    # ...or moving files into the folder staff-a reads.
    moved = _job("staff-c", directory="/imports", processed_folder="staff")
    assert _import(tmp_path, moved) == 1
    assert "params.processed_folder 'staff': would move files into /imports/staff" in (
        capsys.readouterr().err
    )
