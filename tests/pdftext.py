"""Text of a PDF as a reader sees it, through pypdf (fonts' ToUnicode maps, any encoding).

fpdf2 writes one text-showing operation per cell or line; :func:`shown` returns those strings
in order, as :mod:`pypdf` decodes them, so a test can look for a whole line.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader


def shown(pdf: bytes) -> list[str]:
    """Every non-blank string the PDF's pages show, in order."""
    out: list[str] = []

    def visit(text: str, *_: Any) -> None:
        if text.strip():
            out.append(text.rstrip("\n"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return out


def page_text(pdf: bytes) -> str:
    """All pages' text joined, for substring checks."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def font_names(pdf: bytes) -> set[str]:
    """BaseFont of every font the pages use (subset prefixes like ``ABCDEF+`` removed)."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            base = str(ref.get_object().get("/BaseFont", ""))
            names.add(base.lstrip("/").split("+")[-1])
    return names
