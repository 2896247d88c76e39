"""Process Trial Balance Subscriptions (ERP): postings into closed periods alert subscribers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.site import AddOn


class TrialBalanceSubscriptionsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Alerts listed")


class ProcessTrialBalanceSubscriptions(Job):
    key = "process_trial_balance_subscriptions"
    title = "Process Trial Balance Subscriptions"
    module = "ERP"
    description = (
        "Warns the trial balance's subscribers when a closed accounting period changes: "
        "for each period that was closed and has transactions posted after its closing "
        "time, every subscriber gets one e-mail naming the period, how many late postings "
        "it has and when the last one was made. A later posting to the same period sends "
        "a new alert; runs with nothing new send nothing. Open periods never alert. The "
        "output lists the periods with their net late amount; the Communication Queue "
        "sends the e-mails."
    )
    params_model = TrialBalanceSubscriptionsParams
    needs_add_ons = frozenset({AddOn.ERP})
    default_schedule = DefaultSchedule(run_time="06:30", weekdays=WEEKDAYS)

    def run(self, context: JobContext, params: TrialBalanceSubscriptionsParams) -> JobResult:
        from job_library.jobs.erp._erp_alerts_work import trial_balance_alerts

        return trial_balance_alerts(context, params.max_listed)
