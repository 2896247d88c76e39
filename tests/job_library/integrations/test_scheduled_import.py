"""Scheduled imports against a real SFTP server and real databases, values worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from include.sftp_files import SftpFiles
from job_library.jobs.integrations.scheduled_import import (
    ImportTemplate,
    ScheduledImport,
    importable_tables,
)
from job_library.schema import deduction_codes, employee_deductions, employees, processed_files
from tests.job_library.jobs_context import run_in_transaction
from tests.openssh_server import OpenSshServer

NOW = dt.datetime(2026, 11, 28, 4, 0, 0, tzinfo=ZoneInfo("America/New_York"))
STAFF = dict(
    connection="district_sftp",
    directory="/imports/staff",
    file_pattern="staff_*.csv",
    delimiter=";",
    target_table="employees",
    column_mapping={
        "Employee ID": "ein",
        "SSN": "ssn",
        "First": "first_name",
        "Last": "last_name",
        "Hired": "hire_date",
    },
    key_columns=["ein"],
)
FILE = (
    "Employee ID;SSN;First;Last;Hired;Extra\n"
    "E1;123-45-6789;Eve;One-Changed;2020-08-01;x\n"  # line 2: updated
    "E2;999-88-7777;Ed;Two;;x\n"  # line 3: as it is: unchanged
    'N1;111-22-3333;"Ann; Jr";New;11/02/2026;x\n'  # line 4: inserted
    "N2;999-88-7777;Dup;Ssn;;x\n"  # line 5: E2's SSN
    "N3;;No;Ssn;2026-13-01;x\n"  # line 6: no such date
    "N1;444-44-4444;Again;Key;;x\n"  # line 7: key of line 4 again
    ";555;Blank;Key;;x\n"  # line 8: no key
    "N4;12345678901234;Long;Ssn;;x\n"  # line 9: SSN too long
)


@pytest.fixture
def hr(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                {"ein": "E1", "ssn": "123-45-6789", "first_name": "Eve", "last_name": "One"},
                {"ein": "E2", "ssn": "999-88-7777", "first_name": "Ed", "last_name": "Two"},
            ],
        )
    return engine


def _put(sftp: OpenSshServer, name: str, text: str | bytes, folder: str = "imports/staff") -> Path:
    return sftp.put(f"{folder}/{name}", text)


def _run(engine, sftp, template: dict = STAFF, now: dt.datetime = NOW):
    with sftp.client() as client:
        return run_in_transaction(
            engine,
            ScheduledImport(),
            ImportTemplate(**template),
            now=now,
            remote=SftpFiles(client),
        )


def _staff(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    employees.c.ein,
                    employees.c.ssn,
                    employees.c.first_name,
                    employees.c.last_name,
                    employees.c.hire_date,
                ).order_by(employees.c.ein)
            )
        ]


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_import_upserts_by_key_and_lists_every_rejected_row(hr, sftp):
    _put(sftp, "staff_2026.csv", FILE)
    _put(sftp, "notes.txt", "not matched by the pattern")
    result = _run(hr, sftp)
    assert _staff(hr) == [
        ("E1", "123-45-6789", "Eve", "One-Changed", dt.date(2020, 8, 1)),
        ("E2", "999-88-7777", "Ed", "Two", None),
        ("N1", "111-22-3333", "Ann; Jr", "New", dt.date(2026, 11, 2)),
    ]
    assert {k: result.counts[k] for k in ("inserted", "updated", "unchanged", "rejected_rows")} == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected_rows": 5,
    }
    rejected = [line for line in result.text.splitlines() if line.startswith("  ")]
    where = "  /imports/staff/staff_2026.csv line"
    assert rejected == [
        f"{where} 5, column 'SSN' ('999-88-7777'): ssn belongs to another row",
        f"{where} 6, column 'Hired' ('2026-13-01'): is not a date (YYYY-MM-DD or MM/DD/YYYY)",
        f"{where} 7, column 'Employee ID' ('N1'): repeats the key of line 4",
        f"{where} 8, column 'Employee ID' (''): is required",
        f"{where} 9, column 'SSN' ('12345678901234'): is longer than 11 characters",
    ]
    assert "<td>repeats the key of line 4</td>" in result.html
    assert _names(sftp.root / "imports" / "staff") == ["notes.txt", "processed"]
    assert _names(sftp.root / "imports" / "staff" / "processed") == [
        "staff_2026_20261128040000.csv"
    ]


def test_a_second_run_changes_nothing_and_says_so(hr, sftp):
    _put(sftp, "staff_2026.csv", FILE)
    _run(hr, sftp)
    before = _staff(hr)
    _put(sftp, "staff_2027.csv", FILE + "\n")  # the same rows in a new file
    again = _run(hr, sftp, now=NOW + dt.timedelta(days=1))
    assert again.summary.endswith("Nothing changed.") and again.counts["unchanged"] == 3
    assert _staff(hr) == before
    _put(sftp, "staff_2028.csv", FILE)  # byte-identical to the first file
    third = _run(hr, sftp, now=NOW + dt.timedelta(days=2))
    assert "is identical to /imports/staff/staff_2026.csv" in third.text
    assert third.counts["files"] == 0 and _staff(hr) == before
    assert len(_names(sftp.root / "imports" / "staff" / "processed")) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Employee ID;SSN;First\nE9;1;2\n", "the header has no column 'Last', 'Hired'"),
        (FILE.splitlines()[0] + "\nE9;1\n", "line 2 has 2 field(s), expected 6"),
        (FILE.replace("Ann", "Ni\xf1a").encode("latin-1"), "not utf-8: byte 0xf1 at offset"),
    ],
    ids=["missing-column", "truncated-line", "bad-encoding"],
)
def test_malformed_file_imports_nothing_and_stays_put(hr, sftp, content, message):
    _put(sftp, "staff_2026.csv", content)
    before = _staff(hr)
    result = _run(hr, sftp)
    assert result.success is False and message in result.text
    assert _staff(hr) == before
    assert _names(sftp.root / "imports" / "staff") == ["processed", "staff_2026.csv"]
    with hr.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(processed_files)).scalar() == 0


def test_csv_options_encoding_and_quotes(hr, sftp):
    template = {**STAFF, "delimiter": "|", "quote_char": "'", "encoding": "latin-1"}
    text = "Employee ID|SSN|First|Last|Hired\nN7|777-77-7777|'Niña|Bo'|Ruiz|\n"
    _put(sftp, "staff_x.csv", text.encode("latin-1"))
    result = _run(hr, sftp, template)
    assert result.counts["inserted"] == 1
    assert _staff(hr)[-1] == ("N7", "777-77-7777", "Niña|Bo", "Ruiz", None)


def test_an_error_midway_changes_nothing_and_the_file_stays(hr, sftp, monkeypatch):
    import job_library.jobs.integrations.scheduled_import as importer

    _put(sftp, "staff_2026.csv", FILE)
    before = _staff(hr)

    def ledger_down(*args, **kwargs):
        raise ConnectionError("ledger write failed")

    monkeypatch.setattr(importer, "record_import", ledger_down)  # after the upsert
    with pytest.raises(ConnectionError, match="ledger write failed"):
        _run(hr, sftp)
    assert _staff(hr) == before
    assert _names(sftp.root / "imports" / "staff") == ["processed", "staff_2026.csv"]


def test_composite_key_and_references(hr, sftp):
    with hr.begin() as conn:
        conn.execute(sa.insert(deduction_codes).values(code="DENT", title="Dental"))
        ids = dict(conn.execute(sa.select(employees.c.ein, employees.c.employee_id)).all())
        conn.execute(
            sa.insert(employee_deductions).values(
                employee_id=ids["E1"], code="DENT", amount=Decimal("10.00")
            )
        )
    template = {
        "connection": "district_sftp",
        "directory": "/imports/deductions",
        "file_pattern": "*.csv",
        "target_table": "employee_deductions",
        "column_mapping": {"emp": "employee_id", "code": "code", "amount": "amount"},
        "key_columns": ["employee_id", "code"],
    }
    text = (
        "emp,code,amount\n"
        f"{ids['E1']},DENT,12.5\n"  # updates 10.00
        f"{ids['E2']},DENT,8\n"  # new
        "9999,DENT,1\n"  # no such employee
        f"{ids['E2']},VISION,1\n"  # no such deduction code
        f"{ids['E2']},DENT,1.234\n"  # three decimals; also the key of line 3
    )
    _put(sftp, "d.csv", text, folder="imports/deductions")
    result = _run(hr, sftp, template)
    with hr.connect() as conn:
        rows = conn.execute(
            sa.select(employee_deductions.c.employee_id, employee_deductions.c.amount).order_by(
                employee_deductions.c.employee_id
            )
        ).all()
    assert [tuple(r) for r in rows] == [(ids["E1"], Decimal("12.50")), (ids["E2"], Decimal("8.00"))]
    assert (result.counts["inserted"], result.counts["updated"]) == (1, 1)
    assert "line 4, column 'emp' ('9999'): no employees row has this employee_id" in result.text
    assert "line 5, column 'code' ('VISION'): no deduction_codes row has this code" in result.text
    assert "line 6, column 'amount' ('1.234'): has more than 2 decimal place(s)" in result.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key_columns": ["last_name"]}, "key_columns\n.*last_name do not identify a row"),
        ({"column_mapping": {"x": "nope", "Employee ID": "ein"}}, "names nope, not columns"),
        ({"column_mapping": {"SSN": "ssn"}, "key_columns": ["ssn"]}, "needs ein for new rows"),
        ({"directory": "imports/../etc"}, "must be an absolute folder"),
        ({"file_pattern": "../*.csv"}, "without folders"),
        ({"target_table": "job_output"}, "is not a Focus table"),
    ],
    ids=["key-not-unique", "unknown-column", "unmapped", "relative-dir", "pattern", "table"],
)
def test_a_template_that_cannot_work_is_refused_when_saved(change, message):
    with pytest.raises(ValidationError, match=message):
        ImportTemplate(**{**STAFF, **change})


@pytest.mark.parametrize(
    "table",
    [
        "system_preferences",
        "site_profile",
        "seeded_defaults",
        "custom_fields",
        "custom_field_values",
        "custom_field_log",
        "worker_checks",
        "processed_files",
        "finance_audit",
    ],
)
def test_the_district_configuration_and_bookkeeping_are_never_import_targets(table):
    with pytest.raises(ValidationError, match=f"is not a Focus table.*input_value='{table}'"):
        ImportTemplate(**{**STAFF, "target_table": table})
    assert "employees" in importable_tables() and table not in importable_tables()


def test_the_import_dag_waits_for_its_own_files(focus_env, sftp, monkeypatch):
    from airflow.utils.types import DagRunType

    from include.dag_builder import TASK_ID, WAIT_TASK_ID, build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows
    from tests.standins import context

    engine = get_engine(os.environ["FOCUS_DB_URL"])
    insert_rows(
        engine,
        good_row("staff-import", job_class="scheduled_import", kind="import", params=STAFF),
    )
    wait = build_dags()["staff-import"].get_task(WAIT_TASK_ID)
    assert (wait.sftp_conn_id, wait.path, wait.file_pattern, wait.deferrable) == (
        "district_sftp",
        "/imports/staff",
        "staff_*.csv",
        True,
    )
    monkeypatch.setenv("AIRFLOW_CONN_DISTRICT_SFTP", json.dumps(sftp.airflow_connection()))
    sftp.folder("imports/staff")
    assert not wait.poke({})
    _put(sftp, "staff_1.csv", "Employee ID;SSN;First;Last;Hired\nN5;555-55-5555;Al;Bee;\n")
    assert wait.poke({})
    output = (
        build_dags()["staff-import"].get_task(TASK_ID).execute(context(DagRunType.MANUAL, None))
    )
    assert output["counts"]["inserted"] == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(employees.c.ein)).scalars().all() == ["N5"]


def test_values_a_column_cannot_hold_reject_their_row_only(hr, sftp):
    with hr.begin() as conn:
        conn.execute(sa.insert(deduction_codes).values(code="DENT", title="Dental"))
        ids = dict(conn.execute(sa.select(employees.c.ein, employees.c.employee_id)).all())
    template = {
        "connection": "district_sftp",
        "directory": "/imports/deductions",
        "file_pattern": "*.csv",
        "target_table": "employee_deductions",
        "column_mapping": {"emp": "employee_id", "code": "code", "amount": "amount"},
        "key_columns": ["employee_id", "code"],
    }
    text = (
        "emp,code,amount\n"
        f"{ids['E1']},DENT,NaN\n"  # line 2
        f"{ids['E1']},DENT,Infinity\n"  # line 3
        f"{ids['E1']},DENT,123456789\n"  # line 4: NUMERIC(10, 2) holds 8 digits
        "2147483648,DENT,1\n"  # line 5: one past the largest INTEGER
        "-2147483649,DENT,1\n"  # line 6
        f"{ids['E1']},{'D' * 21},1\n"  # line 7: code is VARCHAR(20)
        f"{ids['E2']},DENT,99999999.99\n"  # line 8: the largest amount it holds: imported
    )
    _put(sftp, "d.csv", text, folder="imports/deductions")
    result = _run(hr, sftp, template)
    assert result.counts["inserted"] == 1 and result.counts["rejected_rows"] == 6
    assert "line 2, column 'amount' ('NaN'): is not a number" in result.text
    assert "line 3, column 'amount' ('Infinity'): is not a number" in result.text
    assert "line 4, column 'amount' ('123456789'): is too large (at most 8 digit(s))" in (
        result.text
    )
    assert "line 5, column 'emp' ('2147483648'): is out of range (a 32-bit whole number)" in (
        result.text
    )
    assert "line 6, column 'emp' ('-2147483649'): is out of range" in result.text
    assert "line 7, column 'code' ('DDDDDDDDDDDDDDDDDDDDD'): is longer than 20 characters" in (
        result.text
    )
    with hr.connect() as conn:
        assert conn.execute(sa.select(employee_deductions.c.amount)).scalars().all() == [
            Decimal("99999999.99")
        ]


def test_links_hidden_partial_and_non_utf8_names_are_never_imported(hr, sftp, tmp_path):
    outside = tmp_path / "staff_secret.csv"
    outside.write_text(FILE)
    folder = sftp.folder("imports/staff")
    (folder / "staff_link.csv").symlink_to(outside)
    _put(sftp, ".staff_hidden.csv", FILE)
    _put(sftp, "staff_upload.csv.partial", FILE)
    with open(os.fsencode(folder) + b"/staff_\xe9.csv", "wb") as f:
        f.write(FILE.encode())
    _put(sftp, "staff_2026.csv", FILE)
    result = _run(hr, sftp)
    assert result.counts["files"] == 1 and result.counts["inserted"] == 1
    assert "/imports/staff/staff_link.csv is a symbolic link: refused and left alone" in (
        result.text
    )
    assert "/imports/staff/staff_\\xe9.csv has a name that is not UTF-8" in result.text
    assert "hidden" not in result.text and "partial" not in result.text
    assert result.success is False  # refused files want a look
    assert sorted(os.listdir(os.fsencode(folder))) == [
        b".staff_hidden.csv",
        b"processed",
        b"staff_link.csv",
        b"staff_upload.csv.partial",
        b"staff_\xe9.csv",
    ]


def test_a_file_still_being_written_is_left_for_the_next_run(hr, sftp):
    path = _put(sftp, "staff_2026.csv", FILE[: len(FILE) // 2])
    stop = threading.Event()

    def upload():  # the vendor's upload, still appending
        with path.open("a") as f:
            while not stop.wait(0.15):
                f.write("N9;;Still;Coming;;x\n")
                f.flush()

    writer = threading.Thread(target=upload)
    writer.start()
    try:
        with sftp.client() as client:
            result = run_in_transaction(
                hr, ScheduledImport(), ImportTemplate(**STAFF), now=NOW,
                remote=SftpFiles(client, settle_seconds=0.5),
            )  # fmt: skip
    finally:
        stop.set()
        writer.join()
    assert result.counts["files"] == 0 and _staff(hr)[0][0] == "E1" and len(_staff(hr)) == 2
    assert "/imports/staff/staff_2026.csv is still being written" in result.summary
    assert _names(sftp.root / "imports" / "staff") == ["staff_2026.csv"]
    path.write_text(FILE)
    with sftp.client() as client:
        later = run_in_transaction(
            hr, ScheduledImport(), ImportTemplate(**STAFF), now=NOW,
            remote=SftpFiles(client, settle_seconds=0.3),
        )  # fmt: skip
    assert later.counts["files"] == 1 and later.counts["inserted"] == 1
