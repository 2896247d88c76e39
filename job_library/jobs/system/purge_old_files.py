"""Purge Old Files: removes category B uploads whose retention years have passed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.site import AddOn


class PurgeOldFilesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(
        default=False,
        title="Dry run",
        description="List the files that are due without deleting anything.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Files listed")


class PurgeOldFiles(Job):
    key = "purge_old_files"
    title = "Purge Old Files"
    description = (
        "Deletes student uploads kept in upload fields marked Category B once the field's "
        "retention period in years is over. Each field says what the years count from: the "
        "upload date, or the date the student withdrew (the end of the last enrollment, for "
        "a student with no enrollment still open); a student who was never enrolled has no "
        "such date, so files counted that way are kept for them. A file becomes due on the "
        "anniversary day itself. Students whose Document Hold student field (alias "
        "document_hold) is checked keep every file. Category A fields and fields without "
        "retention years are never purged. The file is removed from the district's files "
        "only after the record's deletion is committed; a stored path that leads outside "
        "that folder is listed and left alone. A dry run lists what is due and changes "
        "nothing."
    )
    module = "System"
    needs_add_ons = frozenset({AddOn.DOCUMENT_MANAGEMENT})
    params_model = PurgeOldFilesParams
    default_schedule = DefaultSchedule(run_time="02:30", priority=800, store_history="1 month")

    def run(self, context: JobContext, params: PurgeOldFilesParams) -> JobResult:
        from job_library.jobs.system._purge_work import purge

        return purge(context, params)
