"""Symlink Photos: links each student's and user's latest photo under the portal's name."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule


class SymlinkPhotosParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed links listed")


class SymlinkPhotos(Job):
    key = "symlink_photos"
    title = "Symlink Photos"
    description = (
        "Makes the photos uploaded on the server for students and users visible to the "
        "portal: for each person, the newest upload in the photos folder of the district's "
        "files gets a relative symbolic link named portal/students/<id>.<ext> or "
        "portal/users/<id>.<ext> (JPEG, PNG or GIF; .jpeg becomes .jpg). A link already right "
        "is left as it is, a link to an older photo is replaced in one step, and links of "
        "people without a photo any more are removed. It never follows a link out of the "
        "photos folder: an upload that is, or passes through, a link leading outside, and a "
        "portal folder that is itself a link, are listed and not used, and a regular file "
        "where a link should be is never overwritten. Links live on disk, outside any "
        "transaction: when a run fails partway, the links it already made stay in place and "
        "the next run makes the rest."
    )
    module = "System"
    params_model = SymlinkPhotosParams
    default_schedule = DefaultSchedule(repeat_minutes=60, priority=400)

    def run(self, context: JobContext, params: SymlinkPhotosParams) -> JobResult:
        from job_library.jobs.system._photo_work import link_photos

        return link_photos(context, params)
