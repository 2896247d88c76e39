"""Document Management on SQLite and Postgres: PDF text, OCR of images and scans, bad files."""

from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.system import _document_work
from job_library.jobs.system.document_management import (
    DocumentManagement,
    DocumentManagementParams,
)
from job_library.schemas.system import document_text
from job_library.site import AddOn
from tests.job_library.jobs_context import run_in_transaction
from tests.job_library.system.document_fixtures import png, scanned_pdf, text_pdf
from tests.job_library.system.files_district import base, upload, upload_field

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=NY)

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Debian's tesseract-ocr is not installed"
)


@pytest.fixture
def uploads(db, tmp_path):
    """1: a two-page PDF; 2: a PNG scan; 3: a scanned PDF; 4: a damaged PDF; 5: a Word file;
    6: a row whose file is gone; 7: a path outside the uploads; 8: a text file."""
    folder = tmp_path / "_district" / "uploads"
    text_pdf(folder / "s1/iep.pdf", ["Individual Education Plan", "Reviewed by Dana Smith"])
    png(folder / "s1/waiver.png", "IMMUNIZATION WAIVER 2026")
    scanned_pdf(folder / "s2/scan.pdf", "CUSTODY ORDER")
    (folder / "s2").mkdir(parents=True, exist_ok=True)
    (folder / "s2/broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    (folder / "s2/letter.docx").write_bytes(b"PK\x03\x04")
    (folder / "s2/notes.txt").write_text("Parent called about bus 12\n")
    with db.begin() as conn:
        base(conn, [1, 2])
        upload_field(conn, 1, "A", None)
        t = dt.datetime(2026, 9, 1, tzinfo=NY)
        for upload_id, student, stored in [
            (1, 1, "s1/iep.pdf"),
            (2, 1, "s1/waiver.png"),
            (3, 2, "s2/scan.pdf"),
            (4, 2, "s2/broken.pdf"),
            (5, 2, "s2/letter.docx"),
            (6, 2, "s2/gone.pdf"),
            (7, 2, "../../etc/passwd"),
            (8, 2, "s2/notes.txt"),
        ]:
            upload(conn, folder, upload_id, student, 1, t, data=None, name=stored)
    return folder


def _run(db, tmp_path, **params):
    return run_in_transaction(
        db,
        DocumentManagement(),
        DocumentManagementParams(**params),
        now=NOW,
        tmp=tmp_path / "job",
        district_files=tmp_path / "_district",
    )


def _texts(db) -> dict[int, tuple]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(
                document_text.c.upload_id,
                document_text.c.status,
                document_text.c.method,
                document_text.c.content,
                document_text.c.reason,
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@needs_tesseract
def test_reads_pdfs_and_images_and_lists_what_it_cannot_read(db, uploads, tmp_path):
    result = _run(db, tmp_path)
    texts = _texts(db)
    assert texts[1][:2] == ("read", "pdf")
    assert "Individual Education Plan" in texts[1][2] and "Dana Smith" in texts[1][2]
    assert texts[2][:3] == ("read", "ocr", "IMMUNIZATION WAIVER 2026")
    assert texts[3][:2] == ("read", "pdf+ocr") and "CUSTODY ORDER" in texts[3][2]
    assert texts[8][:3] == ("read", "text", "Parent called about bus 12")
    assert texts[4][0] == "unreadable" and texts[4][3].startswith("not a readable PDF")
    assert texts[5][::3] == ("unreadable", "files of type .docx cannot be read")
    assert texts[6][::3] == ("unreadable", "the file is missing")
    assert texts[7][0] == "unreadable" and "leads outside" in texts[7][3]
    assert result.success
    assert dict(result.counts) == {"read": 4, "unreadable": 4, "waiting_for_ocr": 0}
    assert result.summary == (
        "Read the text of 4 uploaded file(s). 4 file(s) could not be read (listed below)."
    )
    assert "  upload 5 of student 2, letter.docx: files of type .docx cannot be read" in (
        result.text
    )
    assert "  upload 2 of student 1, waiver.png: read by ocr, 3 word(s)" in result.text


@needs_tesseract
def test_second_run_reads_nothing_and_retry_reads_the_unreadable_again(db, uploads, tmp_path):
    _run(db, tmp_path)
    again = _run(db, tmp_path)
    assert dict(again.counts) == {"read": 0, "unreadable": 0, "waiting_for_ocr": 0}
    (uploads / "s2/gone.pdf").write_bytes((uploads / "s1/iep.pdf").read_bytes())
    retry = _run(db, tmp_path, retry_unreadable=True)
    assert dict(retry.counts) == {"read": 1, "unreadable": 3, "waiting_for_ocr": 0}
    assert _texts(db)[6][:2] == ("read", "pdf")


def test_without_tesseract_images_wait_and_the_rest_is_read(db, uploads, tmp_path, monkeypatch):
    monkeypatch.setattr(_document_work.shutil, "which", lambda name: None)
    result = _run(db, tmp_path)
    assert not result.success
    assert dict(result.counts) == {"read": 2, "unreadable": 4, "waiting_for_ocr": 2}
    assert set(_texts(db)) == {1, 4, 5, 6, 7, 8}
    assert "2 image(s) wait for OCR: the tesseract program is not installed" in result.summary


def test_a_failure_while_saving_saves_nothing(db, uploads, tmp_path, monkeypatch):
    monkeypatch.setattr(_document_work, "ocr", lambda image, language: "words")
    original = sa.insert

    def insert(table):
        if table is document_text:
            raise RuntimeError("database went away")
        return original(table)

    monkeypatch.setattr(_document_work.sa, "insert", insert)
    with pytest.raises(RuntimeError, match="database went away"):
        _run(db, tmp_path)
    assert _texts(db) == {}


def test_ocr_language_is_checked():
    with pytest.raises(ValueError, match="ocr_language"):
        DocumentManagementParams(ocr_language="eng; rm -rf /")


def test_needs_the_document_management_add_on():
    assert DocumentManagement.needs_add_ons == frozenset({AddOn.DOCUMENT_MANAGEMENT})
