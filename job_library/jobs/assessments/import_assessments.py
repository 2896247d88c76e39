"""Import Assessments: completed assessments from the testing platform's result files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult

FOLDER = "/assessments/results"


class ImportAssessmentsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Results and rows listed")


class ImportAssessments(Job):
    key = "import_assessments"
    title = "Import Assessments"
    description = (
        "A safety net for online testing: when a completed assessment did not reach Focus "
        "(a server was down when the student finished), the testing platform's result files "
        "bring it in. Every CSV file in /assessments/results on the assessments_sftp server "
        "is read (header assessment_id,student_id,item_no,response,completed_at, one row per "
        "question answered; the layout is in the README); a student's answers of an "
        "assessment in a file replace the recorded ones and the student is scored against "
        "the answer key the way a first scoring does. Rows naming an unknown assessment, "
        "student or question, a bad time or a repeated question are listed with the reason "
        "and skipped. An applied file moves to processed/ after the commit; the same file "
        "again is recognised and not applied twice; a file that cannot be read stays."
    )
    module = "Assessments"
    kind = JobKind.INTEGRATION
    params_model = ImportAssessmentsParams
    remote_connection = "assessments_sftp"
    remote_wait = (FOLDER, "*.csv")

    def run(self, context: JobContext, params: ImportAssessmentsParams) -> JobResult:
        from job_library.jobs.assessments._import_assessments_work import run_import

        return run_import(context, params.max_listed)
