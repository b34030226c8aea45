"""The ``sunat.summaries`` round's alarm refresh loads only the documents whose flag changes: a
backlog of unanswered documents (SUNAT down for days) is not loaded whole every 15 s, which
made the worker's memory grow with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from domain.clock import FixedClock
from edge.billing import summaries
from edge.billing.models import ACEPTADO, Invoice
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.helpers import issue

MakeOrder = Callable[..., Order]


def _refresh(rt: EdgeRuntime) -> tuple[int, int]:
    """(documents changed, Invoice rows loaded to find them)."""
    loaded: list[Any] = []

    def count(target: Any, context: Any) -> None:
        loaded.append(target)

    event.listen(Invoice, "load", count)
    try:
        return summaries.refresh_alarms(rt), len(loaded)
    finally:
        event.remove(Invoice, "load", count)


def _alarms(rt: EdgeRuntime, docs: list[Invoice]) -> list[bool]:
    with read_session(rt.engine) as session:
        return [session.get(Invoice, d.id).alarm for d in docs]  # type: ignore[union-attr]


def test_only_changing_documents_are_loaded(
    rt: EdgeRuntime, make_order: MakeOrder, clock: FixedClock
) -> None:
    docs = [issue(rt, make_order()) for _ in range(6)]  # never sent: SUNAT is down

    assert _refresh(rt) == (0, 0)  # issue day: no alarm, nothing loaded (the old code: 6)
    clock.advance(dt.timedelta(days=1))  # a boleta's deadline day
    assert _refresh(rt) == (6, 6)
    assert _alarms(rt, docs) == [True] * 6
    assert _refresh(rt) == (0, 0)  # already flagged: nothing to load

    with unit_of_work(rt.engine) as session:  # SUNAT answers two of them
        for doc in docs[:2]:
            row = session.get(Invoice, doc.id)
            assert row is not None
            row.state = ACEPTADO
            session.add(row)
    assert _refresh(rt) == (2, 2)
    assert _alarms(rt, docs) == [False, False, True, True, True, True]
