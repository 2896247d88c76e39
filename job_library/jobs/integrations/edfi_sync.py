"""Ed-Fi Data Sync: the district's records sent to its Ed-Fi ODS/API, parents first."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.sis_params import SchoolYear

EDFI_CONNECTION = "edfi_api"

# The resources the job can send, in the order the API needs them: descriptors and
# education organisations before the students, students before their enrollments.
RESOURCE_ORDER = ("gradeLevelDescriptors", "schools", "students", "studentSchoolAssociations")
Resource = Literal["gradeLevelDescriptors", "schools", "students", "studentSchoolAssociations"]


class EdFiSyncParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(
        default_factory=lambda: list(RESOURCE_ORDER),
        min_length=1,
        title="Endpoints",
        description="The Ed-Fi resources the district sends; they always go in dependency "
        "order, whatever order they are listed in.",
    )
    syear: SchoolYear = None
    descriptor_namespace: str = Field(
        default="uri://ed-fi.org",
        pattern=r"^uri://[A-Za-z0-9.\-/]{1,200}$",
        title="Descriptor namespace",
        description="The namespace of the district's grade level descriptors, e.g. "
        "uri://district.example.org.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Sent and refused records listed")


class EdFiDataSync(Job):
    key = "edfi_data_sync"
    title = "Ed-Fi Data Sync"
    description = (
        "Sends the district's grade levels (as descriptors), schools, students and the school "
        "year's enrollments to the Ed-Fi ODS/API named by the edfi_api Airflow connection "
        "(OAuth2 client credentials), each resource after the ones it refers to. Only records "
        "that are new or changed since they were last accepted are sent. A record the API "
        "refuses is listed with the API's message and the others still go; a run cut short by "
        "the API going away keeps what was accepted, and the next run carries on from there. "
        "Best run in the evening, outside school hours."
    )
    module = "Integrations"
    kind = JobKind.INTEGRATION
    params_model = EdFiSyncParams
    http_connection = EDFI_CONNECTION
    # In the evening, when the API and the district's database are quiet.
    default_schedule = DefaultSchedule(run_time="21:00")

    def run(self, context: JobContext, params: EdFiSyncParams) -> JobResult:
        from job_library.jobs.integrations._edfi_sync_work import sync

        return sync(context, params, self.http_connection or "")
