"""Reading closures and discrepancies, limited to the sedes a user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.auth.tokens import Principal
from central.config.models import Sede
from central.config.sede_order import sede_code_order
from central.reconciliation.models import Closure, Discrepancy
from domain import reconciliation as rules
from domain.errors import Forbidden, NotFound
from domain.permissions import Role


def allowed_sedes(user: Principal) -> list[str] | None:
    """Sedes the user may see: ``None`` (all) for admins, else the assigned ones."""
    return None if Role(user.role) is Role.ADMIN else list(user.sede_ids)


def check_allowed(allowed: list[str] | None, sede_id: str) -> None:
    if allowed is not None and sede_id not in allowed:
        raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")


def get_closure(*, session: Session, closure_id: str, allowed: list[str] | None) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise NotFound("El cierre no existe.", code="closure_not_found", loc=["path", "id"])
    check_allowed(allowed, closure.sede_id)
    return closure


def list_closures(
    *,
    session: Session,
    allowed: list[str] | None,
    sede_id: str | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Closure], int]:
    query = select(Closure)
    if sede_id:
        check_allowed(allowed, sede_id)
        query = query.where(Closure.sede_id == sede_id)
    elif allowed is not None:
        query = query.where(col(Closure.sede_id).in_(allowed))
    if status:
        query = query.where(Closure.status == status)
    if date_from:
        query = query.where(col(Closure.business_date) >= date_from)
    if date_to:
        query = query.where(col(Closure.business_date) <= date_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.outerjoin(Sede, col(Sede.id) == col(Closure.sede_id))
        .order_by(
            col(Closure.business_date).desc(),
            *sede_code_order(col(Sede.code)),
            col(Closure.sede_id),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def closure_discrepancies(*, session: Session, closure: Closure) -> list[Discrepancy]:
    return _ordered(session.exec(select(Discrepancy).where(Discrepancy.closure_id == closure.id)))


def _ordered(rows: Any) -> list[Discrepancy]:
    return sorted(rows, key=lambda d: (-rules.SEVERITY_RANK.get(d.severity, 0), d.key))


def search_discrepancies(
    *,
    session: Session,
    allowed: list[str] | None,
    sede_id: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Discrepancy], int]:
    query = select(Discrepancy)
    if sede_id:
        check_allowed(allowed, sede_id)
        query = query.where(Discrepancy.sede_id == sede_id)
    elif allowed is not None:
        query = query.where(col(Discrepancy.sede_id).in_(allowed))
    if severity:
        query = query.where(Discrepancy.severity == severity)
    if kind:
        query = query.where(Discrepancy.kind == kind)
    if date_from:
        query = query.where(col(Discrepancy.business_date) >= date_from)
    if date_to:
        query = query.where(col(Discrepancy.business_date) <= date_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.outerjoin(Sede, col(Sede.id) == col(Discrepancy.sede_id))
        .order_by(
            col(Discrepancy.business_date).desc(),
            *sede_code_order(col(Sede.code)),
            col(Discrepancy.sede_id),
            col(Discrepancy.key),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
