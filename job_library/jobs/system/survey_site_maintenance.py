"""Survey Site Maintenance: copies two-factor settings from production to the survey sites."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule

_CONN_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")
DEFAULT_SURVEY_SITE = "survey_site"  # the connection a new job names (make run defines it)


class SurveySiteMaintenanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_sites: list[str] = Field(
        default_factory=lambda: [DEFAULT_SURVEY_SITE],
        min_length=1,
        max_length=20,
        title="Survey site databases",
        description="The Airflow connections of the survey sites' Focus databases.",
        json_schema_extra={"x-focus-lookup": "connections", "default": [DEFAULT_SURVEY_SITE]},
    )

    @field_validator("survey_sites")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for conn_id in value:
            if not _CONN_ID.fullmatch(conn_id):
                raise ValueError(f"{conn_id!r} is not an Airflow connection id")
        if len(set(value)) != len(value):
            raise ValueError("a survey site is named twice")
        return value


class SurveySiteMaintenance(Job):
    key = "survey_site_maintenance"
    title = "Survey Site Maintenance"
    description = (
        "Keeps the survey sites' two-factor sign-in the same as production's, so that a "
        "person who sets up or changes two-factor on production is protected the same way "
        "on every survey site. On each survey site it makes three things equal to "
        "production: the whole two_factor_auth table, the two profile permissions "
        "TwoFactorAuth::Required and TwoFactorAuth::User_Access, and each user's opt-in "
        "preference for two-factor. It runs only on the site whose site profile says "
        "production, and writes only to databases whose own site profile says survey. "
        "Each survey site is changed in its own transaction; one that cannot be reached or "
        "refuses is listed and the others are still done. Production is only read. A new "
        "job names one survey site, the Airflow connection survey_site; list the district's "
        "own connections instead."
    )
    module = "System"
    params_model = SurveySiteMaintenanceParams
    default_schedule = DefaultSchedule(run_time="03:00", priority=500)

    def run(self, context: JobContext, params: SurveySiteMaintenanceParams) -> JobResult:
        from job_library.jobs.system._survey_work import copy_to_survey_sites

        return copy_to_survey_sites(context, params)
