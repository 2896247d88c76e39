"""Calculate Adult Fees on SQLite and Postgres: fee statuses from deferrals, K for 371/372."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import calculate_adult_fees as module
from job_library.jobs.fps.calculate_adult_fees import AdultFeesParams, CalculateAdultFees
from job_library.schemas.finance import finance_audit, invoice_lines
from job_library.schemas.scheduling import schedule
from tests.job_library.billing.finance_district import ADULT, Ledger, audit_rows, load_billing
from tests.job_library.jobs_context import run_in_transaction

# Schedule records of tests/job_library/billing/finance_district.py: 1 student 1 Algebra at
# the high school; 2 student 5 Welding (400); 3 student 6 ESOL (372 on the record);
# 4 student 8 Nursing (its program's code is 371); 5 student 8 Welding.
BEFORE = {1: ("Q", None), 2: (None, None), 3: ("E", "W"), 4: (None, None), 5: ("D", None)}


def _line(conn, invoice_id: int, schedule_id: int) -> int:
    return conn.execute(
        sa.insert(invoice_lines)
        .values(
            invoice_id=invoice_id,
            schedule_id=schedule_id,
            description="Course fee",
            amount=Decimal("45.00"),
        )
        .returning(invoice_lines.c.line_id)
    ).scalar_one()


def _district(engine) -> None:
    load_billing(engine)
    with engine.begin() as conn:
        for sid, (first, second) in BEFORE.items():
            conn.execute(
                sa.update(schedule)
                .where(schedule.c.id == sid)
                .values(adult_fee_status_first=first, adult_fee_status_second=second)
            )
        ledger = Ledger(conn)
        on = dt.date(2026, 8, 15)
        welding = ledger.invoice("FEE-5", kind="pos", on=on, student=5, lines=(), school=ADULT)
        line = _line(conn, welding, 2)
        for day, code, active in (
            (20, "X", False),  # removed: not used
            (25, None, True),  # no code: listed, not used
        ):
            ledger.defer(
                welding, "10.00", on=dt.date(2026, 8, day), code=code, active=active, line_id=line
            )
        for month, day, code in ((10, 1, "Z"), (9, 15, "W"), (9, 1, "E")):  # out of order
            ledger.defer(welding, "10.00", on=dt.date(2026, month, day), code=code, line_id=line)
        # Student 8's Welding: a fee line with no deferral; a voided invoice's deferral.
        fee = ledger.invoice("FEE-8", kind="pos", on=on, student=8, lines=(), school=ADULT)
        _line(conn, fee, 5)
        voided = ledger.invoice(
            "FEE-8V", kind="pos", on=on, student=8, lines=(), school=ADULT, status="voided"
        )
        ledger.defer(voided, "45.00", code="V", line_id=_line(conn, voided, 5))
        # The high school's record is no adult record, fee or not.
        algebra = ledger.invoice("FEE-1", kind="pos", on=on, student=1, lines=())
        ledger.defer(algebra, "5.00", code="E", line_id=_line(conn, algebra, 1))


def _statuses(engine) -> dict[int, tuple]:
    s = schedule
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(s.c.id, s.c.adult_fee_status_first, s.c.adult_fee_status_second)
        )
        return {r[0]: (r[1], r[2]) for r in rows}


def _run(engine, **params):
    return run_in_transaction(engine, CalculateAdultFees(), AdultFeesParams(**params))


def test_fee_statuses_by_hand(db):
    _district(db)
    result = _run(db)
    assert _statuses(db) == {
        1: ("Q", None),  # not an adult school
        2: ("E", "W"),  # the first two coded active deferrals, by date
        3: ("K", None),  # 372 on the record
        4: ("K", None),  # 371 from the program
        5: (None, None),  # a fee line, nothing deferred (the voided invoice's does not count)
    }
    assert result.success
    assert dict(result.counts) == {"updated": 4, "uncoded_deferrals": 1}
    assert result.summary == (
        "Set the adult fee status of 4 schedule record(s) of 2026. 1 active deferral(s) have "
        "no fee status code and were not used."
    )
    assert "  student 5 (Last5, First5), Welding I: first/second -/- -> E/W" in result.text
    assert "  student 6 (Last6, First6), ESOL I: first/second E/W -> K/-" in result.text
    assert " on invoice FEE-5 (student 5, Welding I): no fee status code; set one" in result.text
    assert [r[:2] for r in audit_rows(db, "schedule")] == [
        (2, "update"),
        (3, "update"),
        (4, "update"),
        (5, "update"),
    ]


def test_a_deferral_removed_later_moves_the_second_up(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE deferrals SET active = FALSE WHERE fee_status_code = 'E'"))
    _run(db)
    assert _statuses(db)[2] == ("W", "Z")


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    before = _statuses(db)
    again = _run(db)
    assert _statuses(db) == before
    assert again.counts["updated"] == 0
    assert again.summary.startswith("The adult fee status of every schedule record of 2026")


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _statuses(db) == BEFORE
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0


def test_only_the_chosen_schools_and_bad_ones_named(db):
    _district(db)
    assert _run(db, schools=[1]).counts["updated"] == 0
    bad = _run(db, schools=[42])
    assert not bad.success
    assert bad.summary == "schools [42]: no such school id; pick ids from the Schools list."


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert "... and 3 more (listing capped at 1)." in result.text
