"""A boleta to print whose test names go beyond Latin-1 (β, ≥, α, µ, curly quotes), for the
Unicode printing tests and ``bench/bench_pdf_fonts.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from domain.clock import LIMA
from domain.money import q2
from domain.words import amount_in_words
from edge.billing.printing import PrintData, PrintLine

PRICE = Decimal("35.00")


def unicode_boleta(names: Sequence[str]) -> PrintData:
    """Boleta B001-00000123 with one S/ 35.00 line per name (IGV included) for "O’Connor Núñez"."""
    lines = tuple(PrintLine(f"LAB-{i:03d}", name, 1, PRICE, PRICE) for i, name in enumerate(names))
    total = PRICE * len(lines)
    gravado = q2(total / Decimal("1.18"))
    igv = total - gravado
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
        gravado=gravado,
        exonerado=Decimal("0.00"),
        inafecto=Decimal("0.00"),
        discount=Decimal("0.00"),
        igv=igv,
        total=total,
        words=amount_in_words(total),
        digest_value="q0bKz3m2cXJ8yS0b1n0aZ0s2l3Y=",
        qr_text=f"20123456789|03|B001|123|{igv}|{total}|2026-11-29|1|45873219|q0bKz3m2",
        reference=None,
        reason="",
        state="accepted",
    )
