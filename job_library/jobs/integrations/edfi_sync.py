"""Ed-Fi Data Sync: the district's records sent to its Ed-Fi ODS/API, parents first."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.sis_params import SchoolYear

EDFI_CONNECTION = "edfi_api"

# The resources the job can send, in the order the API needs them: each comes after every
# resource it refers to (descriptors and education organisations first, then the school
# year's sessions, courses and sections, then staff and students and their associations).
Resource = Literal[
    "gradeLevelDescriptors",
    "localEducationAgencies",
    "schools",
    "sessions",
    "courses",
    "courseOfferings",
    "sections",
    "staffs",
    "staffEducationOrganizationAssignmentAssociations",
    "staffSectionAssociations",
    "students",
    "studentSchoolAssociations",
    "studentSectionAssociations",
]
RESOURCE_ORDER: tuple[str, ...] = get_args(Resource)


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
    district_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=75,
        title="District name",
        description="The name the API gives the district (its local education agency); "
        "'School District' and the schools' district number when empty.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Sent and refused records listed")


class EdFiDataSync(Job):
    key = "edfi_data_sync"
    title = "Ed-Fi Data Sync"
    description = (
        "Sends the district to the Ed-Fi ODS/API named by the edfi_api Airflow connection "
        "(OAuth2 client credentials): grade levels as descriptors, the district (a local "
        "education agency, numbered by the schools' district number) and its schools, one "
        "year-long session per school for the school year, its courses, course offerings and "
        "sections, all staff, each teacher's assignment to the schools where they teach and to "
        "their sections, and the year's students with their enrollments and class schedules. "
        "Each resource goes after the ones it refers to. A district number that is not a whole "
        "number cannot name an agency: it is listed and not sent. Only records "
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
