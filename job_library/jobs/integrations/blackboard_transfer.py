"""Transfer Blackboard API Data: the year's students, teachers and sections sent to Blackboard."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.sis_params import SchoolYear

BLACKBOARD_CONNECTION = "blackboard_learn"


class BlackboardParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose people and sections to send; empty for all.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Records listed")


class TransferBlackboardApiData(Job):
    key = "transfer_blackboard_api_data"
    title = "Transfer Blackboard API Data"
    description = (
        "Creates or updates, in Blackboard Learn (REST API, connection blackboard_learn with "
        "the application key and secret), a user for each student enrolled in the school year "
        "and each teacher of a section, and a course for each section. Records carry a Focus "
        "external id (focus-student-N, focus-staff-N, focus-section-N); only new or changed "
        "records are sent, a record Blackboard refuses is listed with its message, and a run "
        "Blackboard cut short is continued by the next one."
    )
    module = "Integrations"
    kind = JobKind.INTEGRATION
    params_model = BlackboardParams
    http_connection = BLACKBOARD_CONNECTION

    def run(self, context: JobContext, params: BlackboardParams) -> JobResult:
        from job_library.jobs.integrations._blackboard_work import transfer

        return transfer(context, params, self.http_connection or "")
