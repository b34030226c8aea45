"""QR code of the printed representation (representación impresa).

Payload: ``RUC|TT|SERIE|NUMERO|IGV|TOTAL|YYYY-MM-DD|TIPODOC|NUMDOC|HASH`` where amounts
have 2 decimals and HASH is the signed document's base64 DigestValue. Rendering the image
uses segno in memory (SVG or PNG bytes); no files are touched.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import segno

from domain.money import fmt
from domain.sunat.catalogs import DocumentType, IdentityType
from domain.sunat.models import Document
from domain.sunat.totals import DocumentTotals, document_totals


def qr_payload(
    ruc: str,
    doc_type: DocumentType | str,
    series: str,
    number: int | str,
    igv: Decimal,
    total: Decimal,
    issue_date: dt.date,
    customer_doc_type: IdentityType | str,
    customer_doc_number: str,
    digest_value: str,
) -> str:
    """The QR text, fields separated by ``|``."""
    fields = (
        ruc,
        str(doc_type.value if isinstance(doc_type, DocumentType) else doc_type),
        series,
        str(number),
        fmt(igv),
        fmt(total),
        issue_date.isoformat(),
        str(
            customer_doc_type.value
            if isinstance(customer_doc_type, IdentityType)
            else customer_doc_type
        ),
        customer_doc_number.strip() or "-",
        digest_value,
    )
    return "|".join(fields)


def qr_payload_for(doc: Document, digest_value: str, totals: DocumentTotals | None = None) -> str:
    """The QR text of a document once signed (``digest_value`` from the signature)."""
    if totals is None:
        totals = document_totals(doc)
    return qr_payload(
        doc.issuer.ruc,
        doc.doc_type,
        doc.series,
        doc.number,
        totals.igv,
        totals.payable,
        doc.issue_date,
        doc.customer.doc_type,
        doc.customer.doc_number,
        digest_value,
    )


def qr_svg(payload: str, *, scale: int = 3) -> bytes:
    """The QR as SVG bytes (error correction level Q, as Greenter prints it)."""
    buf = io.BytesIO()
    segno.make(payload, error="q", micro=False).save(buf, kind="svg", scale=scale, xmldecl=False)
    return buf.getvalue()


def qr_png(payload: str, *, scale: int = 4) -> bytes:
    """The QR as PNG bytes."""
    buf = io.BytesIO()
    segno.make(payload, error="q", micro=False).save(buf, kind="png", scale=scale)
    return buf.getvalue()


__all__ = ["qr_payload", "qr_payload_for", "qr_png", "qr_svg"]
