"""A document's SUNAT deadline follows the hub's replicated settings
``sunat_factura_deadline_days`` / ``sunat_boleta_deadline_days``; the node's own edge.toml
values (``sunat_invoice_deadline_days`` / ``sunat_boleta_deadline_days``) apply only before a
hub ever sent one (or when what arrived is not a day count)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from domain.sunat import CreditNoteReason
from edge.billing import service
from edge.billing.documents import (
    BOLETA_DEADLINE_SETTING,
    FACTURA_DEADLINE_SETTING,
    deadline_for,
)
from edge.billing.models import ACEPTADO, Invoice
from edge.config.models import Setting
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import CUSTOMER_RUC
from tests.edge.billing.helpers import issue

MakeOrder = Callable[..., Order]
ISSUED = dt.date(2026, 3, 10)  # the billing fixtures' business day


def set_replicated(rt: EdgeRuntime, key: str, value: Any) -> None:
    """Store ``key`` as the sync pull stores a hub setting (the ``setting`` mirror row)."""
    with unit_of_work(rt.engine) as session:
        row = session.exec(select(Setting).where(Setting.key == key)).first()
        if row is None:
            row = Setting(id=f"test-{key}", key=key, value=value)
        row.value = value
        session.add(row)


def factura_order(make_order: MakeOrder) -> Order:
    return make_order(document_type="01", customer=("6", CUSTOMER_RUC, "CORPORACIÓN ANDINA S.A."))


def test_local_values_apply_before_the_hub_sent_any(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    rt.settings.sunat_boleta_deadline_days = 2
    rt.settings.sunat_invoice_deadline_days = 4
    assert issue(rt, make_order()).deadline == ISSUED + dt.timedelta(days=2)
    assert issue(rt, factura_order(make_order)).deadline == ISSUED + dt.timedelta(days=4)


def test_the_replicated_values_win_over_edge_toml(rt: EdgeRuntime, make_order: MakeOrder) -> None:
    rt.settings.sunat_boleta_deadline_days = 1
    rt.settings.sunat_invoice_deadline_days = 3
    set_replicated(rt, BOLETA_DEADLINE_SETTING, 5)
    set_replicated(rt, FACTURA_DEADLINE_SETTING, 6)
    boleta = issue(rt, make_order())
    factura = issue(rt, factura_order(make_order))
    assert boleta.deadline == ISSUED + dt.timedelta(days=5)
    assert factura.deadline == ISSUED + dt.timedelta(days=6)
    # a note on a factura shares the factura's deadline; one on a boleta, the boleta's
    for doc in (boleta, factura):
        with unit_of_work(rt.engine) as session:
            row = session.get(Invoice, doc.id)
            assert row is not None
            row.state = ACEPTADO
            session.add(row)
    notes = []
    for doc in (boleta, factura):
        with unit_of_work(rt.engine) as session:
            notes.append(
                service.credit_note(
                    session=session,
                    settings=rt.settings,
                    clock=rt.clock,
                    invoice_id=doc.id,
                    reason=CreditNoteReason.DESCUENTO_GLOBAL,
                    description="Descuento",
                    amount=Decimal("5.00"),
                )
            )
    assert [(n.series, n.deadline) for n in notes] == [
        ("BC01", ISSUED + dt.timedelta(days=5)),
        ("FC01", ISSUED + dt.timedelta(days=6)),
    ]


def test_a_change_pulled_later_applies_to_the_next_sale(
    rt: EdgeRuntime, make_order: MakeOrder
) -> None:
    set_replicated(rt, BOLETA_DEADLINE_SETTING, 3)
    first = issue(rt, make_order())
    set_replicated(rt, BOLETA_DEADLINE_SETTING, 2)  # no restart, no cache to expire
    second = issue(rt, make_order())
    assert (first.deadline - ISSUED, second.deadline - ISSUED) == (
        dt.timedelta(days=3),
        dt.timedelta(days=2),
    )


@pytest.mark.parametrize("bad", [None, "5", 4.5, True, -1, 400, {"days": 5}])
def test_a_value_that_is_not_a_day_count_falls_back_to_edge_toml(rt: EdgeRuntime, bad: Any) -> None:
    rt.settings.sunat_boleta_deadline_days = 1
    set_replicated(rt, BOLETA_DEADLINE_SETTING, bad)
    with read_session(rt.engine) as session:
        got = deadline_for(rt.settings, "03", "B001", ISSUED, session=session)
    assert got == ISSUED + dt.timedelta(days=1)
