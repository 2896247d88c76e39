"""Store Automated Cashout: Store purchases paid online cashed out once settled."""

from __future__ import annotations

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.jobs.billing.portal_payments_cashout import AUTHORIZE_NET_CONNECTION, CashoutParams


class StoreAutomatedCashout(Job):
    key = "store_automated_cashout"
    title = "Store Automated Cashout"
    description = (
        "The Store's counterpart of the portal cashout: after the district's Authorize.net "
        "settlement time, the Store's online card purchases that settled are matched to "
        "their settled transactions and closed into one cashout per portal-enabled drawer "
        "and batch, each purchase once. Differences and unknown transactions are listed."
    )
    module = "Student Billing"
    kind = JobKind.INTEGRATION
    params_model = CashoutParams
    http_connection = AUTHORIZE_NET_CONNECTION
    # Hourly: the first run after the settlement time cashes out, the others find nothing.
    default_schedule = DefaultSchedule(repeat_minutes=60)
    source = "store"

    def run(self, context: JobContext, params: CashoutParams) -> JobResult:
        from job_library.jobs.billing._cashout_work import cash_out

        return cash_out(context, params, self.source, self.http_connection or "")
