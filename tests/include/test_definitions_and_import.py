"""Job definitions: validation messages, the YAML format, import all-or-nothing, settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from include import cli
from include.definitions import InvalidDefinition, parse_definition
from include.focus_db.schema import scheduled_jobs
from include.jobs_file import dump_jobs
from include.repository import (
    get_timezone,
    load_definitions,
    set_setting,
    upsert,
    validate_documents,
)

GOOD = {
    "id": "rollover-2027",
    "title": "Rollover 2027",
    "class": "rollover",
    "run_time": "22:00",
    "weekdays": ["sat"],
    "start_date": "2027-06-01",
    "end_date": "2027-07-31",
    "emails": ["registrar@district.org", "it@district.org"],
    "params": {"enrollment_date": "2027-08-10", "enrollment_code": "E01"},
}


def test_error_names_the_row_field_value_and_fix():
    bad = {**GOOD, "start_date": "2026-08-01", "end_date": "2026-01-01"}
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(bad, row=3)
    assert str(info.value) == (
        "row 3, job 'rollover-2027': end_date '2026-01-01': is before start_date 2026-08-01"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"weekdays": ["sat", "caturday"]}, "weekdays.1 'caturday'"),
        (
            {"timeframe_start": "23:00", "timeframe_end": "01:00"},
            "timeframe_end '01:00': is before",
        ),
        ({"emails": "a@district.org, nope"}, "emails 'nope': is not a valid e-mail address"),
        ({"params": {"enrollment_code": "E01"}}, "params.enrollment_date None: is required"),
        ({"priority": "high"}, "priority 'high'"),
        ({"priority": 2.5}, "priority 2.5"),
        ({"run_time": None}, "run_time None: set a run time"),
        ({"repeat_minutes": 15}, "repeat_minutes 15: set either run_time or repeat_minutes"),
        (
            {"run_time": "23:30", "timeframe_start": "21:00", "timeframe_end": "23:00"},
            "run_time '23:30': is outside the scheduled timeframe",
        ),
        ({"id": "Has Spaces"}, "id 'Has Spaces'"),
        ({"store_history": "2 days"}, "store_history '2 days'"),
        ({"kind": "cron"}, "kind 'cron'"),
    ],
)
def test_each_bad_field_is_named(change, expected):
    with pytest.raises(InvalidDefinition, match=None) as info:
        parse_definition({**GOOD, **change})
    assert expected in str(info.value)


def test_defaults_follow_focus():
    d = parse_definition(
        {"id": "x", "title": "X", "class": "daily_maintenance", "run_time": "01:00"}
    )
    assert d.priority == 500
    assert d.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert d.active is True and d.emails == () and d.store_history is None


def test_export_import_round_trip(engine):
    definitions, errors = validate_documents(
        [
            GOOD,
            {
                **GOOD,
                "id": "every-15",
                "run_time": None,
                "repeat_minutes": 15,
                "class": "daily_maintenance",
                "params": {"days": 7},
            },
        ]
    )
    assert errors == []
    with engine.begin() as conn:
        assert upsert(conn, definitions, user="alice") == (2, 0)
    with engine.connect() as conn:
        loaded = load_definitions(conn)
        audit = conn.execute(
            sa.select(scheduled_jobs.c.created_by, scheduled_jobs.c.updated_by)
        ).all()
    assert [d.to_document() for d in loaded] == sorted(
        (d.to_document() for d in definitions), key=lambda d: d["id"]
    )
    assert set(audit) == {("alice", "alice")}
    changed = definitions[0].model_copy(update={"priority": 900})
    with engine.begin() as conn:
        assert upsert(conn, [changed], user="bob") == (0, 1)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(scheduled_jobs).where(scheduled_jobs.c.id == "rollover-2027")
        ).one()
    assert (row.priority, row.created_by, row.updated_by) == (900, "alice", "bob")


def test_timezone_setting(engine):
    with engine.begin() as conn:
        assert get_timezone(conn) == "America/New_York"
        set_setting(conn, "timezone", "America/Chicago")
    with engine.connect() as conn:
        assert get_timezone(conn) == "America/Chicago"
    with (
        pytest.raises(ValueError, match="'Mars/Base' is not an IANA time zone"),
        engine.begin() as conn,
    ):
        set_setting(conn, "timezone", "Mars/Base")


def _write(path: Path, jobs) -> Path:
    # Written out in full: the import refuses anchors and aliases, which PyYAML would use
    # for the lists these tests share between jobs.
    path.write_text(dump_jobs(jobs))
    return path


def _ids(url: str) -> list[str]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        ids = sorted(conn.execute(sa.select(scheduled_jobs.c.id)).scalars())
    eng.dispose()
    return ids


def test_cli_import_reports_every_error_and_writes_nothing(focus_env, tmp_path, capsys):
    url = os.environ["FOCUS_DB_URL"]
    assert cli.main(["import", str(_write(tmp_path / "ok.yaml", [GOOD]))]) == 0
    bad = _write(
        tmp_path / "bad.yaml",
        [
            {**GOOD, "id": "fine-one", "title": "Fine"},
            {**GOOD, "id": "bad-one", "weekdays": ["someday"]},
            {**GOOD, "id": "bad-two", "priority": "top", "emails": "x@"},
            {**GOOD, "id": "fine-one"},
        ],
    )
    assert cli.main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "row 2, job 'bad-one': weekdays.0 'someday'" in err
    assert "row 3, job 'bad-two': priority 'top'" in err
    assert "row 4, job 'fine-one': id 'fine-one': repeats the id of row 1" in err
    assert "Nothing imported: 3 error(s)" in err
    assert _ids(url) == ["rollover-2027"]


def test_cli_dry_run_writes_nothing_and_export_reimports(focus_env, tmp_path, capsys):
    url = os.environ["FOCUS_DB_URL"]
    assert cli.main(["import", "--dry-run", str(_write(tmp_path / "a.yaml", [GOOD]))]) == 0
    assert _ids(url) == []
    assert cli.main(["import", "--user", "carol", str(tmp_path / "a.yaml")]) == 0
    assert cli.main(["export", str(tmp_path / "out.yaml")]) == 0
    exported = yaml.safe_load((tmp_path / "out.yaml").read_text())["jobs"]
    assert exported[0]["id"] == "rollover-2027"
    assert exported[0]["params"] == GOOD["params"]
    assert exported[0]["run_time"] == "22:00"
    assert cli.main(["import", str(tmp_path / "out.yaml")]) == 0
    assert "0 created, 1 updated" in capsys.readouterr().out


def test_cli_import_rejects_a_file_that_is_not_a_job_list(focus_env, tmp_path, capsys):
    path = tmp_path / "weird.yaml"
    path.write_text("- just\n- a list\n")
    assert cli.main(["import", str(path)]) == 1
    assert "expected a mapping with a 'jobs' list" in capsys.readouterr().err


def test_cli_run_prints_output_and_stores_it(focus_env, tmp_path, capsys):
    from job_library.schema import job_output, student_addresses

    url = os.environ["FOCUS_DB_URL"]
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.insert(student_addresses).values(student_id=1, address="5 West Elm Street"))
    job = {
        "id": "fix-addresses",
        "title": "Fix",
        "class": "address_corrections",
        "run_time": "02:00",
    }
    assert cli.main(["import", str(_write(tmp_path / "j.yaml", [job]))]) == 0
    assert cli.main(["run", "fix-addresses"]) == 0
    assert "Corrected 1 of 1 address(es)." in capsys.readouterr().out
    with eng.connect() as conn:
        assert conn.execute(sa.select(student_addresses.c.address)).scalar() == "5 W Elm St"
        stored = conn.execute(sa.select(job_output.c.job_id, job_output.c.success)).all()
    assert stored == [("fix-addresses", True)]
    assert cli.main(["run", "nope"]) == 1
    assert "no job with id 'nope'" in capsys.readouterr().err
    eng.dispose()


def test_cli_catalog_lists_classes_with_their_fields(capsys):
    assert cli.main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "rollover" in out and "enrollment_date" in out and "Enrollment code" in out


def test_cli_list_shows_next_runs_missing_classes_and_invalid_rows(focus_env, capsys):
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows

    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("nightly", run_hour=23, run_minute=15, weekdays="mon,tue,wed,thu,fri,sat,sun"),
        good_row("old", job_class="php_gone"),
        good_row("broken", weekdays="someday"),
    )
    assert cli.main(["list"]) == 1  # an invalid row makes the listing exit non-zero
    out = capsys.readouterr().out
    assert "broken                       INVALID: job 'broken': weekdays.0 'someday'" in out
    assert "(missing class php_gone)" in out
    nightly = next(line for line in out.splitlines() if line.startswith("nightly"))
    assert "23:15 daily (America/New_York)" in nightly
    assert nightly.rstrip().endswith(":15")


def test_an_import_template_in_a_definition_file_is_checked_like_any_params():
    template = {
        "connection": "district_sftp",
        "directory": "/imports/staff",
        "file_pattern": "staff_*.csv",
        "target_table": "employees",
        "column_mapping": {"Employee ID": "ein", "Last": "last_name"},
        "key_columns": ["last_name"],
    }
    doc = {
        "id": "staff-import",
        "title": "Staff import",
        "class": "scheduled_import",
        "kind": "import",
        "run_time": "05:00",
        "params": template,
    }
    with pytest.raises(InvalidDefinition) as info:
        parse_definition(doc, row=1)
    where = "row 1, job 'staff-import': params.key_columns ['last_name']:"
    assert str(info.value).startswith(where)
    assert "last_name do not identify a row of employees" in str(info.value)
    d = parse_definition({**doc, "params": {**template, "key_columns": ["ein"]}})
    assert d.kind == "import" and d.params["target_table"] == "employees"


def test_the_plain_address_shortcut_agrees_with_email_validator():
    import email_validator
    from pydantic import EmailStr, TypeAdapter, ValidationError

    from include.definitions import _plain_email

    full = TypeAdapter(EmailStr)

    def accepted(address: str) -> bool:
        try:
            full.validate_python(address)
        except ValidationError:
            return False
        return True

    special = email_validator.SPECIAL_USE_DOMAIN_NAMES
    addresses = [
        "registrar@district.org", "First.Last+tag@mail.k12.fl.us", "it_ops-2@a-b.example.com",
        "a@b.co", "x@localhost", "x@district", "x@127.0.0.1", "x@district.123", ".a@b.org",
        "a.@b.org", "a..b@c.org", "a@-b.org", "a@b-.org", "a@b..org", "Name <a@b.org>",
        "é@b.org", "a@bü.org", "a" * 64 + "@b.org", "a" * 65 + "@b.org",
        "a@" + "b" * 63 + ".org", "a@" + "b" * 64 + ".org", "a@" + ("b" * 60 + ".") * 5 + "org",
        *(f"a@{name}" for name in special), *(f"a@x.{name}" for name in special),
        *(f"a@{name}.x.org" for name in special),
    ]  # fmt: skip
    for address in addresses:
        if _plain_email(address):  # the shortcut only ever says yes, and only when it may
            assert accepted(address), address
    assert _plain_email("registrar@district.org") and _plain_email("First.Last+tag@k12.fl.us")
