"""Store Automated Cashout: the Store's purchases, beside the portal's, cashed out once."""

from __future__ import annotations

from decimal import Decimal

from job_library.jobs.billing.store_cashout import StoreAutomatedCashout
from tests.job_library.billing.conftest import cashed, cashout_rows, run


def test_the_store_job_cashes_out_only_store_purchases(billing, anet, waits):
    run(billing, anet)
    result = run(billing, anet, job=StoreAutomatedCashout())
    assert result.success and result.counts["payments_cashed_out"] == 1
    assert cashed(billing)[8] == (1, "store", "501")
    assert (1, "store", "501", 1, Decimal("3.75")) in cashout_rows(billing)
    # The batches the portal job read are not read again.
    assert [n for n, _ in anet.calls].count("getTransactionListRequest") == 5


def test_the_store_job_alone_reads_the_batches_and_leaves_portal_payments(billing, anet, waits):
    result = run(billing, anet, job=StoreAutomatedCashout())
    assert result.success and result.counts["batches_read"] == 2
    assert cashed(billing) == {8: (1, "store", "501")}
    assert anet.invalid == []
