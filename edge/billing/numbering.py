"""Series and correlatives: which series a sede uses, and the next number, gapless.

The number is taken inside the caller's unit of work (``BEGIN IMMEDIATE``, single writer):
the counter row and the document commit together, so a rolled-back sale leaves no gap and a
committed number is never handed out again. Each sede owns its own series (from the hub's
configuration, or ``labred edge init`` until then), so two sedes never share a counter.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from domain.clock import Clock
from domain.errors import RuleViolation
from domain.sunat import DocumentType
from domain.sunat.rules import MAX_CORRELATIVE
from edge.billing.models import Invoice, SeriesCounter
from edge.config.models import Sede


def series_for(sede: Sede, doc_type: DocumentType, *, reference_letter: str | None = None) -> str:
    """The sede's series for a document type; notes take the letter of the original (F / B)."""
    if doc_type in (DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO):
        if reference_letter not in ("F", "B"):
            raise RuleViolation(
                "La nota debe referirse a una factura (F) o boleta (B).",
                code="note_reference_type_invalid",
                loc=["reference"],
            )
        key = f"{doc_type.value}{reference_letter}"
    else:
        key = doc_type.value
    series = (sede.series or {}).get(key)
    if not series:
        raise RuleViolation(
            f"La sede {sede.code} no tiene serie asignada para {doc_type.label.lower()}"
            f" ({key}). Configúrela en el hub.",
            code="series_not_configured",
            loc=["series"],
        )
    return str(series)


def take_number(session: Session, *, sede_id: str, doc_type: str, series: str, clock: Clock) -> int:
    """Bump and return the series' correlative inside the caller's transaction."""
    counter = session.get(SeriesCounter, series)
    if counter is None:
        # First use (or a counter lost in a restore): continue after what the table holds.
        highest = session.exec(
            select(func.max(Invoice.number)).where(Invoice.series == series)
        ).one()
        counter = SeriesCounter(
            series=series,
            sede_id=sede_id,
            doc_type=doc_type,
            last_number=int(highest or 0),
            updated_at=clock.now(),
        )
        session.add(counter)
    if counter.last_number >= MAX_CORRELATIVE:
        raise RuleViolation(
            f"La serie {series} llegó a su último correlativo; pida una serie nueva al hub.",
            code="series_exhausted",
            loc=["series"],
        )
    counter.last_number += 1
    counter.updated_at = clock.now()
    session.add(counter)
    session.flush()
    return counter.last_number


def last_number(session: Session, series: str) -> int:
    counter = session.get(SeriesCounter, series)
    return counter.last_number if counter is not None else 0


__all__ = ["last_number", "series_for", "take_number"]
