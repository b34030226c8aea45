"""Billing inside the sale's unit of work, through the order hooks (``edge.orders.hooks``).

* an order paid in full (payment added, or created already paid) gets its boleta — or its
  factura when the order asks for document type 01 — for the patient's part, in the same
  transaction (setting ``billing_auto_issue``);
* a cancelled order's documents are voided the way SUNAT allows (see
  :func:`edge.billing.service.void`): never deleted; its covered part, when already on a
  convenio's monthly factura, is credited off it (nota de crédito 07), or the cancellation is
  refused while SUNAT has not answered that factura (:mod:`edge.billing.convenio_cancel`).

Imported by :mod:`edge.billing.router` (so the API process registers the hooks).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from domain.clock import Clock
from edge.billing import convenio_cancel, service
from edge.billing.context import settings_for
from edge.billing.models import ANULADO, Invoice
from edge.orders import fresh
from edge.orders import hooks as order_hooks
from edge.orders.models import Order

REGISTERED = False


def _user_id(user: Any) -> str | None:
    for attr in ("user_id", "id"):
        value = getattr(user, attr, None)
        if value:
            return str(value)
    return None


def issue_if_paid(*, session: Session, order: Order, user: Any, clock: Clock, **_: Any) -> None:
    """Hook body: the patient's part is paid and the order has no document yet → issue it."""
    settings = settings_for(session)
    if not settings.billing_auto_issue:
        return
    if order.status in ("anulada", "cancelada"):
        return
    patient_part = order.total - order.covered_total
    if patient_part <= Decimal("0.00") or order.balance > Decimal("0.00"):
        return
    maybe_billed = not fresh.has_none(session, order.id, Invoice)  # a sale's own: known none
    if maybe_billed and service.active_document(session, order.id) is not None:
        return
    service.issue_for_order(
        session=session,
        settings=settings,
        clock=clock,
        order=order,
        user_id=_user_id(user),
        known_unbilled=True,
    )


def void_for_cancelled(
    *, session: Session, order: Order, user: Any, clock: Clock, **_: Any
) -> None:
    """Hook body: every standing factura / boleta of the order is voided or credited, and
    its line on a convenio factura is credited (409 ``convenio_invoice_pending`` first, with
    nothing written, while that factura waits for SUNAT)."""
    convenio_cancel.check_cancellable(session, order)
    settings = settings_for(session)
    docs = session.exec(
        select(Invoice).where(
            Invoice.order_id == order.id,
            Invoice.doc_type.in_(("01", "03")),  # type: ignore[attr-defined]
            Invoice.state != ANULADO,
            Invoice.void_requested == False,  # noqa: E712
        )
    ).all()
    for inv in docs:
        if service.remaining_of(session, inv) <= 0:
            continue
        service.void(
            session=session,
            settings=settings,
            clock=clock,
            invoice_id=inv.id,
            reason=order.cancel_reason or "Anulación de la operación",
            user_id=_user_id(user),
        )
    convenio_cancel.credit_cancelled_order(
        session=session, settings=settings, clock=clock, order=order, user_id=_user_id(user)
    )


def register() -> bool:
    """Register the hooks once (idempotent); True once registered."""
    global REGISTERED
    if REGISTERED:
        return True
    order_hooks.on_order_created(issue_if_paid)
    order_hooks.on_payment_added(issue_if_paid)
    order_hooks.on_order_cancelled(void_for_cancelled)
    REGISTERED = True
    return True


register()

__all__ = ["issue_if_paid", "register", "void_for_cancelled"]
