"""Portal Payments Automatched Cashout against a fake Authorize.net checked against its XSD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.billing import _cashout_work as work
from job_library.jobs.billing.portal_payments_cashout import CashoutParams
from job_library.preferences import Preferences
from job_library.schemas.integrations import drawer_payments, settlement_batches
from tests.job_library.billing.conftest import NY, cashed, cashout_rows, run


def test_settled_payments_are_matched_and_cashed_out_per_drawer_and_batch(billing, anet, waits):
    result = run(billing, anet)
    assert anet.invalid == []  # every request and answer is valid AnetApiSchema.xsd
    assert result.success, result.text
    assert cashed(billing) == {
        1: (1, "portal", "501"),
        2: (1, "portal", "501"),
        3: (1, "portal", "502"),
    }
    assert cashout_rows(billing) == [
        (1, "portal", "501", 2, Decimal("35.50")),
        (1, "portal", "502", 1, Decimal("40.00")),
    ]
    assert result.counts == {
        "batches_read": 2,
        "transactions_read": 8,
        "cashouts": 2,
        "payments_cashed_out": 3,
        "problems": 4,
    }
    assert "transaction 1004: settled 14.00 but Focus recorded 15.00" in result.text
    assert "transaction 1005: Authorize.net reports it declined" in result.text
    assert "transaction 1006: drawer Cafeteria is not portal-enabled" in result.text
    assert "transaction 9999: settled 12.00 in batch 502; no Focus payment has it" in result.text
    assert "batch 503 not read: settlementError" in result.text
    # The batch list asked for the days_back window; batch 502's 3 transactions came in 2 pages.
    names = [name for name, _ in anet.calls]
    assert names == ["getSettledBatchListRequest"] + ["getTransactionListRequest"] * 5
    first = anet.calls[0][1]
    assert (first["firstSettlementDate"], first["lastSettlementDate"]) == (
        "2026-11-21T22:00:00Z",
        "2026-11-28T22:00:00Z",
    )
    assert [(f["batchId"], f["offset"], f["limit"]) for _, f in anet.calls[1:]] == [
        ("501", "1", "2"),
        ("501", "2", "2"),
        ("501", "3", "2"),
        ("502", "1", "2"),
        ("502", "2", "2"),
    ]


def test_a_second_run_reads_no_batch_again_and_cashes_out_nothing_twice(billing, anet, waits):
    run(billing, anet)
    before = (cashed(billing), cashout_rows(billing))
    again = run(billing, anet)
    assert again.success
    assert again.counts["batches_read"] == 0 and again.counts["payments_cashed_out"] == 0
    assert [n for n, _ in anet.calls].count("getTransactionListRequest") == 5
    assert (cashed(billing), cashout_rows(billing)) == before


def test_a_payment_recorded_late_joins_its_batch_cashout(billing, anet, waits):
    run(billing, anet)
    with billing.begin() as conn:
        conn.execute(drawer_payments.delete().where(drawer_payments.c.payment_id == 4))
        conn.execute(
            drawer_payments.insert().values(
                payment_id=9,
                drawer_id=1,
                source="portal",
                transaction_id="1004",
                amount=Decimal("14.00"),
                paid_at=dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC),
            )
        )
    result = run(billing, anet)
    assert result.counts["payments_cashed_out"] == 1 and result.counts["cashouts"] == 1
    assert (1, "portal", "501", 3, Decimal("49.50")) in cashout_rows(billing)


@pytest.mark.parametrize(("hour", "minute", "runs"), [(16, 29, False), (16, 30, True)])
def test_nothing_happens_before_the_settlement_time(billing, anet, waits, hour, minute, runs):
    now = dt.datetime(2026, 11, 28, hour, minute, tzinfo=NY)
    result = run(billing, anet, now=now)
    assert result.success
    assert bool(anet.calls) is runs
    if not runs:
        assert "Not yet" in result.summary and result.counts == {"waiting": 1}
        assert cashed(billing) == {}


def test_a_500_in_the_middle_of_the_pages_keeps_what_was_read_and_the_next_run_resumes(
    billing, anet, waits
):
    anet.fail_pages[("502", 2)] = 5  # every try of batch 502's second page
    first = run(billing, anet)
    assert not first.success
    assert "Reading stopped at batch 502" in first.summary and "HTTP 500" in first.summary
    assert len(waits) == 4  # retried with back-off before giving up
    # Batch 501 was read in full and its payments are cashed out; 502 is not kept at all.
    assert cashed(billing) == {1: (1, "portal", "501"), 2: (1, "portal", "501")}
    with billing.connect() as conn:
        assert set(conn.execute(sa.select(settlement_batches.c.batch_id)).scalars()) == {"501"}
    calls_before = len(anet.calls)
    resumed = run(billing, anet)
    assert resumed.success, resumed.text
    assert [
        (f["batchId"], f["offset"])
        for n, f in anet.calls[calls_before:]
        if n == "getTransactionListRequest"
    ] == [("502", "1"), ("502", "2")]
    assert cashed(billing) == {
        1: (1, "portal", "501"),
        2: (1, "portal", "501"),
        3: (1, "portal", "502"),
    }
    assert cashout_rows(billing) == [
        (1, "portal", "501", 2, Decimal("35.50")),
        (1, "portal", "502", 1, Decimal("40.00")),
    ]


def test_429_waits_as_retry_after_says(billing, anet, waits):
    anet.server.fail_next(1, 429, {"Retry-After": "3"})
    result = run(billing, anet)
    assert result.success and waits == [3.0]


def test_refused_credentials_are_named_and_nothing_changes(billing, anet, waits):
    result = run(billing, anet, login="someoneElse")
    assert not result.success
    assert "E00007 User authentication failed" in result.summary
    assert cashed(billing) == {} and anet.invalid == []


def test_without_a_settlement_time_it_says_which_preference_to_set(billing, anet, waits):
    with billing.begin() as conn:
        Preferences(conn).unset("authorize_net_settlement_time")
    result = run(billing, anet)
    assert not result.success and "authorize_net_settlement_time HH:MM" in result.summary
    assert anet.calls == []


def test_a_failure_midway_rolls_everything_back(billing, anet, waits, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected after the matching")

    monkeypatch.setattr(work, "_problems", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run(billing, anet)
    assert cashed(billing) == {} and cashout_rows(billing) == []
    with billing.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(settlement_batches)).scalar() == 0
        )


def test_days_back_is_bounded_by_what_authorize_net_answers():
    with pytest.raises(ValidationError, match="less than or equal to 31"):
        CashoutParams(days_back=32)


def test_the_transactions_that_need_a_look_are_counted_all_and_listed_up_to_the_cap(
    billing, anet, waits
):
    from job_library.jobs.billing.portal_payments_cashout import PortalPaymentsCashout
    from tests.job_library.billing.conftest import AFTER, endpoints
    from tests.job_library.jobs_context import run_in_transaction

    result = run_in_transaction(
        billing,
        PortalPaymentsCashout(),
        CashoutParams(max_listed=2),
        now=AFTER,
        http=endpoints(anet),
    )
    assert result.success and result.counts["problems"] == 4
    checks = [line for line in result.text.splitlines() if line.startswith("  check: ")]
    # Payments that cannot be cashed out come first, by transaction: 1004 and 1005.
    assert checks == [
        "  check: transaction 1004: settled 14.00 but Focus recorded 15.00 in Main Office Portal",
        "  check: transaction 1005: Authorize.net reports it declined; it is not cashed out",
    ]
    assert "4 transaction(s) need a look" in result.summary
    # Two cashouts, both listed; four problems, two listed.
    assert "  ... and 2 more (listing capped at 2)." in result.text
