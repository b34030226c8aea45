"""Printed comprobantes keep lab test names beyond Latin-1 (β-HCG, ≥, µ, curly quotes): the A4
and the 80 mm ticket embed the Unicode font; without it they print plain text, never "?-HCG"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from edge.billing.printing import PrintData, pdf_a4, pdf_ticket
from sync import pdffonts
from tests.edge.billing.print_samples import unicode_boleta
from tests.pdftext import font_names, page_text, shown

Render = Callable[[PrintData], bytes]
NAMES = ["β-HCG cuantitativa", "Glucosa ≥ 126 mg/dL", "α-fetoproteína (AFP)"]


def boleta() -> PrintData:
    return unicode_boleta(NAMES)


@pytest.mark.parametrize("render", [pdf_a4, pdf_ticket])
def test_boleta_pdf_shows_greek_and_symbols(render: Render) -> None:
    pdf = render(boleta())
    text = page_text(pdf)
    for name in NAMES:
        assert name in text
    assert "Cliente: O’Connor Núñez, María" in [t.strip() for t in shown(pdf)]
    assert "?-HCG" not in text
    assert font_names(pdf) == {"Roboto", "RobotoBold"}
    assert len(pdf) < 40_000  # subset fonts: a few kB of glyphs, not the 300 kB TTFs


@pytest.mark.parametrize("render", [pdf_a4, pdf_ticket])
def test_without_the_font_the_boleta_prints_plain_text(
    render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdffonts, "font_files", lambda: None)
    pdf = render(boleta())
    text = page_text(pdf)
    assert "beta-HCG cuantitativa" in text and "Glucosa >= 126 mg/dL" in text
    assert "Cliente: O'Connor Núñez, María" in text
    assert font_names(pdf) <= {"Helvetica", "Helvetica-Bold"}


def test_issue_date_and_amounts_unchanged() -> None:
    data = boleta()
    assert data.issued_at.date() == dt.date(2026, 11, 29)
    text = page_text(pdf_a4(data))
    assert "29/11/2026 10:00" in text and "105.00" in text and "B001-00000123" in text
