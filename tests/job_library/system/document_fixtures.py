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
