"""Missing Class CRON Job: stands in for a job whose class no longer exists."""

from __future__ import annotations

import html

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult


class MissingClassParams(BaseModel):
    """What the original job was, so the output can name it."""

    model_config = ConfigDict(extra="forbid")

    original_class: str = Field(title="Original class", description="The class key the job named.")
    original_title: str = Field(title="Original title", description="The title of the job.")


class MissingClass(Job):
    key = "missing_class"
    title = "Missing Class CRON Job"
    description = (
        "Stands in for a scheduled job whose class no longer exists (deleted or removed), so that "
        "the run does not crash; its output says that the original job could not be done."
    )
    module = "System"
    params_model = MissingClassParams

    def run(self, context: JobContext, params: MissingClassParams) -> JobResult:
        summary = (
            f"The job '{params.original_title}' ({context.job_id}) could not be completed: "
            f"its class '{params.original_class}' does not exist."
        )
        text = (
            f"{summary}\nThe class may have been renamed or removed from this release. "
            "Edit the job and choose an existing class, or delete the job."
        )
        return JobResult(
            success=False,
            summary=summary,
            text=text,
            html=f"<p><strong>{html.escape(summary)}</strong></p>"
            "<p>Edit the job and choose an existing class, or delete the job.</p>",
        )
