"""The work of Document Management: text from PDFs (pypdf) and images (Tesseract OCR)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.system._district_files import OutsideFolder, district_folder, inside
from job_library.jobs.system._purge_work import UPLOADS
from job_library.output import listed_result
from job_library.schemas.system import document_text, student_uploads

if TYPE_CHECKING:
    from job_library.jobs.system.document_management import DocumentManagementParams

IMAGES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp"})
OCR_SECONDS = 120  # one image; a stuck Tesseract must not hold the job for ever


class Unreadable(Exception):
    """The file cannot be read; the message says why."""


class OcrUnavailable(Exception):
    """Tesseract is not installed on this server: images wait for a run that has it."""


@dataclass(frozen=True)
class _Read:
    upload_id: int
    student_id: int
    file_name: str
    method: str | None
    text: str | None
    reason: str | None


def ocr(image: Path, language: str) -> str:
    """The text Tesseract reads in ``image``."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise OcrUnavailable("the tesseract program is not installed (Debian: tesseract-ocr)")
    try:
        done = subprocess.run(
            [binary, str(image), "stdout", "-l", language],
            capture_output=True,
            timeout=OCR_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Unreadable(f"OCR took longer than {OCR_SECONDS} s") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise Unreadable(f"OCR failed: {message[-1] if message else 'no message'}")
    return done.stdout.decode(errors="replace")


def pdf_text(path: Path, language: str) -> tuple[str, str]:
    """The text of a PDF and how it was read: its text layer, or OCR of its pictures."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise Unreadable("the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
        if any(p.strip() for p in pages):
            return "\n".join(pages), "pdf"
        # Scanned pages: OCR each picture the pages hold.
        texts = []
        with tempfile.TemporaryDirectory() as scratch:
            for n, page in enumerate(reader.pages):
                for m, picture in enumerate(page.images):
                    target = Path(scratch) / f"p{n}-{m}.png"
                    picture.image.save(target)
                    texts.append(ocr(target, language))
        return "\n".join(texts), "pdf+ocr"
    # PyPdfError covers damaged streams (EmptyImageDataError, PdfReadError ...); pypdf
    # raises NotImplementedError for a /Filter it does not know.
    except (PyPdfError, NotImplementedError, ValueError, KeyError, OSError) as exc:
        raise Unreadable(f"not a readable PDF: {type(exc).__name__}: {exc}") from None


def read_file(path: Path, language: str) -> tuple[str, str]:
    """The text of the file at ``path`` and the method; Unreadable says why there is none."""
    if not path.is_file():
        raise Unreadable("the file is missing")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_text(path, language)
    if suffix in IMAGES:
        return ocr(path, language), "ocr"
    if suffix == ".txt":
        try:
            return path.read_bytes().decode("utf-8"), "text"
        except UnicodeDecodeError:
            return path.read_bytes().decode("latin-1"), "text"
    raise Unreadable(f"files of type {suffix or '(none)'} cannot be read")


def _clean(text: str) -> str:
    # Postgres text refuses NUL; OCR and PDFs sometimes produce it.
    return text.replace("\x00", "").strip()


def process_uploads(context: JobContext, params: DocumentManagementParams) -> JobResult:
    conn = context.connection
    folder = district_folder(context, UPLOADS)
    u, t = student_uploads, document_text
    pending = sa.select(u.c.upload_id, u.c.student_id, u.c.file_name, u.c.stored_path).order_by(
        u.c.upload_id
    )
    if params.retry_unreadable:
        pending = pending.where(
            ~sa.exists().where(t.c.upload_id == u.c.upload_id, t.c.status == "read")
        )
    else:
        pending = pending.where(~sa.exists().where(t.c.upload_id == u.c.upload_id))
    results: list[_Read] = []
    waiting: list[tuple[int, str]] = []
    rows = conn.execute(pending).all()
    looked_at = 0
    for row in rows:
        if len(results) >= params.max_files:
            break  # the rest wait for the next run: one run's transaction stays bounded
        looked_at += 1
        try:
            path = inside(folder, row.stored_path)
            text, method = read_file(path, params.ocr_language)
        except OcrUnavailable as exc:
            waiting.append((row.upload_id, str(exc)))
            continue
        except (Unreadable, OutsideFolder) as exc:
            results.append(
                _Read(row.upload_id, row.student_id, row.file_name, None, None, str(exc))
            )
            continue
        except Exception as exc:  # whatever one file does, the others are still read
            context.log.warning("upload %s could not be read", row.upload_id, exc_info=True)
            reason = f"could not be read: {type(exc).__name__}: {exc}"
            results.append(_Read(row.upload_id, row.student_id, row.file_name, None, None, reason))
            continue
        context.log.info("read upload %s (%s) by %s", row.upload_id, row.file_name, method)
        results.append(
            _Read(row.upload_id, row.student_id, row.file_name, method, _clean(text), None)
        )
    now = context.now()
    ids = [r.upload_id for r in results]
    if ids:
        # Earlier unreadable rows of the files read again are replaced.
        conn.execute(sa.delete(t).where(t.c.upload_id.in_(ids)))
        conn.execute(
            sa.insert(t),
            [
                {
                    "upload_id": r.upload_id,
                    "status": "read" if r.reason is None else "unreadable",
                    "method": r.method,
                    "content": r.text,
                    "reason": (r.reason or "")[:500] or None,
                    "processed_at": now,
                }
                for r in results
            ],
        )
    return _report(results, waiting, len(rows) - looked_at, params)


def _report(
    results: list[_Read],
    waiting: list[tuple[int, str]],
    left: int,
    params: DocumentManagementParams,
) -> JobResult:
    read = [r for r in results if r.reason is None]
    bad = [r for r in results if r.reason is not None]
    summary = f"Read the text of {len(read)} uploaded file(s)."
    if bad:
        summary += f" {len(bad)} file(s) could not be read (listed below)."
    if waiting:
        summary += (
            f" {len(waiting)} image(s) wait for OCR: {waiting[0][1]}; they are read by the "
            "first run that has it."
        )
    if left:
        summary += (
            f" {left} more file(s) wait for the next run (at most {params.max_files} are read "
            "in one run)."
        )
    lines = [summary]
    rows = []
    for r in (bad + read)[: params.max_listed]:
        words = len((r.text or "").split())
        outcome = f"read by {r.method}, {words} word(s)" if r.reason is None else r.reason
        lines.append(f"  upload {r.upload_id} of student {r.student_id}, {r.file_name}: {outcome}")
        rows.append((r.upload_id, r.student_id, r.file_name, outcome))
    result = listed_result(
        summary,
        lines,
        ("Upload", "Student", "File", "Outcome"),
        rows,
        total=len(results),
        cap=params.max_listed,
        counts={
            "read": len(read),
            "unreadable": len(bad),
            "waiting_for_ocr": len(waiting),
            "left_for_next_run": left,
        },
    )
    if waiting:
        return JobResult(False, result.summary, result.text, result.html, result.counts)
    return result
