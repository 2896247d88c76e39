"""Rollover: catalogued with its form; the enrollment logic comes with the SIS schema."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult


class RolloverParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enrollment_date: dt.date = Field(
        title="Enrollment date",
        description="Start date of the enrollment records created for the next school year.",
    )
    enrollment_code: str = Field(
        min_length=1,
        max_length=20,
        title="Enrollment code",
        description="Enrollment code given to the created records.",
    )


class Rollover(Job):
    key = "rollover"
    title = "Rollover"
    description = (
        "Creates enrollment records for the next school year based on the Next School value "
        "found on the student enrollment record. Needs to be run after the Set Next School job "
        "if used. Aligns with the school's 'Rollover Second School Enrollment Records' "
        "preference."
    )
    module = "SIS"
    params_model = RolloverParams
    implemented = False

    def run(self, context: JobContext, params: RolloverParams) -> JobResult:
        summary = (
            "Rollover is catalogued but not implemented in this release: no enrollment was created."
        )
        return JobResult.message(False, summary)
