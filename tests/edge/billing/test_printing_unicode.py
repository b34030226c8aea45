"""Printed comprobantes keep lab test names beyond Latin-1 (β-HCG, ≥, µ, curly quotes): the A4
and the 80 mm ticket embed the Unicode font; without it they print plain text, never "?-HCG"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from domain.clock import LIMA
from edge.billing.printing import PrintData, PrintLine, pdf_a4, pdf_ticket
from sync import pdffonts
from tests.pdftext import font_names, page_text, shown

Render = Callable[[PrintData], bytes]
NAMES = ["β-HCG cuantitativa", "Glucosa ≥ 126 mg/dL", "α-fetoproteína (AFP)"]


def boleta() -> PrintData:
    """A boleta for three tests whose names need more than Latin-1 (as bench_pdf_fonts.py)."""
    lines = tuple(
        PrintLine(f"LAB-{i:03d}", name, 1, Decimal("35.00"), Decimal("35.00"))
        for i, name in enumerate(NAMES)
    )
    return PrintData(
        company_ruc="20123456789",
        company_name="Laboratorio Clínico Andino S.A.C.",
        trade_name="LabRed",
        company_address="Av. Arequipa 123, Lima",
        sede_name="Sede Miraflores",
        sede_address="Av. Larco 456",
        title="BOLETA DE VENTA ELECTRÓNICA",
        full_number="B001-00000123",
        issued_at=dt.datetime(2026, 11, 29, 10, 0, tzinfo=LIMA),
        customer_id_label="DNI",
        customer_doc_number="45873219",
        customer_name="O’Connor Núñez, María",
        customer_address="",
        lines=lines,
        gravado=Decimal("88.98"),
        exonerado=Decimal("0.00"),
        inafecto=Decimal("0.00"),
        discount=Decimal("0.00"),
        igv=Decimal("16.02"),
        total=Decimal("105.00"),
        words="CIENTO CINCO CON 00/100 SOLES",
        digest_value="q0bKz3m2cXJ8yS0b1n0aZ0s2l3Y=",
        qr_text="20123456789|03|B001|123|16.02|105.00|2026-11-29|1|45873219|q0bKz3m2",
        reference=None,
        reason="",
        state="accepted",
    )


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
