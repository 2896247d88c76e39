"""Generate PDFs from Receipts: one PDF file per receipt, store receipts included."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule


class GenerateReceiptPdfsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: dt.date | None = Field(
        default=None,
        title="First receipt date",
        description="Receipts dated on or after this day; leave empty for the day before "
        "the run. Set an earlier day to make the PDFs of past receipts.",
    )
    end_date: dt.date | None = Field(
        default=None,
        title="Last receipt date",
        description="Receipts dated on or before this day; leave empty for the run day.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Saved PDFs listed")

    @model_validator(mode="after")
    def _order(self) -> GenerateReceiptPdfsParams:
        if (
            self.start_date is not None
            and self.end_date is not None
            and self.end_date < self.start_date
        ):
            raise ValueError(
                f"end_date {self.end_date} is before start_date {self.start_date}; "
                "swap them or leave one empty"
            )
        return self


class GenerateReceiptPdfs(Job):
    key = "generate_pdfs_from_receipts"
    title = "Generate PDFs from Receipts"
    description = (
        "Writes one PDF file per receipt (register, Store and parent-portal receipts alike) "
        "under receipts/<date>/ in the district's files, showing who paid, where, how, "
        "what the money went to (the payment's active allocations; any unapplied part as a "
        "credit; a refund as its own line) and the total, and records the file on the "
        "receipt (receipts.pdf_file, audited). Rules: by default the receipts of the day "
        "before the run and of the run day; any earlier range can be given. A receipt whose "
        "PDF was saved is skipped, unless its file has gone missing, when it is saved "
        "again. Files are moved into place only once the run's changes are committed. A "
        "receipt that names neither a payment nor a refund, or whose amount differs from "
        "its payment's or refund's, gets no PDF and is listed."
    )
    module = "Student Billing"
    params_model = GenerateReceiptPdfsParams
    default_schedule = DefaultSchedule(run_time="23:30")

    def run(self, context: JobContext, params: GenerateReceiptPdfsParams) -> JobResult:
        from job_library.jobs.billing._receipt_pdf_work import save_receipt_pdfs

        return save_receipt_pdfs(context, params, self.key)
