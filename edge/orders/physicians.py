"""The physicians this sede's orders named (médico solicitante), for the counter's look-up.

Reception types the same physicians every day; the new order's CMP and name fields suggest
the ones already recorded here: a CMP by its first digits, a name by any part of it, accent-
and case-insensitive ("perez" finds "PÉREZ ROJAS JUAN"), the most used first. Read from the
orders of the last :data:`WINDOW_DAYS` days (an index range on ``business_date``); a physician
written two ways (with and without CMP) is two suggestions, as the orders say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from edge.catalog.service import fold

WINDOW_DAYS = 365


@dataclass(frozen=True)
class Physician:
    cmp: str | None
    name: str
    orders: int


def recent_physicians(
    session: Session, *, q: str, today: dt.date, limit: int = 8
) -> list[Physician]:
    """Physicians of the last year's orders matching ``q`` (CMP prefix when it is digits,
    else any part of the name), most orders first."""
    rows = session.connection().execute(
        text(
            "SELECT physician_cmp, physician_name, count(*) FROM lab_order "
            "WHERE business_date >= :since AND physician_name IS NOT NULL "
            "GROUP BY physician_cmp, physician_name"
        ),
        {"since": (today - dt.timedelta(days=WINDOW_DAYS)).isoformat()},
    )
    wanted = fold(" ".join(q.split()))
    digits = wanted.replace(" ", "")
    found = [
        Physician(cmp, name, int(n))
        for cmp, name, n in rows
        if (digits.isdigit() and (cmp or "").startswith(digits.lstrip("0") or "0"))
        or (not digits.isdigit() and wanted in fold(name))
    ]
    found.sort(key=lambda p: (-p.orders, p.name, p.cmp or ""))
    return found[:limit]


__all__ = ["WINDOW_DAYS", "Physician", "recent_physicians"]
