"""The apps' JSON log keeps to what staff and technicians read: fpdf2's font subsetting
(fontTools, ~30 INFO lines per PDF) stays out of it. Found by the business-day walk
(tests/e2e/test_business_day.py): the hub worker's log was mostly fontTools."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sync.pdffonts import prepare
from sync.webapp import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    font_level = logging.getLogger("fontTools").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("fontTools").setLevel(font_level)


def test_a_pdf_leaves_no_font_subsetting_lines(
    restored_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    from fpdf import FPDF

    configure_logging("INFO")
    logging.getLogger("labred.test").info("antes del PDF")
    pdf = FPDF()
    fonts = prepare(pdf)
    pdf.add_page()
    pdf.set_font(fonts.family, "", 10)
    pdf.cell(0, 6, fonts.text("Cierre S01 del 29/11/2026 · Órdenes"))
    assert bytes(pdf.output()).startswith(b"%PDF")
    err = capfd.readouterr().err
    assert "antes del PDF" in err  # the app's own INFO lines still go out
    assert "fontTools" not in err
