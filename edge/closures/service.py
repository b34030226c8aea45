"""What the hub said about this sede's days, and the rule it imposes on the edge: a day the hub
has closed (reconciled, with or without discrepancies) admits no cash adjustment or reopening
until a supervisor reopens its closure at the hub."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from domain.errors import Conflict, InvalidInput
from edge.closures.models import HubClosure

CLOSED_STATUSES = ("reconciled", "with_discrepancies")
STATUS_LABELS = {
    "pending_data": "pendiente de datos",
    "reconciled": "conciliado",
    "with_discrepancies": "con discrepancias",
    "reopened": "reabierto",
}
MAX_RANGE_DAYS = 366


def find(session: Session, *, sede_id: str, day: dt.date) -> HubClosure | None:
    stmt = select(HubClosure).where(
        col(HubClosure.sede_id) == sede_id, col(HubClosure.business_date) == day
    )
    return session.exec(stmt).first()


def is_closed_by_hub(session: Session, *, sede_id: str, day: dt.date) -> bool:
    closure = find(session, sede_id=sede_id, day=day)
    return closure is not None and closure.status in CLOSED_STATUSES


def refuse_hub_closed(session: Session, *, sede_id: str, day: dt.date) -> None:
    """Raise ``Conflict`` (``day_closed_by_hub``) when the hub has closed ``day``."""
    if is_closed_by_hub(session, sede_id=sede_id, day=day):
        raise Conflict(
            f"La central ya concilió y cerró el día {day:%d/%m/%Y}; no admite ajustes ni "
            "reaperturas de caja. Pida a un supervisor que reabra el cierre en la central.",
            code="day_closed_by_hub",
        )


def list_closures(
    session: Session, *, sede_id: str, date_from: dt.date, date_to: dt.date
) -> list[HubClosure]:
    """This sede's closures between two business days (inclusive), newest first."""
    if date_from > date_to:
        raise InvalidInput(
            "La fecha «desde» no puede ser posterior a «hasta».",
            code="date_range_invalid",
            loc=["query", "desde"],
        )
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise InvalidInput(
            f"El rango no puede pasar de {MAX_RANGE_DAYS} días.",
            code="date_range_too_long",
            loc=["query", "hasta"],
        )
    stmt = (
        select(HubClosure)
        .where(
            col(HubClosure.sede_id) == sede_id,
            col(HubClosure.business_date) >= date_from,
            col(HubClosure.business_date) <= date_to,
        )
        .order_by(col(HubClosure.business_date).desc())
    )
    return list(session.exec(stmt).all())
