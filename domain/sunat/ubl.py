"""UBL rendering of SUNAT documents with lxml -> UTF-8 bytes (pure, no I/O).

* Factura / boleta (``Invoice``), nota de crédito (``CreditNote``), nota de débito
  (``DebitNote``): UBL 2.1, CustomizationID 2.0 (:mod:`domain.sunat.ubl_document`, with the
  parties, taxes and lines of :mod:`domain.sunat.ubl_parts`).
* Resumen diario (``SummaryDocuments``): UBL 2.0, CustomizationID 1.1; comunicación de baja
  (``VoidedDocuments``): UBL 2.0, CustomizationID 1.0 (:mod:`domain.sunat.ubl_summary`).

Every document carries an empty ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent``
(where :mod:`domain.sunat.signing` puts the signature) and a ``cac:Signature`` block pointing
at ``#<SIGNATURE_ID>`` (:mod:`domain.sunat.ubl_xml`). Text values are never pretty-printed
(SUNAT's rules read whitespace). This module keeps the public names in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.sunat.models import Document, SummaryDocument, VoidedDocument
from domain.sunat.ubl_document import build_document, document_filename, render_document
from domain.sunat.ubl_summary import (
    build_summary,
    build_voided,
    render_summary,
    render_voided,
    summary_line_from_document,
)
from domain.sunat.ubl_xml import (
    NS_CAC,
    NS_CBC,
    NS_CREDIT,
    NS_DEBIT,
    NS_DS,
    NS_EXT,
    NS_INVOICE,
    NS_SAC,
    NS_SUMMARY,
    NS_VOIDED,
    SIGNATURE_ID,
    summary_filename,
    sunat_filename,
)


def render(obj: Document | SummaryDocument | VoidedDocument) -> bytes:
    """Render any SUNAT document model to unsigned bytes."""
    if isinstance(obj, Document):
        return render_document(obj)
    if isinstance(obj, SummaryDocument):
        return render_summary(obj)
    return render_voided(obj)


def filename_for(obj: Document | SummaryDocument | VoidedDocument) -> str:
    """SUNAT's base file name for any document model (no extension)."""
    if isinstance(obj, Document):
        return document_filename(obj)
    return summary_filename(obj.issuer.ruc, obj.id)


__all__: Sequence[str] = [
    "NS_CAC",
    "NS_CBC",
    "NS_CREDIT",
    "NS_DEBIT",
    "NS_DS",
    "NS_EXT",
    "NS_INVOICE",
    "NS_SAC",
    "NS_SUMMARY",
    "NS_VOIDED",
    "SIGNATURE_ID",
    "build_document",
    "build_summary",
    "build_voided",
    "document_filename",
    "filename_for",
    "render",
    "render_document",
    "render_summary",
    "render_voided",
    "summary_filename",
    "summary_line_from_document",
    "sunat_filename",
]
