"""What many billing tests do: issue an order's document in its own unit of work, and read a
document back as it is stored now."""

from __future__ import annotations

from typing import Any

from edge.billing import service
from edge.billing.models import Invoice
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime


def issue(rt: EdgeRuntime, order: Order, **kw: Any) -> Invoice:
    """``service.issue_for_order`` for ``order`` in one committed unit of work."""
    with unit_of_work(rt.engine) as session:
        return service.issue_for_order(
            session=session, settings=rt.settings, clock=rt.clock, order=order, **kw
        )


def invoice_row(rt: EdgeRuntime, invoice_id: str) -> Invoice:
    """The document ``invoice_id`` as stored now (detached)."""
    with read_session(rt.engine) as session:
        row = session.get(Invoice, invoice_id)
        assert row is not None
        session.expunge(row)
        return row
