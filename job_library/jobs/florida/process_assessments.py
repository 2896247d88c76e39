"""Process Assessments (Florida): the FSA ELA and EOC processes for the whole school year."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.florida.create_process_assessments import ELA_RULES, EOC_RULES, OUTPUT_RULE
from job_library.sis_params import SchoolYear


class ProcessAssessmentsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_date: dt.date | None = Field(
        default=None,
        title="Effective Date (ESOL Graduation Pathway/ESE Test Waiver)",
        description="Waivers and pathways granted on or before this day count; leave empty "
        "to skip that check.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Updated students listed")


class ProcessAssessments(Job):
    key = "process_assessments"
    title = "Process Assessments"
    description = (
        "The unattended form of Florida's process assessments: each run does both functions "
        "for the school year, FSA ELA for every cohort and EOC for every exam a course of the "
        "year leads to, with the year's first day through the run day as the administration "
        "dates. " + ELA_RULES + EOC_RULES + OUTPUT_RULE
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = ProcessAssessmentsParams

    def run(self, context: JobContext, params: ProcessAssessmentsParams) -> JobResult:
        import sqlalchemy as sa

        from job_library.jobs.florida._process_assessments_work import run_process

        conn = context.connection
        today = context.now().date()
        year = params.syear
        if year is None:
            year = conn.execute(
                sa.text("SELECT syear FROM school_years WHERE is_default = :t"), {"t": True}
            ).scalar()
        start = conn.execute(
            sa.text("SELECT start_date FROM school_years WHERE syear = :y"), {"y": year}
        ).scalar()
        if isinstance(start, str):
            start = dt.date.fromisoformat(start)
        return run_process(
            conn,
            context.student_fields,
            title=self.title,
            syear=params.syear,
            schools=params.schools,
            today=today,
            cohorts=[],
            exams=[],
            eoc_start=start or today,
            eoc_end=today,
            effective=params.effective_date,
            counts_only=bool(context.prefs.get("process_assessments_counts_only")),
            cap=params.max_listed,
        )
