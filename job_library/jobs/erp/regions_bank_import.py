"""Regions Bank Import (ERP): the P-Card transaction files Regions Bank drops, loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.site import AddOn

FOLDER = "/regions"
COLUMNS_SHOWN = "reference,card_last4,cardholder,transaction_date,merchant,amount"


class RegionsBankImportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Rows listed")


class RegionsBankImport(Job):
    key = "regions_bank_import"
    title = "Regions Bank Import"
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    description = (
        "Loads the purchasing-card transactions Regions Bank leaves on its SFTP server "
        "(connection 'regions_sftp', every .csv file in the regions folder) into Focus's "
        "P-Card transaction list, where Pcard Imports turns them into PO drafts. Regions' "
        "layout is not public, so the file follows a format of our own described in the "
        "README: UTF-8 CSV with the header " + COLUMNS_SHOWN + ", dates as MM/DD/YYYY, the "
        "last four card digits only. A transaction already loaded (same reference) is counted "
        "and skipped; a row with a missing value, a bad date, a card that is not 4 digits or "
        "an amount that is not above zero with at most 2 decimals is listed with the reason "
        "and the rest of the file is loaded. A loaded file moves to regions/imported once "
        "the rows are committed; an unreadable one stays and the run fails."
    )
    params_model = RegionsBankImportParams
    remote_connection = "regions_sftp"
    remote_wait = (FOLDER, "*.csv")

    def run(self, context: JobContext, params: RegionsBankImportParams) -> JobResult:
        from job_library.jobs.erp._pcard_imports_work import load_transactions, loaded_result

        out = load_transactions(
            context,
            bank="regions",
            folder=FOLDER,
            date_format="%m/%d/%Y",
            shown_format="MM/DD/YYYY",
        )
        summary = (
            f"Loaded {out.loaded} Regions Bank P-Card transaction(s); {out.already} already "
            f"imported; {len(out.bad)} row(s) not taken."
        )
        counts = {"loaded": out.loaded, "already_imported": out.already, "not_taken": len(out.bad)}
        return loaded_result(summary, out, [], 0, counts, params.max_listed)
