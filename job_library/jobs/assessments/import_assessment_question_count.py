"""Import Assessment Question Count: questions per standard in the Focus and Certica banks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult

FOLDER = "/assessments/item_banks"


class QuestionCountParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed counts listed")


class ImportAssessmentQuestionCount(Job):
    key = "import_assessment_question_count"
    title = "Import Assessment Question Count"
    description = (
        "Keeps the numbers shown when teachers search an item bank by standard while building "
        "an assessment: how many standards-tagged questions the Focus bank and the Certica "
        "bank hold for each standard. The banks' count files arrive as CSV in "
        "/assessments/item_banks on the assessments_sftp server (header "
        "item_bank,standard,question_count; item_bank focus or certica; the layout is in the "
        "README). A file is the complete list for each bank it names: counts change, new "
        "standards are added and standards the file leaves out are dropped; a bank the file "
        "does not name is untouched. Bad rows are listed with the reason and skipped. An "
        "applied file moves to processed/ after the commit and is never applied twice."
    )
    module = "Assessments"
    kind = JobKind.INTEGRATION
    params_model = QuestionCountParams
    remote_connection = "assessments_sftp"
    remote_wait = (FOLDER, "*.csv")

    def run(self, context: JobContext, params: QuestionCountParams) -> JobResult:
        from job_library.jobs.assessments._question_count_work import run_question_count

        return run_question_count(context, params.max_listed)
