"""What a nota de crédito (07) or de débito (08) may reference: a factura or boleta of this
sede, not voided and (unless the caller says otherwise) accepted by SUNAT."""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import RuleViolation
from domain.sunat import DocumentType
from edge.billing.documents import this_sede
from edge.billing.models import ACEPTADO, ANULADO, OBSERVADO, Invoice


def check_note_reference(
    session: Session, original: Invoice, *, note: str, require_accepted: bool = True
) -> None:
    """Refuse ``original`` as the reference of a nota de ``note`` ("crédito" / "débito")."""
    if original.doc_type not in (DocumentType.FACTURA.value, DocumentType.BOLETA.value):
        raise RuleViolation(
            f"Solo se emiten notas de {note} sobre facturas o boletas.",
            code="note_reference_type_invalid",
            loc=["id"],
        )
    if original.sede_id != this_sede(session).id:
        raise RuleViolation(
            f"La nota de {note} debe emitirse en la sede del comprobante original.",
            code="note_other_sede",
            loc=["id"],
        )
    if original.state == ANULADO or original.void_requested:
        raise RuleViolation("El comprobante está anulado.", code="invoice_voided", loc=["id"])
    if require_accepted and original.state not in (ACEPTADO, OBSERVADO):
        raise RuleViolation(
            f"Solo se emite una nota de {note} sobre un comprobante aceptado por SUNAT"
            f" (estado actual: {original.state}).",
            code="reference_not_accepted",
            loc=["id"],
        )


__all__ = ["check_note_reference"]
