"""Pcard Imports (ERP): the card issuer's transactions loaded, and every one made a PO draft."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.site import AddOn

FOLDER = "/pcard"
COLUMNS_SHOWN = "reference,card_last4,cardholder,transaction_date,merchant,amount"


class PcardImportsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fiscal_year: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        title="Fiscal year",
        description=(
            "Charge every draft this run creates to this fiscal year instead of the one its "
            "transaction date falls in. Leave empty to use the transaction date."
        ),
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Drafts and rows listed")


class PcardImports(Job):
    key = "pcard_imports"
    title = "Pcard Imports"
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    description = (
        "Fetches the purchasing-card transactions the card issuer leaves on its SFTP server "
        "(connection 'pcard_sftp', every .csv file in the pcard folder), then makes one "
        "P-Card PO draft (status draft, dated today, numbered PC-<transaction number>) for "
        "every transaction that has none yet, including those Regions Bank Import loaded, "
        "so invoices can be processed against them. The fiscal year of a draft is that of "
        "its transaction date (July 1 to June 30, named by the year it ends in) unless the "
        "job sets a fiscal year, which then applies to every draft the run creates. The "
        "issuer's layout is not public, so the file follows a format of our own described "
        "in the README: UTF-8 CSV with the header " + COLUMNS_SHOWN + ", dates as "
        "YYYY-MM-DD. Rows that cannot be taken are listed with the reason; a transaction "
        "sent twice is loaded and drafted once. A loaded file moves to pcard/imported after "
        "the commit; an unreadable one stays and the run fails."
    )
    params_model = PcardImportsParams
    remote_connection = "pcard_sftp"

    def run(self, context: JobContext, params: PcardImportsParams) -> JobResult:
        from job_library.jobs.erp._pcard_imports_work import (
            load_transactions,
            loaded_result,
            make_drafts,
        )

        out = load_transactions(
            context,
            bank="institution",
            folder=FOLDER,
            date_format="%Y-%m-%d",
            shown_format="YYYY-MM-DD",
        )
        drafted, drafts = make_drafts(
            context.connection, context.now().date(), params.fiscal_year, params.max_listed
        )
        year = f" for fiscal year {params.fiscal_year}" if params.fiscal_year else ""
        summary = (
            f"Loaded {out.loaded} P-Card transaction(s) ({out.already} already imported, "
            f"{len(out.bad)} row(s) not taken); created {drafted} PO draft(s){year}."
        )
        counts = {
            "loaded": out.loaded,
            "already_imported": out.already,
            "not_taken": len(out.bad),
            "drafts": drafted,
        }
        return loaded_result(summary, out, drafts, drafted, counts, params.max_listed)
