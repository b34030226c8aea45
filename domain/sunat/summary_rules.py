"""Rules for the summaries (pure): resumen diario (RC) and comunicación de baja (RA).

Re-exported by :mod:`domain.sunat.rules` (``check_summary``, ``check_voided``).
"""

from __future__ import annotations

from domain.errors import InvalidInput, RuleViolation
from domain.sunat.catalogs import DocumentType
from domain.sunat.models import SummaryDocument, VoidedDocument
from domain.sunat.text_rules import check_xml_text

#: SUNAT accepts at most this many documents in one resumen diario.
MAX_SUMMARY_LINES = 500


def check_summary(summary: SummaryDocument) -> None:
    """A resumen diario reports boletas and notes on boletas only, at most 500 lines."""
    if not summary.lines or len(summary.lines) > MAX_SUMMARY_LINES:
        raise InvalidInput(
            "El resumen diario debe tener entre 1 y 500 comprobantes.",
            code="summary_line_invalid",
            loc=["lines"],
        )
    for i, line in enumerate(summary.lines):
        is_boleta = line.doc_type == DocumentType.BOLETA and line.series.startswith("B")
        is_note = (
            line.doc_type in (DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO)
            and line.series.startswith("B")
            and line.reference is not None
            and line.reference.doc_type == DocumentType.BOLETA
        )
        if not (is_boleta or is_note):
            raise RuleViolation(
                "El resumen diario solo incluye boletas y notas de boletas (series B).",
                code="summary_line_invalid",
                loc=["lines", i],
            )
    if summary.reference_date > summary.issue_date:
        raise InvalidInput(
            "La fecha de los comprobantes no puede ser posterior a la del resumen.",
            code="summary_line_invalid",
            loc=["reference_date"],
        )


def check_voided(voided: VoidedDocument) -> None:
    """A comunicación de baja voids facturas and their notes (boletas go in the RC)."""
    if not voided.lines:
        raise InvalidInput(
            "La comunicación de baja debe tener al menos un comprobante.",
            code="voided_line_invalid",
            loc=["lines"],
        )
    for i, line in enumerate(voided.lines):
        if line.doc_type == DocumentType.BOLETA or not line.series.startswith("F"):
            raise RuleViolation(
                "Las boletas y sus notas se anulan en el resumen diario (estado 3), no en la"
                " comunicación de baja.",
                code="voided_line_invalid",
                loc=["lines", i],
            )
        check_xml_text(line.reason, ["lines", i, "reason"])
        if not line.reason.strip():
            raise InvalidInput(
                "Indique el motivo de la baja.", code="voided_line_invalid", loc=["lines", i]
            )
    if voided.reference_date > voided.issue_date:
        raise InvalidInput(
            "La fecha de los comprobantes no puede ser posterior a la de la comunicación.",
            code="voided_line_invalid",
            loc=["reference_date"],
        )


__all__ = ["MAX_SUMMARY_LINES", "check_summary", "check_voided"]
