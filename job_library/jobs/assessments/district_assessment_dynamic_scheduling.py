"""District Assessment Dynamic Scheduling: student listings that follow the classes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.sis_params import SchoolYear


class DynamicSchedulingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changes listed")


class DistrictAssessmentDynamicScheduling(Job):
    key = "district_assessment_dynamic_scheduling"
    title = "District Assessment Dynamic Scheduling"
    description = (
        "Keeps the student listing of every dynamic District Assessment of the school year "
        "(one not yet past its end date) in step with the classes chosen for it: a student "
        "scheduled in one of those classes on the run day is added; a student this job added "
        "who is no longer scheduled in any of them is taken off, unless a result is already "
        "recorded for them. Students someone added by hand are never removed. Listed students "
        "whose State/District Computer Based Test Accommodations field (custom_200000222 in "
        "Focus; here the student field with alias cbt_accommodations, the checked items "
        "separated by ||) includes Computer Based Text-to-Speech get Use Text "
        "to Speech selected; the job never clears that option."
    )
    module = "Assessments"
    params_model = DynamicSchedulingParams

    def run(self, context: JobContext, params: DynamicSchedulingParams) -> JobResult:
        from job_library.jobs.assessments._dynamic_scheduling_work import schedule_students
        from job_library.sis_sql import resolve_year_and_schools

        resolved = resolve_year_and_schools(context.connection, params.syear, [])
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No listing was changed.")
        return schedule_students(
            context.connection, resolved[0], context.now().date(), params.max_listed
        )
