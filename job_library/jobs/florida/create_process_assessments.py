"""Create Process Assessments (Florida): the FSA ELA or the EOC process, with its options."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_library.base import Job, JobContext, JobResult
from job_library.sis_params import SchoolYear

ELA_RULES = (
    "FSA ELA: for students with a primary enrollment of the year whose graduation_cohort "
    "student field is one of the cohorts, the fsa_ela_graduation field becomes Y when any "
    "test part marked as meeting the ELA graduation requirement (FSA ELA 10 or a concordant "
    "ACT/SAT part, with its passing score) has a scale score at or above its passing score "
    "up to the run day, and fsa_ela_graduation_met_by names the first such test; otherwise "
    "an ESE test waiver (W) or ESOL graduation pathway (P) granted on or before the "
    "effective date, when one is set; otherwise a Y, W or P already recorded is kept and "
    "anybody else gets N. "
)
EOC_RULES = (
    "EOC: schedule records of the year in courses leading to the exam get the EOC course "
    "assessment status P when the student's best scale score of that exam taken within the "
    "administration dates reaches the part's passing score, F when the student took it then "
    "without passing; a P stays P and a student without a test in the range keeps the status. "
)
OUTPUT_RULE = (
    "With the System Preference process_assessments_counts_only on, the output gives counts "
    "of updated students instead of naming them."
)


class CreateProcessAssessmentsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: Literal["fsa_ela", "eoc"] = Field(
        title="Process",
        description="fsa_ela: FSA ELA graduation requirement; eoc: EOC Course Assessment Status.",
    )
    cohorts: list[str] = Field(
        default_factory=list,
        title="Cohorts",
        description="FSA ELA: the graduation cohorts to update (values of graduation_cohort).",
    )
    eoc_exam: str | None = Field(
        default=None,
        max_length=10,
        title="EOC Exam",
        description="EOC: short name of the end-of-course exam to process.",
        json_schema_extra={"x-focus-lookup": "tests"},
    )
    eoc_administration_start: dt.date | None = Field(
        default=None, title="EOC Administration Start Date"
    )
    eoc_administration_end: dt.date | None = Field(
        default=None, title="EOC Administration End Date"
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Updated students listed")

    @model_validator(mode="after")
    def _options(self) -> CreateProcessAssessmentsParams:
        if self.process == "fsa_ela" and not [c for c in self.cohorts if c.strip()]:
            raise ValueError("cohorts: FSA ELA needs at least one cohort (such as 2027)")
        if self.process == "eoc":
            start, end = self.eoc_administration_start, self.eoc_administration_end
            if not self.eoc_exam or start is None or end is None:
                raise ValueError(
                    "eoc_exam, eoc_administration_start and eoc_administration_end: EOC needs "
                    "the exam and both administration dates"
                )
            if end < start:
                raise ValueError(
                    f"eoc_administration_end {end} is before eoc_administration_start {start}"
                )
        return self


class CreateProcessAssessments(Job):
    key = "create_process_assessments"
    title = "Create Process Assessments"
    description = (
        "Runs one of the two Florida process-assessment functions, chosen in the job: the FSA "
        "ELA graduation requirement for one or more cohorts, or the EOC course assessment "
        "status for one exam and its administration dates. " + ELA_RULES + EOC_RULES + OUTPUT_RULE
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = CreateProcessAssessmentsParams
    example_params = {"process": "fsa_ela", "cohorts": ["2027"]}

    def run(self, context: JobContext, params: CreateProcessAssessmentsParams) -> JobResult:
        from job_library.jobs.florida._process_assessments_work import run_process

        ela = params.process == "fsa_ela"
        return run_process(
            context.connection,
            context.student_fields,
            title=self.title,
            syear=params.syear,
            schools=params.schools,
            today=context.now().date(),
            cohorts=sorted({c.strip() for c in params.cohorts if c.strip()}) if ela else None,
            exams=None if ela else [params.eoc_exam],
            eoc_start=params.eoc_administration_start,
            eoc_end=params.eoc_administration_end,
            effective=None,
            counts_only=bool(context.prefs.get("process_assessments_counts_only")),
            cap=params.max_listed,
        )
