"""Hub PDFs (the accepted document's e-mail summary, report exports) keep text beyond
Latin-1: β-HCG, ≥, curly quotes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from central.notifications.documents import invoice_pdf
from central.reports.export import Sheet, to_pdf
from tests.pdftext import font_names, page_text


class _NoCompany:
    """A session whose Company query finds nothing (the summary prints without a header)."""

    def exec(self, _statement: Any) -> _NoCompany:
        return self

    def first(self) -> None:
        return None


def test_invoice_summary_pdf_keeps_unicode() -> None:
    invoice = {
        "doc_type": "03",
        "series": "B001",
        "number": 7,
        "customer_name": "O’Connor — β Núñez",
        "customer_doc_number": "45873219",
        "issued_at": "2026-11-29T15:00:00+00:00",
        "igv": 540,
        "total": 3540,
        "state": "aceptado",
        "digest_value": "abc=",
    }
    pdf = invoice_pdf(_NoCompany(), invoice)  # type: ignore[arg-type]
    text = page_text(pdf)
    assert "Cliente: O’Connor — β Núñez" in text
    assert "BOLETA DE VENTA ELECTRÓNICA" in text and "Total: S/ 35.40" in text
    assert font_names(pdf) == {"Roboto", "RobotoBold"}


def test_report_pdf_keeps_unicode() -> None:
    sheet = Sheet(
        title="Ventas por examen – noviembre",
        columns=["Examen", "Cantidad", "Importe"],
        rows=[["β-HCG", 3, Decimal("135.00")], ["Glucosa ≥ 126", 1, Decimal("12.00")]],
    )
    text = page_text(to_pdf("Reporte “mensual”", [sheet], subtitle="Sede Miraflores"))
    for expected in ("Reporte “mensual”", "Ventas por examen – noviembre", "β-HCG", "≥ 126"):
        assert expected in text
    assert "135.00" in text
