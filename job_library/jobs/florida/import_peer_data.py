"""Import Peer Data (Florida State Reporting): chosen PEER tables, checked or imported."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult

# PEER's nine export names (job_library.schemas.florida_peer.PEER_COLUMNS holds their columns).
PeerTable = Literal[
    "FL_PEER_ACTIVE_EPS",
    "FL_PEER_ACTIVE_IEPS",
    "FL_PEER_ACTIVE_504_PLANS",
    "FL_PEER_ASSESSMENT_ACCOMMODATIONS",
    "FL_PEER_CLASSROOM_ACCOMMODATIONS",
    "FL_PEER_IEP_LRE",
    "FL_PEER_MATRIX_SERVICES",
    "FL_PEER_504_ASSESSMENT_ACCOMMODATIONS",
    "FL_PEER_504_CLASSROOM_ACCOMMODATIONS",
]
ALL_PEER_TABLES: list[str] = list(PeerTable.__args__)

PEER_FORMAT = (
    "PEER's export layout is not public, so the files follow a format of our own (see the "
    "README): one UTF-8 CSV per table in the peer folder of the 'peer_sftp' server, named "
    "after the table (FL_PEER_ACTIVE_IEPS.csv ...), with the header peer_id,fleid and then "
    "the table's own columns; dates are YYYY-MM-DD."
)


class ImportPeerDataParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: list[PeerTable] = Field(
        default_factory=lambda: list(ALL_PEER_TABLES),
        min_length=1,
        title="Tables",
        description="The PEER tables to take; a table without a file this run is left alone.",
    )
    test_only: bool = Field(
        default=False,
        title="Test only",
        description="Check every row and report, changing nothing and leaving the files.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Rows listed")


class ImportPeerData(Job):
    key = "import_peer_data"
    title = "Import Peer Data"
    module = "Florida State Reporting"
    needs_state = "FL"
    kind = JobKind.IMPORT
    description = (
        "Takes the ESE plan tables exported from Florida's PEER system and makes the Focus "
        "copy of each chosen table match its file exactly: rows are added, changed and "
        "removed. With Test only, every row is checked and the problems reported, but no "
        "table changes and the files stay where they are, so a district can try a file "
        "before the nightly import. A file with even one row that cannot be taken (unknown "
        "Florida student id, a repeated PEER id, a date that is not a date, a plan ending "
        "before it starts, an empty value) is not applied; its rows are listed with the "
        "reason and the run fails, while the other files are imported. Imported files move "
        "to peer/imported with the time added to the name. " + PEER_FORMAT
    )
    params_model = ImportPeerDataParams
    remote_connection = "peer_sftp"

    def run(self, context: JobContext, params: ImportPeerDataParams) -> JobResult:
        from job_library.jobs.florida._peer_work import import_peer

        chosen = [t for t in ALL_PEER_TABLES if t in params.tables]
        return import_peer(
            context, chosen, test_only=params.test_only, max_listed=params.max_listed
        )
