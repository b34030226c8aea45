"""QR payload and image of the printed representation."""

from __future__ import annotations

from decimal import Decimal

from domain.sunat.catalogs import DocumentType
from domain.sunat.qr import qr_payload, qr_payload_for, qr_png, qr_svg

from .factories import ANONYMOUS, ISSUE_DATE, doc


def test_payload_fields() -> None:
    text = qr_payload(
        "20100070970",
        DocumentType.FACTURA,
        "F001",
        15,
        Decimal("7.25"),
        Decimal("47.5"),
        ISSUE_DATE,
        "6",
        "20100066603",
        "abc+/=",
    )
    assert text == "20100070970|01|F001|15|7.25|47.50|2025-03-14|6|20100066603|abc+/="


def test_payload_for_document() -> None:
    d = doc(DocumentType.BOLETA, customer=ANONYMOUS)
    assert qr_payload_for(d, "HASH=") == "20100070970|03|B001|1|7.25|47.50|2025-03-14|0|-|HASH="


def test_images() -> None:
    assert qr_svg("x").lstrip().startswith(b"<svg")
    assert qr_png("x").startswith(b"\x89PNG")
