"""Load Data From Blackboard API: Blackboard's users and courses linked to Focus records."""

from __future__ import annotations

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.jobs.integrations.blackboard_transfer import (
    BLACKBOARD_CONNECTION,
    BlackboardParams,
)


class LoadDataFromBlackboardApi(Job):
    key = "load_data_from_blackboard_api"
    title = "Load Data From Blackboard API"
    description = (
        "Reads every user and course of Blackboard Learn, page by page, and records which "
        "Blackboard record each Focus student, teacher and section is: by the Focus external "
        "id the transfer job gives them, or, for students Blackboard got elsewhere, by their "
        "student id. Links are added, corrected when Blackboard's id changed, and removed when "
        "the Blackboard record is gone; Blackboard records matching nothing in Focus are counted "
        "and listed."
    )
    module = "Integrations"
    kind = JobKind.INTEGRATION
    params_model = BlackboardParams
    http_connection = BLACKBOARD_CONNECTION

    def run(self, context: JobContext, params: BlackboardParams) -> JobResult:
        from job_library.jobs.integrations._blackboard_work import load

        return load(context, params, self.http_connection or "")
