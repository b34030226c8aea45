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
- ``on_order_changed``: once per transaction for every existing order whose items (added,
  removed, or pointed at another service) or whose patient (another patient, or the patient's
  identity: document, names, birth date, sex) changed. Nobody has to call it: a flush listener
  on :class:`~edge.db.EdgeSession` notices such rows and the hooks run just before the commit,
  inside the same transaction (``user`` is ``None`` then; the clock is the one of the last hook
  run in the transaction, else the system clock). A service may also call
  :func:`order_changed` itself. Orders created or cancelled in the same transaction, or
  delivered, are left out (their own hooks speak for them).

Changes pulled from the hub are written with Core statements, which the flush listener does not
see; the page writer (``edge.sync.page_writer``) reports them with :func:`changed_by_sync` (patients
whose identity changed, orders re-pointed to a merged patient's canonical record), and the same
hooks run inside the pull's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, event, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from domain.clock import Clock, FixedClock, SystemClock
from edge.auth.tokens import Principal
from edge.db import EdgeSession
from edge.orders.models import Order, OrderItem
from edge.patients.models import Patient

Hook = Callable[..., Any]

_created: list[Hook] = []
_payment: list[Hook] = []
_cancelled: list[Hook] = []
_changed: list[Hook] = []


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


def on_order_changed(fn: Hook) -> Hook:
    """Register ``fn`` to run when an order's items or patient change (usable as a decorator)."""
    return _register(_changed, fn)


def unregister(fn: Hook) -> None:
    """Remove ``fn`` from every registry (tests)."""
    for registry in (_created, _payment, _cancelled, _changed):
        if fn in registry:
            registry.remove(fn)


def _run(
    registry: list[Hook], *, session: Session, order: Order, user: Principal | None, clock: Clock
) -> None:
    session.info[_CLOCK] = clock
    for fn in list(registry):
        fn(session=session, order=order, user=user, clock=clock)


def order_created(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_created, session=session, order=order, user=user, clock=clock)


def payment_added(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_payment, session=session, order=order, user=user, clock=clock)


def order_cancelled(*, session: Session, order: Order, user: Principal, clock: Clock) -> None:
    _run(_cancelled, session=session, order=order, user=user, clock=clock)
    session.info.setdefault(_DONE, set()).add(order.id)


def order_changed(*, session: Session, order: Order, user: Principal | None, clock: Clock) -> None:
    _run(_changed, session=session, order=order, user=user, clock=clock)
    session.info.setdefault(_DONE, set()).add(order.id)


# --------------------------------------------------------------------------- change detection
_CLOCK = "labred.hooks.clock"
_NEW_ORDERS = "labred.hooks.new_orders"  # orders born in this transaction
_CHANGED = "labred.hooks.changed_orders"
_PATIENTS = "labred.hooks.changed_patients"
_DONE = "labred.hooks.done_orders"  # already handled (explicitly, or cancelled)
PATIENT_FIELDS = ("doc_type", "doc_number", "first_names", "last_names", "birth_date", "sex")
ITEM_FIELDS = ("service_id", "parent_item_id", "order_id")
QUIET_STATUSES = ("anulada", "entregada")


def _modified(obj: object, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _after_flush(session: Session, _ctx: Any) -> None:
    if not _changed:
        return
    info = session.info
    for obj in session.new:
        if isinstance(obj, Order):
            info.setdefault(_NEW_ORDERS, set()).add(obj.id)
        elif isinstance(obj, OrderItem):
            info.setdefault(_CHANGED, set()).add(obj.order_id)
    for obj in session.deleted:
        if isinstance(obj, OrderItem):
            info.setdefault(_CHANGED, set()).add(obj.order_id)
    for obj in session.dirty:
        if isinstance(obj, OrderItem) and _modified(obj, ITEM_FIELDS):
            changed = info.setdefault(_CHANGED, set())
            changed.add(obj.order_id)
            old = inspect(obj).attrs["order_id"].history.deleted
            changed.update(str(o) for o in old or ())
        elif isinstance(obj, Order) and _modified(obj, ("patient_id",)):
            info.setdefault(_CHANGED, set()).add(obj.id)
        elif isinstance(obj, Patient) and _modified(obj, PATIENT_FIELDS):
            info.setdefault(_PATIENTS, set()).add(obj.id)


def use_clock(session: Session, clock: Clock) -> None:
    """The clock the change hooks of this transaction get (when no other hook ran first)."""
    session.info[_CLOCK] = clock


def _before_commit(session: Session) -> None:
    if not _changed:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # what is still pending must be seen before the hooks run
    info = session.info
    order_ids: set[str] = set(info.pop(_CHANGED, set()))
    patient_ids: set[str] = set(info.pop(_PATIENTS, set()))
    if not (order_ids or patient_ids):
        return
    if patient_ids:
        order_ids.update(
            session.exec(select(Order.id).where(col(Order.patient_id).in_(patient_ids))).all()
        )
    skip = info.get(_NEW_ORDERS, set()) | info.get(_DONE, set())
    clock: Clock = info.get(_CLOCK) or SystemClock()
    for order_id in sorted(order_ids - skip):
        order = session.get(Order, order_id)
        if order is None or order.status in QUIET_STATUSES:
            continue
        order_changed(session=session, order=order, user=None, clock=clock)


def open_order_identities(conn: Connection, patient_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """:data:`PATIENT_FIELDS` of those of ``patient_ids`` with an open order (one query; none
    when no change hook is registered)."""
    if not _changed or not patient_ids:
        return {}
    patient: Table = Patient.__table__  # type: ignore[attr-defined]
    orders: Table = Order.__table__  # type: ignore[attr-defined]
    open_order = (
        sa_select(orders.c.id)
        .where(orders.c.patient_id == patient.c.id, orders.c.status.not_in(QUIET_STATUSES))
        .exists()
    )
    query = sa_select(patient.c.id, *(patient.c[f] for f in PATIENT_FIELDS)).where(
        patient.c.id.in_(patient_ids), open_order
    )
    return {str(row[0]): tuple(row[1:]) for row in conn.execute(query)}


def changed_by_sync(
    conn: Connection,
    *,
    patient_ids: Iterable[str] = (),
    order_ids: Iterable[str] = (),
    now: dt.datetime,
) -> None:
    """Run the change hooks for rows a pull wrote with Core statements, in ``conn``'s transaction.

    ``patient_ids``: patients whose identity (:data:`PATIENT_FIELDS`) changed; their open orders
    count as changed. ``order_ids``: orders whose patient changed (a merge re-pointed them). The
    hooks get a session joined to ``conn`` (it never commits ``conn``; an error rolls the whole
    pull transaction back) and a clock fixed at ``now``. Nothing is read when both are empty.
    """
    patients, orders = set(patient_ids), set(order_ids)
    if not _changed or not (patients or orders):
        return
    with EdgeSession(
        bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only"
    ) as session:
        session.info[_PATIENTS] = patients
        session.info[_CHANGED] = orders
        use_clock(session, FixedClock(now))
        session.commit()  # runs _before_commit (the hooks) and the outbox write; conn stays open


def _after_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for key in (_CLOCK, _NEW_ORDERS, _CHANGED, _PATIENTS, _DONE):
            session.info.pop(key, None)


event.listen(EdgeSession, "after_flush", _after_flush)
event.listen(EdgeSession, "before_commit", _before_commit)
event.listen(EdgeSession, "after_transaction_end", _after_end)
