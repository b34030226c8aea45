"""An egreso checks the cash on hand with sums in the database, not by loading every payment
of the session (which made each egreso slower and heavier as the day's sales grew; the edge
API's RSS followed the peak up under bench/bench_soak.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from domain.permissions import Role
from edge.cash import figures
from edge.cash.models import CashSession
from edge.db import read_session
from edge.orders.models import Payment
from edge.runtime import EdgeRuntime
from tests.edge.cash.rows import Actor, add_order, add_payment, fixed_clock

BASE = "/api/cash/sessions"


@pytest.fixture
def cashier(edge_runtime: EdgeRuntime) -> Actor:
    fixed_clock(edge_runtime)
    return Actor(edge_runtime, Role.RECEPCIONISTA)


def _open(client: TestClient, actor: Actor) -> str:
    r = client.post(BASE, json={"opening_float": "100.00"}, headers=actor.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _move(client: TestClient, actor: Actor, sid: str, kind: str, amount: str) -> Any:
    body = {"kind": kind, "amount": amount, "reason": "Movimiento de prueba"}
    return client.post(f"{BASE}/{sid}/movements", json=body, headers=actor.headers)


def _sell(rt: EdgeRuntime, cashier: Actor, sid: str, n: int) -> None:
    """``n`` orders paid 10.50 in cash, 20 by card, and one cash refund of 5.25."""
    for _ in range(n):
        order = add_order(rt, cashier_id=cashier.id)
        for method, amount in (("efectivo", "10.50"), ("tarjeta", "20.00")):
            add_payment(rt, order=order, method=method, amount=amount, cashier_id=cashier.id,
                        cash_session_id=sid)  # fmt: skip
    add_payment(rt, order=order, method="efectivo", amount="-5.25", cashier_id=cashier.id,
                cash_session_id=sid)  # fmt: skip
    # A Yape payment of the cashier not linked to the session: counted by compute(), not cash.
    add_payment(rt, order=order, method="yape", amount="7.00", cashier_id=cashier.id)


def test_cash_on_hand_is_what_the_close_summary_expects(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)
    _sell(edge_runtime, cashier, sid, 4)
    assert _move(edge_client, cashier, sid, "ingreso", "30.00").status_code == 201
    assert _move(edge_client, cashier, sid, "egreso", "12.40").status_code == 201
    with read_session(edge_runtime.engine) as session:
        cs = session.get(CashSession, sid)
        assert cs is not None
        on_hand = figures.cash_on_hand(session, cs)
        summary = figures.compute(session, cs, now=edge_runtime.clock.now())
    # 100 float + 4 × 10.50 − 5.25 + 30 − 12.40
    assert on_hand == Decimal("154.35") == summary.cash_on_hand
    too_much = _move(edge_client, cashier, sid, "egreso", "154.36")
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["type"] == "cash_insufficient"
    assert _move(edge_client, cashier, sid, "egreso", "154.35").status_code == 201


def test_a_new_session_has_its_float_on_hand(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)
    with read_session(edge_runtime.engine) as session:
        cs = session.get(CashSession, sid)
        assert cs is not None
        assert figures.cash_on_hand(session, cs) == Decimal("100.00")


def test_an_egreso_loads_no_payment(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor
) -> None:
    sid = _open(edge_client, cashier)
    _sell(edge_runtime, cashier, sid, 30)
    loaded: list[str] = []

    def on_load(target: Payment, _context: object) -> None:
        loaded.append(target.id)

    event.listen(Payment, "load", on_load)
    try:
        assert _move(edge_client, cashier, sid, "egreso", "5.00").status_code == 201
    finally:
        event.remove(Payment, "load", on_load)
    assert loaded == []  # before: all 62 payments of the session, at every egreso
