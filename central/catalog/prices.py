"""Catalog prices: applying a change today or scheduling it for a later Lima date.

A price change effective today applies at once: it writes a ``catalog_price`` row, sets
``price_cents`` and increments ``catalog_version`` (the change feed carries the new row to every
edge). A price effective on a later Lima date is *scheduled*; :func:`apply_scheduled_prices` (the
hub worker, hourly) applies it when its date arrives; until then an admin may cancel it
(:mod:`central.catalog.scheduled_prices`), and a cancelled price is never applied. Only the
service's current price replicates (``catalog_service``): ``catalog_price`` rows stay at the hub,
so a scheduled or cancelled price never reaches the sedes.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog.models import CatalogPrice, CatalogService
from domain.clock import Clock, business_date
from domain.errors import InvalidInput


def _apply_price(
    session: Session, service: CatalogService, row: CatalogPrice, *, now: dt.datetime
) -> None:
    row.previous_cents = service.price_cents
    service.price_cents = row.price_cents
    service.catalog_version += 1
    service.updated_at = now
    row.catalog_version = service.catalog_version
    row.status = "applied"
    row.applied_at = now
    session.add(service)
    session.add(row)


def mark_cancelled(
    session: Session, row: CatalogPrice, *, actor: Principal | None, now: dt.datetime
) -> None:
    """A scheduled price that will never apply, with who cancelled it and when."""
    row.status = "cancelled"
    row.cancelled_at = now
    row.cancelled_by = actor.user_id if actor else None
    row.cancelled_by_username = actor.username if actor else None
    session.add(row)


def change_price(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    service: CatalogService,
    price_cents: int,
    effective_from: dt.date | None = None,
    reason: str = "",
) -> CatalogPrice | None:
    """Apply (today) or schedule (a later date) a new price; None when nothing changes."""
    now = clock.now()
    today = business_date(now)
    when = effective_from or today
    if when < today:
        raise InvalidInput(
            "La fecha de vigencia del precio no puede ser anterior a hoy.",
            code="price_effective_past",
            loc=["body", "price_effective_from"],
        )
    pending = session.exec(
        select(CatalogPrice).where(
            CatalogPrice.service_id == service.id,
            CatalogPrice.status == "scheduled",
            CatalogPrice.effective_from == when,
        )
    ).all()
    for old in pending:  # a new price for the same date replaces the scheduled one
        mark_cancelled(session, old, actor=actor, now=now)
    if when == today and price_cents == service.price_cents:
        return None
    row = CatalogPrice(
        service_id=service.id,
        price_cents=price_cents,
        effective_from=when,
        status="scheduled",
        reason=reason,
        changed_by=actor.user_id if actor else None,
        changed_by_username=actor.username if actor else None,
        created_at=now,
    )
    session.add(row)
    if when == today:
        _apply_price(session, service, row, now=now)
    audit.record(
        session,
        action="catalog.price_change" if when == today else "catalog.price_schedule",
        clock=clock,
        actor=actor,
        record_type="catalog_service",
        record_id=service.id,
        details={
            "price_cents": price_cents,
            "effective_from": when.isoformat(),
            "reason": reason,
        },
    )
    return row


def apply_scheduled_prices(*, session: Session, clock: Clock) -> int:
    """Apply every scheduled price whose date has arrived (oldest first); returns how many."""
    now = clock.now()
    due = session.exec(
        select(CatalogPrice)
        .where(
            CatalogPrice.status == "scheduled",
            col(CatalogPrice.effective_from) <= business_date(now),
        )
        .order_by(col(CatalogPrice.effective_from), col(CatalogPrice.created_at))
    ).all()
    for row in due:
        service = session.get(CatalogService, row.service_id)
        if service is not None:
            _apply_price(session, service, row, now=now)
    session.flush()
    return len(due)


def next_scheduled(*, session: Session, service_ids: list[str]) -> dict[str, CatalogPrice]:
    """The earliest scheduled price of each service that has one."""
    if not service_ids:
        return {}
    rows = session.exec(
        select(CatalogPrice)
        .where(col(CatalogPrice.service_id).in_(service_ids), CatalogPrice.status == "scheduled")
        .order_by(col(CatalogPrice.effective_from))
    ).all()
    out: dict[str, CatalogPrice] = {}
    for row in rows:
        out.setdefault(row.service_id, row)
    return out
