"""A convenio's orders across sedes (what it owes, per sede and factura, is in
:mod:`central.convenios.ledger`; payments in :mod:`central.convenios.payments`).

The orders are the replicated ``order`` rows of every sede (``sync_record``) naming the convenio;
the convenio owes the covered part (``covered_total``) of each order that is not cancelled. An
order's ``due_date`` is an estimate (``credit_days`` after the end of its month, when the monthly
factura is due at the latest); the balance counts credit days from each factura's date.
Supervisors see only their sedes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.auth.tokens import Principal
from central.convenios.models import Convenio
from central.convenios.service import get_convenio
from domain.errors import Forbidden, InvalidInput
from domain.permissions import Role

CANCELLED = "anulada"
MAX_ORDERS = 5000  # one statement's rows (a month of a big convenio)


@dataclass(frozen=True)
class OrderLine:
    id: str
    number: str
    sede_id: str
    sede_code: str
    business_date: dt.date
    patient_id: str
    patient_name: str
    patient_document: str
    status: str
    total_cents: int
    covered_cents: int
    patient_cents: int


def sedes_for(user: Principal, sede_id: str | None) -> list[str] | None:
    """The sedes ``user`` may see (``None``: all), narrowed to ``sede_id`` when given."""
    admin = Role(user.role) is Role.ADMIN
    if sede_id:
        if not admin and sede_id not in user.sede_ids:
            raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")
        return [sede_id]
    return None if admin else list(user.sede_ids)


def month_range(month: str) -> tuple[dt.date, dt.date]:
    """``"2026-11"`` -> first and last day of the month."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = dt.date(year, mon, 1)
    except ValueError:
        raise InvalidInput(
            "El mes debe tener la forma AAAA-MM (por ejemplo 2026-11).",
            code="month_invalid",
            loc=["query", "month"],
        ) from None
    return first, first.replace(day=calendar.monthrange(year, mon)[1])


def due_date(business_date: dt.date, credit_days: int) -> dt.date:
    """When an order's covered amount falls due: ``credit_days`` after the end of its month."""
    days = calendar.monthrange(business_date.year, business_date.month)[1]
    last = business_date.replace(day=days)
    return last + dt.timedelta(days=credit_days)


def _scope(sedes: list[str] | None) -> str:
    return " AND r.sede_id = ANY(:s)" if sedes is not None else ""


def orders(
    *,
    session: Session,
    convenio_id: str,
    sedes: list[str] | None,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = MAX_ORDERS,
    offset: int = 0,
) -> tuple[Convenio, list[OrderLine], int]:
    """The convenio's orders of the period across the allowed sedes, oldest first."""
    convenio = get_convenio(session=session, convenio_id=convenio_id)
    if date_from > date_to:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "from"],
        )
    params: dict[str, Any] = {
        "c": convenio_id, "f": date_from.isoformat(), "t": date_to.isoformat(),
        "s": sedes or [], "lim": limit, "off": offset,
    }  # fmt: skip
    where = (
        "r.record_type = 'order' AND r.op <> 'delete' AND r.payload->>'convenio_id' = :c "
        f"AND r.business_date BETWEEN :f AND :t{_scope(sedes)}"
    )
    conn = session.connection()
    total = conn.execute(text(f"SELECT count(*) FROM sync_record r WHERE {where}"), params)
    rows = conn.execute(
        text(
            "SELECT r.id, r.payload->>'number', r.sede_id, coalesce(s.code, ''), "
            "r.business_date, coalesce(r.payload->>'patient_id', ''), "
            "coalesce(p.last_names || ', ' || p.first_names, ''), "
            "coalesce(p.doc_number, ''), coalesce(r.payload->>'status', ''), "
            "coalesce((r.payload->>'total')::bigint, 0), "
            "coalesce((r.payload->>'covered_total')::bigint, 0) "
            "FROM sync_record r LEFT JOIN sede s ON s.id = r.sede_id "
            "LEFT JOIN hub_patient_alias a ON a.alias_id = r.payload->>'patient_id' "
            "LEFT JOIN hub_patient p ON p.id = coalesce(a.canonical_id, r.payload->>'patient_id') "
            f"WHERE {where} ORDER BY r.business_date, r.payload->>'number' LIMIT :lim OFFSET :off"
        ),
        params,
    )
    lines = [
        OrderLine(
            id=r[0], number=r[1] or "", sede_id=r[2] or "", sede_code=r[3],
            business_date=dt.date.fromisoformat(r[4]), patient_id=r[5], patient_name=r[6],
            patient_document=r[7], status=r[8], total_cents=int(r[9]),
            covered_cents=0 if r[8] == CANCELLED else int(r[10]),
            patient_cents=0 if r[8] == CANCELLED else int(r[9]) - int(r[10]),
        )
        for r in rows
    ]  # fmt: skip
    return convenio, lines, int(total.scalar_one())
