"""Florida Peer Nightly Import (Florida State Reporting): every PEER table file, each night."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.jobs.florida.import_peer_data import ALL_PEER_TABLES, PEER_FORMAT


class PeerNightlyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Rows listed")


class FloridaPeerNightlyImport(Job):
    key = "florida_peer_nightly_import"
    title = "Florida Peer Nightly Import"
    module = "Florida State Reporting"
    needs_state = "FL"
    kind = JobKind.IMPORT
    description = (
        "The unattended, every-night form of Import Peer Data: it looks for a file for each "
        "of the nine PEER tables and brings each Focus table in line with its file (rows "
        "added, changed, removed). Try new files with Import Peer Data's Test only first: "
        "here a file with a row that cannot be taken is skipped as a whole, its rows listed "
        "with the reason, and the run is marked failed; the file waits for the next night. "
        "A file with the very bytes last applied to its table is only moved away; one that "
        "repeats an older file (PEER went back to it) is applied again, so each table ends "
        "up with its newest file. " + PEER_FORMAT
    )
    params_model = PeerNightlyParams
    remote_connection = "peer_sftp"
    default_schedule = DefaultSchedule(run_time="01:30")

    def run(self, context: JobContext, params: PeerNightlyParams) -> JobResult:
        from job_library.jobs.florida._peer_work import import_peer

        return import_peer(
            context, list(ALL_PEER_TABLES), test_only=False, max_listed=params.max_listed
        )
