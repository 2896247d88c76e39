"""Files the Document Management tests read: made here with reportlab and Pillow."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def text_image(words: str) -> Image.Image:
    """A white picture with ``words`` in large black letters (what a scanner gives)."""
    image = Image.new("L", (1000, 200), 255)
    ImageDraw.Draw(image).text((30, 60), words, fill=0, font=ImageFont.load_default(size=48))
    return image


def png(path: Path, words: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text_image(words).save(path)
    return path


def text_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF with a text layer, one line per page."""
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path))
    for line in pages:
        pdf.drawString(72, 720, line)
        pdf.showPage()
    pdf.save()
    return path


def scanned_pdf(path: Path, words: str) -> Path:
    """A PDF whose only page is a picture of ``words``: no text layer."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    text_image(words).save(buffer, format="PNG")
    buffer.seek(0)
    pdf = canvas.Canvas(str(path))
    pdf.drawImage(ImageReader(buffer), 40, 500, width=500, height=100)
    pdf.showPage()
    pdf.save()
    return path


def image_only_pdf(path: Path, image_filter: str, stream: bytes) -> Path:
    """A one-page PDF, written by hand, whose page shows one 10x10 grey picture stored with
    ``image_filter`` and the bytes ``stream`` (a damaged or unknown encoding, as given)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"", b"q 100 0 0 100 0 0 cm /Im0 Do Q"),
        _stream(
            b"/Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter " + image_filter.encode() + b" ",
            stream,
        ),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def _stream(entries: bytes, data: bytes) -> bytes:
    return b"<< %s/Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)
