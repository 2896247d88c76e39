"""MetLife Incoming against a real SFTP server and real databases, values worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.jobs.erp.metlife_incoming import MetLifeIncoming, MetLifeParams
from job_library.schema import deduction_codes, employee_deductions, employees
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 3, 15, 0, tzinfo=ZoneInfo("America/New_York"))
FILE = (
    "\n".join(
        [
            "ssn,last_name,first_name,amount,effective_date",
            "111-11-1111,Diaz,Ana,12.50,2026-12-01",  # new deduction
            "222-22-2222,Lee,Bo,20.00,2026-12-01",  # changes 15.00
            "333-33-3333,Kim,Cy,0,2026-12-01",  # ends the deduction
            "999-99-9999,Nobody,No,5.00,2026-12-01",  # no such employee
            "111-11-1111,Diaz,Ana,13.00,2026-12-01",  # second record for Ana
            "222-22-2222,Lee,Bo,lots,2026-12-01",  # not a number (and a second record)
        ]
    )
    + "\n"
)


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                {"ein": "E1", "ssn": "111-11-1111"},
                {"ein": "E2", "ssn": "222-22-2222"},
                {"ein": "E3", "ssn": "333-33-3333"},
            ],
        )
        conn.execute(sa.insert(deduction_codes).values(code="MLSUP", title="MetLife Supplemental"))
        ids = dict(conn.execute(sa.select(employees.c.ein, employees.c.employee_id)).all())
        conn.execute(
            sa.insert(employee_deductions),
            [
                {
                    "employee_id": ids["E2"],
                    "code": "MLSUP",
                    "amount": Decimal("15.00"),
                    "start_date": dt.date(2026, 1, 1),
                },
                {
                    "employee_id": ids["E3"],
                    "code": "MLSUP",
                    "amount": Decimal("9.00"),
                    "start_date": dt.date(2026, 1, 1),
                },
            ],
        )
    return engine


@pytest.fixture(autouse=True)
def metlife_folder(request: pytest.FixtureRequest) -> None:
    """/metlife made by the administrator, writable by the SFTP user (the chroot root is not)."""
    if "sftp" in request.fixturenames:
        request.getfixturevalue("sftp").folder("metlife")


def _run(engine, sftp, code="MLSUP"):
    with sftp.client() as client:
        return run_in_transaction(
            engine,
            MetLifeIncoming(),
            MetLifeParams(deduction_code=code),
            now=NOW,
            remote=SftpFiles(client),
        )


def _deductions(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    employees.c.ein,
                    employee_deductions.c.amount,
                    employee_deductions.c.start_date,
                    employee_deductions.c.end_date,
                )
                .join(employees, employees.c.employee_id == employee_deductions.c.employee_id)
                .order_by(employees.c.ein)
            )
        ]


def test_first_run_without_a_file_creates_the_storage_directories(district, sftp):
    result = _run(district, sftp)
    assert result.success and "Created the storage directories" in result.summary
    assert "/metlife/received" in result.summary
    assert (sftp.root / "metlife" / "received").is_dir()
    assert "Created" not in _run(district, sftp).summary  # they exist now


def test_file_is_applied_moved_and_unimported_records_explained(district, sftp):
    _run(district, sftp)
    sftp.put("metlife/MetLife.csv", FILE)
    result = _run(district, sftp)
    assert _deductions(district) == [
        ("E1", Decimal("12.50"), dt.date(2026, 12, 1), None),
        ("E2", Decimal("20.00"), dt.date(2026, 12, 1), None),
        ("E3", Decimal("9.00"), dt.date(2026, 1, 1), dt.date(2026, 12, 1)),
    ]
    assert result.counts == {"applied": 3, "ended": 1, "not_imported": 3}
    assert "line 5: Nobody, No (SSN ending 9999): No employee has this SSN" in result.text
    assert "line 6: Diaz, Ana (SSN ending 1111): Unknown" in result.text
    assert "line 7: Lee, Bo (SSN ending 2222): The amount 'lots' is not a number" in result.text
    assert not (sftp.root / "metlife" / "MetLife.csv").exists()
    assert [p.name for p in (sftp.root / "metlife" / "received").iterdir()] == [
        "MetLife-20261128031500.csv"
    ]


def test_unknown_deduction_code_or_bad_file_leaves_everything_in_place(district, sftp):
    _run(district, sftp)
    sftp.put("metlife/MetLife.csv", FILE)
    before = _deductions(district)
    refused = _run(district, sftp, code="NOPE")
    assert refused.success is False and "'NOPE' does not exist" in refused.summary
    sftp.put("metlife/MetLife.csv", "ssn,amount\n1,2\n")
    broken = _run(district, sftp)
    assert broken.success is False and "wrong header 'ssn,amount'" in broken.summary
    assert _deductions(district) == before
    assert (sftp.root / "metlife" / "MetLife.csv").exists()
    assert list((sftp.root / "metlife" / "received").iterdir()) == []


def test_an_error_midway_changes_nothing_and_the_file_stays(district, sftp, monkeypatch):
    import job_library.jobs.erp.metlife_incoming as metlife

    _run(district, sftp)
    sftp.put("metlife/MetLife.csv", FILE)
    before = _deductions(district)

    def ledger_down(*args, **kwargs):
        raise ConnectionError("ledger write failed")

    # The deductions are already written when the ledger write fails.
    monkeypatch.setattr(metlife, "record_import", ledger_down)
    with pytest.raises(ConnectionError, match="ledger write failed"):
        _run(district, sftp)
    assert _deductions(district) == before
    assert (sftp.root / "metlife" / "MetLife.csv").exists()
    assert list((sftp.root / "metlife" / "received").iterdir()) == []


def test_a_file_imported_but_not_moved_is_moved_and_never_applied_twice(district, sftp):
    _run(district, sftp)
    sftp.put("metlife/MetLife.csv", FILE)
    _run(district, sftp)
    # The process died after the commit, before the move: the same file is still there.
    received = sftp.root / "metlife" / "received" / "MetLife-20261128031500.csv"
    received.rename(sftp.root / "metlife" / "MetLife.csv")
    with district.begin() as conn:  # changed by hand since the import
        conn.execute(sa.update(employee_deductions).values(amount=Decimal("1.00")))
    later = NOW + dt.timedelta(hours=1)
    with sftp.client() as client:
        result = run_in_transaction(
            district,
            MetLifeIncoming(),
            MetLifeParams(deduction_code="MLSUP"),
            now=later,
            remote=SftpFiles(client),
        )
    assert "not applied again" in result.summary and result.counts["duplicates"] == 1
    assert {amount for _, amount, _, _ in _deductions(district)} == {Decimal("1.00")}
    assert sorted(p.name for p in (sftp.root / "metlife" / "received").iterdir()) == [
        "MetLife-20261128041500.csv"
    ]
    assert not (sftp.root / "metlife" / "MetLife.csv").exists()


def test_without_metlife_folder_the_administrator_is_told_what_to_create(district, sftp):
    (sftp.root / "metlife").rmdir()  # not made yet; the chroot's root is root's
    result = _run(district, sftp)
    assert result.success is False
    assert result.summary == (
        "MetLife Incoming cannot prepare its storage directories: SFTP create folder /metlife "
        "failed: Permission denied. An administrator must create /metlife on the server, "
        "writable by the SFTP user (this user may not write in /)."
    )
    assert list(sftp.root.iterdir()) == []


@pytest.mark.parametrize(
    ("amount", "explanation"),
    [
        ("NaN", "The amount 'NaN' is not a number"),
        ("sNaN", "The amount 'sNaN' is not a number"),
        ("Infinity", "The amount 'Infinity' is not a number"),
        ("100000000", "The amount 100000000 is larger than 99999999.99"),
        ("1E+9", "The amount 1E+9 is larger than 99999999.99"),
        ("12.345", "The amount 12.345 has more than 2 decimal places"),
        ("-0.01", "The amount -0.01 is negative"),
    ],
)
def test_an_amount_the_column_cannot_hold_rejects_only_its_record(
    district, sftp, amount, explanation
):
    _run(district, sftp)
    sftp.put(
        "metlife/MetLife.csv",
        "ssn,last_name,first_name,amount,effective_date\n"
        f"111-11-1111,Diaz,Ana,{amount},2026-12-01\n"
        "222-22-2222,Lee,Bo,99999999.99,2026-12-01\n",
    )
    result = _run(district, sftp)
    assert result.success and result.counts == {"applied": 1, "ended": 0, "not_imported": 1}
    assert f"line 2: Diaz, Ana (SSN ending 1111): {explanation}" in result.text
    assert ("E2", Decimal("99999999.99"), dt.date(2026, 12, 1), None) in _deductions(district)
    assert "E1" not in {ein for ein, *_ in _deductions(district)}


def test_a_linked_metlife_file_is_refused_and_left_alone(district, sftp, tmp_path):
    _run(district, sftp)
    outside = tmp_path / "other.csv"
    outside.write_text(FILE)
    (sftp.root / "metlife" / "MetLife.csv").symlink_to(outside)
    result = _run(district, sftp)
    assert result.success is False
    assert result.summary.startswith("/metlife/MetLife.csv is a symbolic link: refused")
    assert (sftp.root / "metlife" / "MetLife.csv").is_symlink() and outside.read_text() == FILE
    assert list((sftp.root / "metlife" / "received").iterdir()) == []


def test_a_move_that_fails_after_the_commit_is_reported_and_done_by_the_next_run(district, sftp):
    _run(district, sftp)
    sftp.put("metlife/MetLife.csv", FILE)
    received = sftp.root / "metlife" / "received"
    received.chmod(0o555)  # the move after the commit fails
    result = _run(district, sftp)
    assert result.success is False and result.counts["applied"] == 3  # committed
    assert "Applied 3 MetLife deduction(s)" in result.summary
    assert (
        "SFTP rename /metlife/MetLife.csv -> /metlife/received/MetLife-20261128031500.csv "
        "failed: Permission denied" in result.text
    )
    assert (sftp.root / "metlife" / "MetLife.csv").exists()
    received.chmod(0o755)
    with district.begin() as conn:  # changed by hand since: never applied again
        conn.execute(sa.update(employee_deductions).values(amount=Decimal("1.00")))
    later = _run(district, sftp)
    assert later.success and "not applied again" in later.summary
    assert {amount for _, amount, _, _ in _deductions(district)} == {Decimal("1.00")}
    assert [p.name for p in received.iterdir()] == ["MetLife-20261128031500.csv"]
    assert not (sftp.root / "metlife" / "MetLife.csv").exists()
