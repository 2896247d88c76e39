"""Generate ERP Extracts on SQLite and Postgres: each CSV compared with one worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.erp.generate_erp_extracts import (
    GenerateErpExtracts,
    GenerateErpExtractsParams,
    fiscal_year_start,
)
from job_library.schemas.communications import gl_periods, gl_transactions
from job_library.schemas.erp_ledger import erp_purchase_orders, erp_vendors, gl_accounts
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("America/New_York"))
UTC = dt.UTC


@pytest.fixture
def district(engine: sa.Engine) -> tuple[sa.Engine, dict]:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(gl_accounts),
            [
                {"account": "1000", "title": "Cash", "account_type": "asset", "active": True},
                {"account": "5100", "title": "Supplies", "account_type": "expense", "active": True},
                {"account": "9999", "title": "Old", "account_type": "expense", "active": False},
            ],
        )
        oct_id = conn.execute(
            sa.insert(gl_periods).values(title="2026-10").returning(gl_periods.c.period_id)
        ).scalar_one()
        nov_id = conn.execute(
            sa.insert(gl_periods).values(title="2026-11").returning(gl_periods.c.period_id)
        ).scalar_one()
        postings = [
            (nov_id, "1000", "-150.00", dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
            (nov_id, "5100", "150.00", dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
            (nov_id, "5100", "-20.00", dt.datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),
            (nov_id, "1000", "20.00", dt.datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),
            (nov_id, "7777", "5.00", dt.datetime(2026, 11, 6, 8, 0, tzinfo=UTC)),  # not in chart
            (oct_id, "5100", "99.00", dt.datetime(2026, 10, 9, 8, 0, tzinfo=UTC)),
        ]
        ids = [
            conn.execute(
                sa.insert(gl_transactions)
                .values(period_id=p, account=a, amount=Decimal(m), posted_at=t)
                .returning(gl_transactions.c.txn_id)
            ).scalar_one()
            for p, a, m, t in postings
        ]
        v1 = conn.execute(
            sa.insert(erp_vendors)
            .values(vendor_number="V001", name="Acme, Inc.", tax_id="59-1234567", city="Tampa",
                    state="FL", active=True)
            .returning(erp_vendors.c.vendor_id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.insert(erp_vendors).values(vendor_number="V002", name="Old Supply", active=False)
        )
        conn.execute(
            sa.insert(erp_purchase_orders),
            [
                {"po_number": "PO-1", "vendor_id": v1, "po_date": dt.date(2026, 6, 30),
                 "description": "Last year", "amount": Decimal("10.00")},
                {"po_number": "PO-2", "vendor_id": v1, "po_date": dt.date(2026, 7, 1),
                 "description": "Paper", "amount": Decimal("250.50")},
                {"po_number": "PO-3", "vendor_id": v1, "po_date": dt.date(2026, 11, 28),
                 "description": "Toner", "amount": Decimal("99.99")},
                {"po_number": "PO-4", "vendor_id": v1, "po_date": dt.date(2026, 11, 29),
                 "description": "Tomorrow", "amount": Decimal("1.00")},
            ],
        )  # fmt: skip
    return engine, {"oct": oct_id, "nov": nov_id, "txn": ids}


def _run(engine, tmp, now=NOW, **params):
    return run_in_transaction(
        engine, GenerateErpExtracts(), GenerateErpExtractsParams(**params), now=now, tmp=tmp
    )


def _read(tmp, name) -> str:
    return (tmp / "erp_extracts" / name).read_bytes().decode("utf-8")


def test_fiscal_year_start():
    assert fiscal_year_start(dt.date(2026, 6, 30)) == dt.date(2025, 7, 1)
    assert fiscal_year_start(dt.date(2026, 7, 1)) == dt.date(2026, 7, 1)


def test_every_extract_by_hand(district, tmp_path):
    engine, ids = district
    result = _run(engine, tmp_path)
    assert result.success, result.text
    assert result.counts == {"files": 5, "written": 5, "problems": 1}
    assert "account 7777 (1 posting(s)): The account is not in the chart of accounts" in result.text
    assert _read(tmp_path, "smart_procure_20261128.csv") == (
        "po_number,po_date,vendor_number,vendor_name,description,amount\r\n"
        'PO-2,2026-07-01,V001,"Acme, Inc.",Paper,250.50\r\n'
        'PO-3,2026-11-28,V001,"Acme, Inc.",Toner,99.99\r\n'
    )
    assert _read(tmp_path, "vendors_20261128.csv") == (
        "vendor_number,name,tax_id_last4,city,state,active\r\n"
        'V001,"Acme, Inc.",4567,Tampa,FL,Y\r\n'
        "V002,Old Supply,,,,N\r\n"
    )
    assert _read(tmp_path, "accounts_20261128.csv") == (
        "account,title,account_type,active\r\n"
        "1000,Cash,asset,Y\r\n"
        "5100,Supplies,expense,Y\r\n"
        "9999,Old,expense,N\r\n"
    )
    assert _read(tmp_path, "ledger_20261128.csv") == (
        "account,title,period,debits,credits,net\r\n"
        "1000,Cash,2026-11,20.00,150.00,-130.00\r\n"
        "5100,Supplies,2026-11,150.00,20.00,130.00\r\n"
        "7777,,2026-11,5.00,0.00,5.00\r\n"
    )
    t = ids["txn"]
    assert _read(tmp_path, "journal_20261128.csv") == (
        "txn_id,period,account,amount,posted_at\r\n"
        f"{t[0]},2026-11,1000,-150.00,2026-11-02T14:00:00Z\r\n"
        f"{t[1]},2026-11,5100,150.00,2026-11-02T14:00:00Z\r\n"
        f"{t[2]},2026-11,5100,-20.00,2026-11-05T09:30:00Z\r\n"
        f"{t[3]},2026-11,1000,20.00,2026-11-05T09:30:00Z\r\n"
        f"{t[4]},2026-11,7777,5.00,2026-11-06T08:00:00Z\r\n"
    )
    again = _run(engine, tmp_path, NOW + dt.timedelta(minutes=30))
    assert again.counts == {"files": 5, "written": 0, "problems": 1}


def test_a_chosen_period_and_extracts(district, tmp_path):
    engine, ids = district
    result = _run(engine, tmp_path, period_id=ids["oct"], extracts=["ledger"])
    assert result.counts == {"files": 1, "written": 1, "problems": 0}
    assert sorted(p.name for p in (tmp_path / "erp_extracts").iterdir()) == ["ledger_20261128.csv"]
    assert _read(tmp_path, "ledger_20261128.csv") == (
        "account,title,period,debits,credits,net\r\n5100,Supplies,2026-10,99.00,0.00,99.00\r\n"
    )


def test_an_unknown_period_writes_nothing(district, tmp_path):
    engine, ids = district
    result = _run(engine, tmp_path, period_id=ids["nov"] + 1000)
    assert result.success is False and "There is no GL period" in result.summary
    assert not (tmp_path / "erp_extracts").exists()


def test_an_error_midway_leaves_no_partial_file(district, tmp_path, monkeypatch):
    import job_library.jobs.erp.generate_erp_extracts as job

    def full_disk(path, data):
        raise OSError("No space left on device")

    monkeypatch.setattr(job, "_write", full_disk)
    engine, _ = district
    with pytest.raises(OSError, match="No space left"):
        _run(engine, tmp_path)
    assert list((tmp_path / "erp_extracts").iterdir()) == []


def test_the_problem_listing_is_capped(district, tmp_path):
    engine, ids = district
    with engine.begin() as conn:
        conn.execute(
            sa.insert(gl_transactions),
            [
                {"period_id": ids["nov"], "account": f"80{i}", "amount": Decimal("1.00"),
                 "posted_at": dt.datetime(2026, 11, 7, tzinfo=UTC)}
                for i in range(3)
            ],
        )  # fmt: skip
    result = _run(engine, tmp_path, max_listed=2)
    assert result.counts["problems"] == 4
    assert "... and 2 more (listing capped at 2)." in result.text


def test_on_the_demo_district(db, tmp_path):
    from include.demo_district import REFERENCE_DAY, generate

    generate(db, 30, today=REFERENCE_DAY)
    evening = dt.datetime.combine(REFERENCE_DAY, dt.time(18, 0), ZoneInfo("America/New_York"))
    result = _run(db, tmp_path, evening)
    assert result.success and result.counts["written"] == 5, result.text
    day = f"{REFERENCE_DAY:%Y%m%d}"
    procure = _read(tmp_path, f"smart_procure_{day}.csv").splitlines()
    assert procure[1].startswith("PO-0001,") and procure[1].endswith(",Classroom paper,412.50")
    ledger = _read(tmp_path, f"ledger_{day}.csv").splitlines()
    assert ledger[1] == "5200,Library books,This month,310.00,0.00,310.00"
    assert _run(db, tmp_path, evening).counts["written"] == 0


def test_each_job_writes_into_its_own_folder_of_the_file_store(focus_env, tmp_path, monkeypatch):
    """Run as an operator runs it (focus-jobs run): two Generate ERP Extracts jobs and a job
    of another class share FOCUS_FILE_STORE; each extract lands under its own job's id."""
    import os

    from include import cli
    from job_library.site import AddOn, SiteProfile, write_site_profile
    from tests.rows import good_row, insert_rows

    store = tmp_path / "store"
    monkeypatch.setenv("FOCUS_FILE_STORE", str(store))
    engine = sa.create_engine(os.environ["FOCUS_DB_URL"])
    with engine.begin() as conn:
        write_site_profile(conn, SiteProfile(add_ons=frozenset({AddOn.ERP})), user="t")
        conn.execute(
            sa.insert(gl_accounts).values(
                account="1000", title="Cash", account_type="asset", active=True
            )
        )
    insert_rows(
        engine,
        good_row("erp-a", job_class="generate_erp_extracts", params={"extracts": ["accounts"]}),
        good_row("erp-b", job_class="generate_erp_extracts", params={"extracts": ["accounts"]}),
        good_row("fix-addresses"),
    )
    engine.dispose()
    for job_id in ("erp-a", "erp-b", "fix-addresses"):
        assert cli.main(["run", job_id]) == 0
    accounts = "account,title,account_type,active\r\n1000,Cash,asset,Y\r\n"
    for job_id in ("erp-a", "erp-b"):
        [written] = (store / job_id / "erp_extracts").iterdir()
        assert written.name.startswith("accounts_") and written.read_bytes() == accounts.encode()
    # Nothing of the extracts is written beside the jobs' folders or in another job's.
    assert not (store / "erp_extracts").exists()
    assert not (store / "fix-addresses" / "erp_extracts").exists()
