"""Label text beyond Latin-1: the PDF label embeds the Unicode font (β prints as β); ZPL,
printed with the resident font 0 under ^CI28, gets plain text (β → beta)."""

from __future__ import annotations

import pytest

from domain.barcode import human_readable
from edge.samples.labels import LabelData, render_pdf, render_zpl
from sync import pdffonts
from tests.pdftext import shown

LABEL = LabelData(
    patient_name="O’Connor Núñez, José",
    document="DNI 45873219",
    order_number="S01-20261129-0001",
    tube="tubo rojo ≥ 3 mL",
    sample_type="suero β-HCG",
    barcode="S012611290007",
)


def test_pdf_label_keeps_greek_and_symbols() -> None:
    text = shown(render_pdf([LABEL]))
    assert "O’CONNOR NÚÑEZ, JOSÉ" in text
    assert "tubo rojo ≥ 3 mL · suero β-HCG" in text
    assert human_readable(LABEL.barcode) in text  # Courier (core font): ASCII only


def test_pdf_label_without_the_font_prints_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdffonts, "font_files", lambda: None)
    text = shown(render_pdf([LABEL]))
    assert "O'CONNOR NÚÑEZ, JOSÉ" in text
    assert "tubo rojo >= 3 mL · suero beta-HCG" in text


def test_zpl_is_utf8_with_transliterated_symbols() -> None:
    zpl = render_zpl([LABEL])
    assert "^CI28" in zpl.splitlines()[1]
    fields = [
        line.split("^FD")[1].removesuffix("^FS") for line in zpl.splitlines() if "^FD" in line
    ]
    assert fields[:3] == [
        "O'CONNOR NÚÑEZ, JOSÉ",
        "DNI 45873219 Orden S01-20261129-0001",
        "tubo rojo >= 3 mL - suero beta-HCG",
    ]
    zpl.encode("latin-1")  # only what font 0 can print; sent as UTF-8 (^CI28)
