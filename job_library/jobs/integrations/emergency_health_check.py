"""Emergency Services Health Check: whether each school's InformaCast alerts would go out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult

INFORMACAST_CONNECTION = "informacast"


class EmergencyHealthCheckParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools to check; empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Schools listed")


class EmergencyServicesHealthCheck(Job):
    key = "emergency_services_health_check"
    title = "Emergency Services Health Check"
    description = (
        "Checks the district's InformaCast set-up (connection informacast, its access token "
        "as the password) school by school: that the InformaCast answers with the token, and "
        "that the scenario each school sends for a lockdown and the one for a request for "
        "assistance are chosen and still exist there. Every school is listed as ready or with "
        "what is wrong; when any school is not ready the run is unsuccessful, so the job's "
        "e-mail addresses hear about it (also with 'e-mail unsuccessful runs only'). Nothing "
        "is sent to InformaCast and nothing in Focus changes."
    )
    module = "Integrations"
    kind = JobKind.INTEGRATION
    params_model = EmergencyHealthCheckParams
    http_connection = INFORMACAST_CONNECTION

    def run(self, context: JobContext, params: EmergencyHealthCheckParams) -> JobResult:
        from job_library.jobs.integrations._emergency_health_work import check

        return check(context, params, self.http_connection or "")
