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
from tests.job_library.system.document_fixtures import image_only_pdf, png, scanned_pdf, text_pdf
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
    assert dict(result.counts) == {
        "read": 4,
        "unreadable": 4,
        "waiting_for_ocr": 0,
        "left_for_next_run": 0,
    }
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
    assert dict(again.counts) == {
        "read": 0,
        "unreadable": 0,
        "waiting_for_ocr": 0,
        "left_for_next_run": 0,
    }
    (uploads / "s2/gone.pdf").write_bytes((uploads / "s1/iep.pdf").read_bytes())
    retry = _run(db, tmp_path, retry_unreadable=True)
    assert dict(retry.counts) == {
        "read": 1,
        "unreadable": 3,
        "waiting_for_ocr": 0,
        "left_for_next_run": 0,
    }
    assert _texts(db)[6][:2] == ("read", "pdf")


def test_without_tesseract_images_wait_and_the_rest_is_read(db, uploads, tmp_path, monkeypatch):
    monkeypatch.setattr(_document_work.shutil, "which", lambda name: None)
    result = _run(db, tmp_path)
    assert not result.success
    assert dict(result.counts) == {
        "read": 2,
        "unreadable": 4,
        "waiting_for_ocr": 2,
        "left_for_next_run": 0,
    }
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


@pytest.fixture
def damaged(db, tmp_path):
    """1: a PDF with text; 2: a scan whose picture stream is not Flate data although it says
    so; 3: a scan whose picture uses a filter no PDF library knows; 4: a text file."""
    folder = tmp_path / "_district" / "uploads"
    text_pdf(folder / "s1/iep.pdf", ["Individual Education Plan"])
    image_only_pdf(folder / "s1/scan.pdf", "/FlateDecode", b"these bytes are not zlib data")
    image_only_pdf(folder / "s2/fax.pdf", "/FaxMachineDecode", b"\x01" * 100)
    (folder / "s2").mkdir(parents=True, exist_ok=True)
    (folder / "s2/notes.txt").write_text("Bus 12 was late\n")
    with db.begin() as conn:
        base(conn, [1, 2])
        upload_field(conn, 1, "A", None)
        t = dt.datetime(2026, 9, 1, tzinfo=NY)
        for upload_id, student, stored in [
            (1, 1, "s1/iep.pdf"),
            (2, 1, "s1/scan.pdf"),
            (3, 2, "s2/fax.pdf"),
            (4, 2, "s2/notes.txt"),
        ]:
            upload(conn, folder, upload_id, student, 1, t, data=None, name=stored)
    return folder


def test_damaged_pdf_streams_are_listed_and_the_other_files_are_read(db, damaged, tmp_path):
    result = _run(db, tmp_path)
    texts = _texts(db)
    assert texts[1][:3] == ("read", "pdf", "Individual Education Plan")
    assert texts[4][:3] == ("read", "text", "Bus 12 was late")
    assert texts[2][::3] == (
        "unreadable",
        "not a readable PDF: EmptyImageDataError: Data is 0 bytes, cannot process an image "
        "from empty data.",
    )
    assert texts[3][::3] == (
        "unreadable",
        "not a readable PDF: NotImplementedError: Unsupported filter /FaxMachineDecode",
    )
    assert result.success
    assert dict(result.counts) == {
        "read": 2,
        "unreadable": 2,
        "waiting_for_ocr": 0,
        "left_for_next_run": 0,
    }
    assert "  upload 3 of student 2, fax.pdf: not a readable PDF: NotImplementedError" in (
        result.text
    )


def test_an_unexpected_error_on_one_file_is_listed_and_the_others_are_read(
    db, damaged, tmp_path, monkeypatch
):
    real = _document_work.read_file

    def read_file(path, language):
        if path.name == "notes.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, language)

    monkeypatch.setattr(_document_work, "read_file", read_file)
    result = _run(db, tmp_path)
    assert _texts(db)[4][::3] == (
        "unreadable",
        "could not be read: RecursionError: maximum recursion depth exceeded",
    )
    assert _texts(db)[1][0] == "read"
    assert (result.counts["read"], result.counts["unreadable"]) == (1, 3)


def test_a_run_reads_at_most_max_files_and_the_next_run_takes_the_rest(db, damaged, tmp_path):
    first = _run(db, tmp_path, max_files=3)
    assert sorted(_texts(db)) == [1, 2, 3]
    assert dict(first.counts) == {
        "read": 1,
        "unreadable": 2,
        "waiting_for_ocr": 0,
        "left_for_next_run": 1,
    }
    assert first.summary == (
        "Read the text of 1 uploaded file(s). 2 file(s) could not be read (listed below). "
        "1 more file(s) wait for the next run (at most 3 are read in one run)."
    )
    second = _run(db, tmp_path, max_files=3)
    assert sorted(_texts(db)) == [1, 2, 3, 4]
    assert dict(second.counts) == {
        "read": 1,
        "unreadable": 0,
        "waiting_for_ocr": 0,
        "left_for_next_run": 0,
    }
    assert second.summary == "Read the text of 1 uploaded file(s)."
    assert _run(db, tmp_path, max_files=3).counts["read"] == 0


def test_images_waiting_for_ocr_do_not_use_up_max_files(db, uploads, tmp_path, monkeypatch):
    monkeypatch.setattr(_document_work.shutil, "which", lambda name: None)
    # Uploads 1-8 in order: 2 (PNG) and 3 (scan) wait; 1, 4, 5 and 6 are recorded.
    result = _run(db, tmp_path, max_files=4)
    assert set(_texts(db)) == {1, 4, 5, 6}
    assert (result.counts["waiting_for_ocr"], result.counts["left_for_next_run"]) == (2, 2)


def test_the_listing_is_capped_unreadable_files_first(db, damaged, tmp_path):
    result = _run(db, tmp_path, max_listed=1)
    assert result.text.splitlines()[1:] == [
        "  upload 2 of student 1, scan.pdf: not a readable PDF: EmptyImageDataError: Data is "
        "0 bytes, cannot process an image from empty data.",
        "  ... and 3 more (listing capped at 1).",
    ]
    assert "<p>3 more not listed.</p>" in result.html


def test_a_nul_character_in_the_text_is_left_out(db, damaged, tmp_path):
    # Postgres refuses NUL in text; the words on either side are kept.
    (damaged / "s2/notes.txt").write_bytes(b"Bus 12\x00 was late\x00\n")
    _run(db, tmp_path)
    assert _texts(db)[4][:3] == ("read", "text", "Bus 12 was late")
