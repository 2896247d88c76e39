"""Document Management: reads the text of uploaded files so they can be searched and redacted."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.site import AddOn


class DocumentManagementParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retry_unreadable: bool = Field(
        default=False,
        title="Try unreadable files again",
        description="Read again the files an earlier run could not read.",
    )
    ocr_language: str = Field(
        default="eng",
        pattern=r"^[a-z_]{3,8}(\+[a-z_]{3,8})*$",
        title="OCR language",
        description="Tesseract language code(s) for scanned images, e.g. eng or eng+spa.",
    )
    max_files: int = Field(
        default=500,
        ge=1,
        le=100_000,
        title="Files read in one run",
        description="The rest wait for the next run, so a first run on years of uploads "
        "does not hold one transaction for hours.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Files listed")


class DocumentManagement(Job):
    key = "document_management"
    title = "Document Management"
    description = (
        "Reads the words out of every student upload that has not been read yet and keeps "
        "them with the upload, so that people can search uploaded files and black out text "
        "on them. PDFs give their text layer; a PDF page without one, and pictures (PNG, JPEG, "
        "TIFF, GIF, BMP), are put through OCR with the server's Tesseract; plain text files "
        "are read as they are. A file that cannot be read (damaged, an unknown type, missing, "
        "or stored outside the uploads folder) is listed with the reason and recorded, so the "
        "others go on and it is not tried every night; the option to try unreadable files "
        "again reads those once more. A file already read is never read twice. One run reads "
        "at most the number of files its option allows, in the order the uploads came in; the "
        "output says how many are left, and the following runs take them."
    )
    module = "System"
    needs_add_ons = frozenset({AddOn.DOCUMENT_MANAGEMENT})
    params_model = DocumentManagementParams

    def run(self, context: JobContext, params: DocumentManagementParams) -> JobResult:
        from job_library.jobs.system._document_work import process_uploads

        return process_uploads(context, params)
