"""Portal Payments Automatched Cashout: online portal payments cashed out once settled."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule

AUTHORIZE_NET_CONNECTION = "authorize_net"


class CashoutParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days_back: int = Field(
        default=7,
        ge=1,
        le=31,
        title="Days of settlements read",
        description="How many days of Authorize.net settlement batches each run reads "
        "(Authorize.net answers 31 days at most).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Cashouts and problems listed")


class PortalPaymentsCashout(Job):
    key = "portal_payments_automatched_cashout"
    title = "Portal Payments Automatched Cashout"
    description = (
        "Once the district's Authorize.net settlement time (a System Preference) has passed, "
        "reads the settled card batches and their transactions, matches each settled "
        "transaction to the payment parents made through the portal in a portal-enabled cash "
        "drawer, and closes the matched payments into one cashout per drawer and batch. A "
        "payment is cashed out once; a settled amount that differs, a refused or voided "
        "transaction and a settled transaction Focus does not know are listed for the "
        "bookkeeper. Batches already read are not read again."
    )
    module = "Student Billing"
    kind = JobKind.INTEGRATION
    params_model = CashoutParams
    http_connection = AUTHORIZE_NET_CONNECTION
    # Hourly: the first run after the settlement time cashes out, the others find nothing.
    default_schedule = DefaultSchedule(repeat_minutes=60)
    source = "portal"

    def run(self, context: JobContext, params: CashoutParams) -> JobResult:
        from job_library.jobs.billing._cashout_work import cash_out

        return cash_out(context, params, self.source, self.http_connection or "")
