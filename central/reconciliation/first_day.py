"""A sede's first day: no closure is made for the days before it.

A sede created today has nothing to reconcile for yesterday; a ``pending_data`` closure there
would wait forever for a seal that never comes. The first day is the earlier of the sede's
creation date (``Sede.created_at``, in Lima) and its first activity (the earliest business date
of any row the hub holds for it, e.g. history loaded for days before it was registered).
Sedes created before ``created_at`` was recorded (None) have no first day: every day counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel import Session

from central.config.models import Sede
from domain.clock import business_date


def _first_activity(session: Session, sede_id: str) -> dt.date | None:
    # min() on the leading columns of ix_sync_record_sede_date: one index probe per sede
    row = (
        session.connection()
        .execute(
            text(
                "SELECT min(business_date) FROM sync_record "
                "WHERE sede_id = :s AND business_date IS NOT NULL"
            ),
            {"s": sede_id},
        )
        .first()
    )
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def before_first_day(session: Session, *, day: dt.date, sedes: Iterable[Sede]) -> set[str]:
    """Ids of the ``sedes`` for which ``day`` comes before their first day."""
    out: set[str] = set()
    for sede in sedes:
        if sede.created_at is None or day >= business_date(sede.created_at):
            continue  # the common case: no query at all
        first = _first_activity(session, sede.id)
        if first is None or day < first:
            out.add(sede.id)
    return out


__all__ = ["before_first_day"]
