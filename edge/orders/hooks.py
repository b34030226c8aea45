"""Post-sale hooks: code of other domains that must run inside the sale's own transaction.

Samples, the boleta/factura and the laboratory queue register here from their own modules
(imported by ``edge.app``)::

    from edge.orders import hooks

    @hooks.on_order_created
    def _issue_document(*, session, order, user, clock):
        ...

Every hook is called as ``fn(session=..., order=..., user=..., clock=...)`` inside the unit of
work, after the order's rows are flushed and before the commit; ``user`` is the signed-in
``edge.auth.tokens.Principal``. A hook that raises rolls the whole sale back (nothing is
written). Hooks run in registration order; registering the same function twice has no effect.

- ``on_order_created``: once per new order, with its items and its initial payments.
- ``on_payment_added``: once per later ``POST /api/orders/{id}/payments`` call (after all the
  payments of that call are added); not for the payments that came with the order.
- ``on_order_cancelled``: once when an order is cancelled, after its refund payments (negative
  amounts) are added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from domain.clock import Clock
from edge.auth.tokens import Principal
from edge.orders.models import Order

Hook = Callable[..., Any]

_created: list[Hook] = []
_payment: list[Hook] = []
_cancelled: list[Hook] = []


def _register(registry: list[Hook], fn: Hook) -> Hook:
    if fn not in registry:
        registry.append(fn)
    return fn


def on_order_created(fn: Hook) -> Hook:
    """Register ``fn`` to run when an order is created (usable as a decorator)."""
    return _register(_created, fn)


def on_payment_added(fn: Hook) -> Hook:
    """Register ``fn`` to run when a balance is paid later (usable as a decorator)."""
    return _register(_payment, fn)


def on_order_cancelled(fn: Hook) -> Hook:
    """Register ``fn`` to run when an order is cancelled (usable as a decorator)."""
    return _register(_cancelled, fn)


def unregister(fn: Hook) -> None:
    """Remove ``fn`` from every registry (tests)."""
    for registry in (_created, _payment, _cancelled):
        if fn in registry:
            registry.remove(fn)


def _run(
    registry: list[Hook], *, session: Session, order: Order, user: Principal, clock: Clock
) -> None:
    for fn in list(registry):
        fn(session=session, order=order, user=user, clock=clock)


def order_created(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_created, session=session, order=order, user=user, clock=clock)


def payment_added(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_payment, session=session, order=order, user=user, clock=clock)


def order_cancelled(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_cancelled, session=session, order=order, user=user, clock=clock)
