"""Regions Bank Import and Pcard Imports on a real SFTP server, on SQLite and Postgres; every
expected value below was worked out by hand from the files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.jobs.erp.pcard_imports import PcardImports, PcardImportsParams
from job_library.jobs.erp.regions_bank_import import RegionsBankImport, RegionsBankImportParams
from job_library.schemas.communications import pcard_requisitions
from job_library.schemas.pcard import pcard_transactions
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 5, 0, 0, tzinfo=ZoneInfo("America/New_York"))
HEADER = "reference,card_last4,cardholder,transaction_date,merchant,amount\n"
REGIONS = HEADER + (
    "R1,1234,Ana Diaz,06/30/2026,Office Depot,45.10\n"  # last day of fiscal year 2026
    "R2,1234,Ana Diaz,07/01/2026,Staples,0.01\n"  # first day of 2027; the smallest amount
    "R3,12345,Bo Lee,07/02/2026,Amazon,10.00\n"  # five card digits
    "R4,5678,Bo Lee,2026-07-02,Amazon,10.00\n"  # not MM/DD/YYYY
    "R5,5678,Bo Lee,07/02/2026,Refund Co,0\n"  # zero
    "R6,5678,Bo Lee,07/02/2026,Amazon,1.005\n"  # three decimals
    "R1,1234,Ana Diaz,06/30/2026,Office Depot,45.10\n"  # R1 again
    ",5678,Bo Lee,07/02/2026,X,1\n"  # no reference
)
ISSUER = HEADER + (
    "P1,9999,Cy Kim,2026-11-20,Home Depot,120.00\n"
    "P2,9999,Cy Kim,2026-11-21,Lowes,9999999999.99\n"  # the largest amount
    "P3,9999,Cy Kim,2026-11-21,Lowes,10000000000.00\n"  # one cent too much
)


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:  # a requisition entered by hand: never touched
        conn.execute(
            sa.insert(pcard_requisitions).values(
                number="REQ-7",
                requester="Dee Fox",
                amount=Decimal("5.00"),
                status="pending_approval",
                status_date=dt.date(2026, 11, 1),
            )
        )
    return engine


@pytest.fixture(autouse=True)
def folders(request: pytest.FixtureRequest) -> None:
    if "sftp" in request.fixturenames:
        server = request.getfixturevalue("sftp")
        server.folder("regions")
        server.folder("pcard")


def _run(engine, sftp, job, params, now=NOW):
    with sftp.client() as client:
        return run_in_transaction(engine, job, params, now=now, remote=SftpFiles(client))


def _regions(engine, sftp, now=NOW):
    return _run(engine, sftp, RegionsBankImport(), RegionsBankImportParams(), now)


def _pcard(engine, sftp, now=NOW, **params):
    return _run(engine, sftp, PcardImports(), PcardImportsParams(**params), now)


def _transactions(engine) -> list[tuple]:
    t = pcard_transactions
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    t.c.bank, t.c.reference, t.c.transaction_date, t.c.amount, t.c.fiscal_year
                ).order_by(t.c.transaction_id)
            )
        ]


def _requisitions(engine) -> list[tuple]:
    r = pcard_requisitions
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(
                    r.c.number,
                    r.c.requester,
                    r.c.amount,
                    r.c.status,
                    r.c.status_date,
                    r.c.fiscal_year,
                ).order_by(r.c.requisition_id)
            )
        ]


def test_regions_file_is_loaded_bad_rows_listed_and_moved(district, sftp):
    sftp.put("regions/PCARD_20261127.csv", REGIONS)
    result = _regions(district, sftp)
    assert result.success, result.text
    assert result.counts == {"loaded": 2, "already_imported": 0, "not_taken": 6}
    assert _transactions(district) == [
        ("regions", "R1", dt.date(2026, 6, 30), Decimal("45.10"), 2026),
        ("regions", "R2", dt.date(2026, 7, 1), Decimal("0.01"), 2027),
    ]
    text = result.text
    assert "PCARD_20261127.csv line 4: R3: The card_last4 '12345' is not 4 digits" in text
    assert "line 5: R4: The transaction_date '2026-07-02' is not a date (MM/DD/YYYY)" in text
    assert "line 6: R5: The amount 0 is not above zero (credits are not drafted)" in text
    assert "line 7: R6: The amount 1.005 has more than 2 decimal places" in text
    assert "line 8: R1: The reference appears more than once in the file" in text
    assert "line 9: (no reference): The reference is empty" in text
    assert _requisitions(district) == [
        ("REQ-7", "Dee Fox", Decimal("5.00"), "pending_approval", dt.date(2026, 11, 1), None)
    ]  # Regions Bank Import makes no drafts
    assert not (sftp.root / "regions" / "PCARD_20261127.csv").exists()
    assert [p.name for p in (sftp.root / "regions" / "imported").iterdir()] == [
        "PCARD_20261127-20261128050000.csv"
    ]
    again = _regions(district, sftp, NOW + dt.timedelta(minutes=30))
    assert again.success and again.counts["loaded"] == 0
    assert len(_transactions(district)) == 2


def test_pcard_imports_loads_and_drafts_every_undrafted_transaction(district, sftp):
    sftp.put("regions/PCARD_20261127.csv", REGIONS)
    _regions(district, sftp)
    sftp.put("pcard/visa.csv", ISSUER)
    result = _pcard(district, sftp)
    assert result.success, result.text
    assert result.counts == {"loaded": 2, "already_imported": 0, "not_taken": 1, "drafts": 4}
    assert "line 4: P3: The amount 10000000000.00 is larger than 9999999999.99" in result.text
    today = dt.date(2026, 11, 28)
    with district.connect() as conn:  # the serial numbers (Postgres does not reuse them)
        ids = (
            conn.execute(
                sa.select(pcard_transactions.c.transaction_id).order_by(
                    pcard_transactions.c.transaction_id
                )
            )
            .scalars()
            .all()
        )
    n1, n2, n3, n4 = (f"PC-{i}" for i in ids)
    assert _requisitions(district) == [
        ("REQ-7", "Dee Fox", Decimal("5.00"), "pending_approval", dt.date(2026, 11, 1), None),
        (n1, "Ana Diaz", Decimal("45.10"), "draft", today, 2026),
        (n2, "Ana Diaz", Decimal("0.01"), "draft", today, 2027),
        (n3, "Cy Kim", Decimal("120.00"), "draft", today, 2027),
        (n4, "Cy Kim", Decimal("9999999999.99"), "draft", today, 2027),
    ]
    assert f"draft {n3}: Cy Kim, Home Depot, 2026-11-20, 120.00, FY 2027" in result.text
    with district.connect() as conn:
        linked = conn.execute(
            sa.select(sa.func.count()).where(pcard_transactions.c.requisition_id.is_not(None))
        ).scalar_one()
    assert linked == 4
    # A second run: nothing new to load, nothing to draft.
    again = _pcard(district, sftp, NOW + dt.timedelta(minutes=30))
    assert again.success and again.counts["drafts"] == 0 and len(_requisitions(district)) == 5


def test_the_fiscal_year_on_the_job_overrides_the_transaction_dates(district, sftp):
    sftp.put("pcard/visa.csv", ISSUER)
    result = _pcard(district, sftp, fiscal_year=2025)
    assert result.summary.endswith("created 2 PO draft(s) for fiscal year 2025.")
    assert [r[5] for r in _requisitions(district)[1:]] == [2025, 2025]
    assert [r[4] for r in _transactions(district)] == [2027, 2027]  # the transactions keep theirs


def test_a_transaction_sent_again_in_a_new_file_is_loaded_once(district, sftp):
    sftp.put("pcard/visa.csv", ISSUER)
    _pcard(district, sftp)
    sftp.put(
        "pcard/visa2.csv",
        HEADER + "P1,9999,Cy Kim,2026-11-20,Home Depot,120.00\n"
        "P5,9999,Cy Kim,2026-11-22,Publix,7.25\n",
    )
    result = _pcard(district, sftp, NOW + dt.timedelta(days=1))
    assert result.counts == {"loaded": 1, "already_imported": 1, "not_taken": 0, "drafts": 1}
    assert [r[1] for r in _transactions(district)] == ["P1", "P2", "P5"]


def test_the_same_file_put_back_is_only_moved(district, sftp):
    sftp.put("pcard/visa.csv", ISSUER)
    _pcard(district, sftp)
    moved = sftp.root / "pcard" / "imported" / "visa-20261128050000.csv"
    moved.rename(sftp.root / "pcard" / "visa.csv")  # the move was lost after the commit
    result = _pcard(district, sftp, NOW + dt.timedelta(hours=1))
    assert "not loaded again, moved to /pcard/imported/visa-20261128060000.csv" in result.text
    assert len(_transactions(district)) == 2
    assert sorted(p.name for p in (sftp.root / "pcard" / "imported").iterdir()) == [
        "visa-20261128060000.csv"
    ]


def test_an_unreadable_file_fails_the_run_and_stays(district, sftp):
    sftp.put("pcard/visa.csv", "ref,amount\nP1,3\n")
    result = _pcard(district, sftp)
    assert result.success is False
    assert "cannot be read: wrong header 'ref,amount'" in result.text
    assert (sftp.root / "pcard" / "visa.csv").exists()
    assert _transactions(district) == []


def test_an_error_midway_changes_nothing_and_the_file_stays(district, sftp, monkeypatch):
    import job_library.jobs.erp._pcard_imports_work as work

    sftp.put("pcard/visa.csv", ISSUER)
    before = _requisitions(district)

    def ledger_down(*args, **kwargs):
        raise ConnectionError("ledger write failed")

    monkeypatch.setattr(work, "record_import", ledger_down)
    with pytest.raises(ConnectionError, match="ledger write failed"):
        _pcard(district, sftp)
    assert _transactions(district) == [] and _requisitions(district) == before
    assert (sftp.root / "pcard" / "visa.csv").exists()
    assert list((sftp.root / "pcard" / "imported").iterdir()) == []


def test_the_listing_is_capped(district, sftp):
    rows = "".join(f"X{i},9999,Cy Kim,2026-11-20,Shop,{i + 1}.00\n" for i in range(4))
    sftp.put("pcard/visa.csv", HEADER + rows)
    result = _pcard(district, sftp, max_listed=1)
    assert result.counts["drafts"] == 4
    assert result.text.count("  draft PC-") == 1
    assert "... and 3 more drafts (capped at 1)." in result.text
