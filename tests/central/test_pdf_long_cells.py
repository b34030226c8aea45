"""A hub PDF export never cuts a cell: a finding's detail longer than its column wraps, so the
supervisor reading the closure's PDF sees which documents SUNAT rejected (found by the
business-day walk, tests/e2e/test_business_day.py)."""

from __future__ import annotations

from decimal import Decimal

from central.reports.export import Sheet, to_pdf
from tests.pdftext import page_text

DETAIL = "3 comprobante(s) rechazado(s) por SUNAT: F001-1, F001-7, F001-12"
IDS = "01a22a3a-25cc-7948-ad8a-1150c0f2b1aa, 01a22a3a-25cc-7948-ad8a-1150c0f2b1ab"


def _findings(rows: list[list[object]]) -> bytes:
    sheet = Sheet("Discrepancias", ["Gravedad", "Tipo", "Detalle", "Monto", "Ids"], rows)
    return to_pdf("Cierre S01 del 29/11/2026", [sheet])


def test_a_long_detail_wraps_instead_of_being_cut() -> None:
    pdf = _findings(
        [["Crítica", "Rechazado por SUNAT", DETAIL, Decimal("195.00"), IDS]]
        + [
            [
                "Advertencia",
                "Faltante de caja",
                "Caja con faltante de S/ 5.00",
                Decimal("-5.00"),
                "x",
            ]
        ]
    )
    flat = " ".join(page_text(pdf).split())
    assert "F001-1, F001-7, F001-12" in flat
    assert "1150c0f2b1ab" in flat  # the last id too
    assert "Caja con faltante de S/ 5.00" in flat and "-5.00" in flat


def test_rows_that_fit_are_unchanged_one_line_each() -> None:
    text = page_text(_findings([["Aviso", "Tipo", "Corto", Decimal("1.00"), "id"]]))
    assert "Aviso Tipo Corto 1.00 id" in text


def test_many_long_rows_flow_onto_more_pages() -> None:
    pdf = _findings(
        [["Crítica", "Rechazado", f"{DETAIL} #{n}", Decimal(n), IDS] for n in range(60)]
    )
    flat = " ".join(page_text(pdf).split())
    assert all(f"F001-12 #{n}" in flat for n in (0, 30, 59))
