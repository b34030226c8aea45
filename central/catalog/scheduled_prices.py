"""Scheduled prices an admin takes back before their date: one test's, or a whole list (every
price scheduled from one Lima date, as an import with "aplicar desde" leaves them).

Only a ``scheduled`` row is cancelled: it turns ``cancelled`` (with who and when) and the worker
never applies it. An applied price is history (409 ``price_already_applied``): the admin sets a
new price instead. Nothing replicates: the sedes only ever hold the current price (see
:mod:`central.catalog.prices`), which a cancellation does not touch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog.models import CatalogPrice, CatalogService
from central.catalog.prices import mark_cancelled, next_scheduled
from domain.clock import Clock
from domain.errors import Conflict, NotFound
from domain.money import fmt_soles, from_cents

MAX_REASONS = 3


@dataclass(frozen=True)
class PendingList:
    """The prices scheduled from one date: how many tests, and their reasons (a few)."""

    effective_from: dt.date
    services: int
    reasons: list[str]


def pending_lists(*, session: Session) -> list[PendingList]:
    """Every date with scheduled prices, earliest first."""
    counts = session.exec(
        select(col(CatalogPrice.effective_from), func.count(func.distinct(CatalogPrice.service_id)))
        .where(CatalogPrice.status == "scheduled")
        .group_by(col(CatalogPrice.effective_from))
        .order_by(col(CatalogPrice.effective_from))
    ).all()
    reasons: dict[dt.date, list[str]] = {}
    for when, reason in session.exec(
        select(col(CatalogPrice.effective_from), col(CatalogPrice.reason))
        .where(CatalogPrice.status == "scheduled", CatalogPrice.reason != "")
        .distinct()
        .order_by(col(CatalogPrice.effective_from), col(CatalogPrice.reason))
    ).all():
        reasons.setdefault(when, []).append(reason)
    return [
        PendingList(
            effective_from=when, services=int(n), reasons=reasons.get(when, [])[:MAX_REASONS]
        )
        for when, n in counts
    ]


def _rows_of(session: Session, *, service_id: str | None, when: dt.date) -> list[CatalogPrice]:
    query = select(CatalogPrice).where(CatalogPrice.effective_from == when)
    if service_id is not None:
        query = query.where(CatalogPrice.service_id == service_id)
    return list(session.exec(query.order_by(col(CatalogPrice.created_at).desc())).all())


def _refuse(rows: list[CatalogPrice], *, when: dt.date, one: bool) -> None:
    """Why nothing scheduled from ``when`` can be cancelled: applied (409), already cancelled
    (409), or there never was such a price (404)."""
    loc = ["body", "effective_from"]
    applied = [r for r in rows if r.status == "applied"]
    if applied:
        price = fmt_soles(from_cents(applied[0].price_cents))
        what = (
            f"El precio de {price} desde el {when:%d/%m/%Y} ya se aplicó"
            if one
            else f"Los precios desde el {when:%d/%m/%Y} ya se aplicaron"
        )
        raise Conflict(
            f"{what}: es parte del historial y no se cancela. Para corregirlo, registre un "
            "precio nuevo.",
            code="price_already_applied",
            loc=loc,
        )
    cancelled = [r for r in rows if r.status == "cancelled"]
    if cancelled:
        by = cancelled[0].cancelled_by_username
        raise Conflict(
            f"{'El precio programado' if one else 'La lista de precios programados'} desde el "
            f"{when:%d/%m/%Y} ya fue cancelad{'o' if one else 'a'}{f' (por {by})' if by else ''}.",
            code="price_already_cancelled",
            loc=loc,
        )
    raise NotFound(
        f"No hay {'un precio programado' if one else 'precios programados'} desde el "
        f"{when:%d/%m/%Y}.",
        code="scheduled_price_not_found",
        loc=loc,
    )


def cancel_service_price(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    service_id: str,
    effective_from: dt.date | None = None,
) -> CatalogPrice:
    """Cancel the price of a test scheduled from ``effective_from`` (by default its next one)."""
    service = session.get(CatalogService, service_id)
    if service is None:
        raise NotFound(
            "El examen o perfil no existe.", code="service_not_found", loc=["path", "service_id"]
        )
    when = effective_from
    if when is None:
        upcoming = next_scheduled(session=session, service_ids=[service.id]).get(service.id)
        if upcoming is None:
            raise NotFound(
                f"{service.code} · {service.name} no tiene un precio programado.",
                code="scheduled_price_not_found",
                loc=["path", "service_id"],
            )
        when = upcoming.effective_from
    rows = _rows_of(session, service_id=service.id, when=when)
    scheduled = [r for r in rows if r.status == "scheduled"]
    if not scheduled:
        _refuse(rows, when=when, one=True)
    now = clock.now()
    for row in scheduled:
        mark_cancelled(session, row, actor=actor, now=now)
    audit.record(
        session,
        action="catalog.price_cancel",
        clock=clock,
        actor=actor,
        record_type="catalog_service",
        record_id=service.id,
        details={
            "code": service.code,
            "price_cents": scheduled[0].price_cents,
            "effective_from": when.isoformat(),
        },
    )
    session.flush()
    return scheduled[0]


def cancel_list(
    *, session: Session, clock: Clock, actor: Principal | None, effective_from: dt.date
) -> int:
    """Cancel every price scheduled from ``effective_from``; returns how many."""
    rows = _rows_of(session, service_id=None, when=effective_from)
    scheduled = [r for r in rows if r.status == "scheduled"]
    if not scheduled:
        _refuse(rows, when=effective_from, one=False)
    now = clock.now()
    for row in scheduled:
        mark_cancelled(session, row, actor=actor, now=now)
    count = len({r.service_id for r in scheduled})
    audit.record(
        session,
        action="catalog.price_list_cancel",
        clock=clock,
        actor=actor,
        record_type="catalog_price_list",
        record_id=effective_from.isoformat(),
        details={"effective_from": effective_from.isoformat(), "services": count},
    )
    session.flush()
    return count
