"""The rows of an order created in the current transaction, kept for its hooks and response.

A sale creates the order, its items, its first status event and its payments, then runs the
order hooks (samples, the boleta, the laboratory queue) and builds its response. Each of those
used to read the same rows back, and to ask whether the order already had samples, a document
or a laboratory job: a dozen queries per sale whose answers the transaction already knew.

:func:`remember` keeps the rows in ``session.info`` once they are flushed. :func:`rows` gives
them back; :func:`has_none` answers "does this order have no rows of this model yet?" without a
query. The record is forgotten, so readers go back to the database:

- for an order when a flush adds, changes or deletes one of its items, payments or status
  events (the kept lists would no longer be the truth);
- entirely when any transaction or savepoint of the session rolls back, and when the outermost
  transaction ends.

Rows of other models that name the order (``order_id``) are noted as they are added or flushed,
so :func:`has_none` stays right even when a hook adds a sample and another asks about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from edge.db import EdgeSession
from edge.orders.models import OrderItem, OrderStatusEvent, Payment

KEY = "labred.orders.fresh"
_OWN = (OrderItem, Payment, OrderStatusEvent)


@dataclass
class FreshOrder:
    """An order born in this transaction: its rows, in the order the database would list them."""

    items: list[OrderItem]
    payments: list[Payment]
    events: list[OrderStatusEvent]
    related: set[type] = field(default_factory=set)  # other models with rows naming the order


def _by_creation(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.created_at, r.id))


def remember(
    session: Session,
    order_id: str,
    *,
    items: list[OrderItem],
    payments: list[Payment],
    events: list[OrderStatusEvent],
) -> None:
    """Keep the rows of ``order_id``, created and flushed in this transaction."""
    session.info.setdefault(KEY, {})[order_id] = FreshOrder(
        items=_by_creation(items), payments=_by_creation(payments), events=_by_creation(events)
    )


def rows(session: Session, order_id: str) -> FreshOrder | None:
    """The kept rows of ``order_id`` (sorted by creation), or None: then read the database.

    An item, payment or status event of the order added or deleted and not yet flushed makes
    the kept lists stale (a query would flush it first): the record is dropped then."""
    kept: dict[str, FreshOrder] = session.info.get(KEY) or {}
    entry = kept.get(order_id)
    if entry is None:
        return None
    for group in (session.new, session.deleted):
        for obj in group:
            if isinstance(obj, _OWN) and obj.order_id == order_id:
                del kept[order_id]
                return None
    return entry


def has_none(session: Session, order_id: str, model: type) -> bool:
    """True when ``order_id`` was created in this transaction and no row of ``model`` naming it
    was added since; False means "unknown" (query the database)."""
    entry = rows(session, order_id)
    if entry is None or model in entry.related:
        return False
    return not any(
        isinstance(obj, model) and getattr(obj, "order_id", None) == order_id for obj in session.new
    )


def _after_flush(session: Session, _ctx: Any) -> None:
    kept: dict[str, FreshOrder] | None = session.info.get(KEY)
    if not kept:
        return
    for group in (session.new, session.dirty, session.deleted):
        for obj in group:
            order_id = getattr(obj, "order_id", None)
            if order_id is None or order_id not in kept:
                continue
            if isinstance(obj, _OWN):
                del kept[order_id]
            else:
                kept[order_id].related.add(type(obj))


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(KEY, None)


def _after_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(KEY, None)


event.listen(EdgeSession, "after_flush", _after_flush)
event.listen(EdgeSession, "after_rollback", _forget)
event.listen(EdgeSession, "after_transaction_end", _after_end)

__all__ = ["FreshOrder", "has_none", "remember", "rows"]
