"""District Assessments Re-scoring: score the queued assessments again after a key change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult


class RescoringParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed results listed")


class DistrictAssessmentsRescoring(Job):
    key = "district_assessments_rescoring"
    title = "District Assessments Re-scoring"
    description = (
        "Works through the re-scoring queue that District Assessments' Options tab fills, "
        "typically after an answer key was corrected. For every queued assessment it scores "
        "each student who has answers or a result against the current key (a question's "
        "points count when the answer equals the key, ignoring case and surrounding blanks; "
        "every question of the key counts toward the possible points), with the same "
        "statement a first scoring uses, so a re-scored result is exactly what scoring from "
        "scratch would give. Only results that change are written; the queue entries are "
        "marked done. An assessment whose key has no questions is listed and stays queued. "
        "In Focus the queue was worked off in the background, so results could lag the job by "
        "as much as an hour; here the scoring happens inside the run itself, and once a run "
        "has succeeded every queued assessment with a key already shows its new results."
    )
    module = "Assessments"
    params_model = RescoringParams

    def run(self, context: JobContext, params: RescoringParams) -> JobResult:
        from job_library.jobs.assessments._rescoring_work import rescore

        return rescore(context.connection, context.now(), params.max_listed)
