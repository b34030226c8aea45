"""The day seal: refused while cash is open, figures equal to the rows, one per day, outbox."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.edge.cash.rows import DAY, Actor, add_order, add_payment, fixed_clock

SESSIONS = "/api/cash/sessions"


def test_day_seal_figures_and_idempotence(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    fixed_clock(edge_runtime)
    cashier = Actor(edge_runtime, Role.RECEPCIONISTA)
    supervisor = Actor(edge_runtime, Role.SUPERVISOR)
    sid = edge_client.post(
        SESSIONS, json={"opening_float": "50.00"}, headers=cashier.headers
    ).json()["id"]
    two_tests = [("GLU", "suero", "rojo", "15.00"), ("HB", "sangre", "lila", "20.00")]
    o1 = add_order(edge_runtime, cashier_id=cashier.id, items=two_tests)
    o2 = add_order(edge_runtime, cashier_id=cashier.id, status="anulada")
    add_order(edge_runtime, cashier_id=cashier.id, day=DAY - dt.timedelta(days=1))  # other day
    add_payment(edge_runtime, order=o1, method="efectivo", amount="35.00",
                cashier_id=cashier.id, cash_session_id=sid)  # fmt: skip
    add_payment(edge_runtime, order=o2, method="tarjeta", amount="15.00",
                cashier_id=cashier.id, cash_session_id=sid)  # fmt: skip
    add_payment(edge_runtime, order=o2, method="tarjeta", amount="-15.00",
                cashier_id=cashier.id, cash_session_id=sid)  # fmt: skip

    url = "/api/cash/day/close"
    denied = edge_client.post(url, json={}, headers=cashier.headers)
    assert denied.status_code == 403
    still_open = edge_client.post(url, json={}, headers=supervisor.headers)
    assert still_open.status_code == 422
    assert still_open.json()["detail"][0]["type"] == "cash_sessions_open"

    # 50 float + 35 cash = 85 counted exactly; card 15 - 15 = 0.
    count = edge_client.post(
        f"{SESSIONS}/{sid}/count",
        json={"denominations": {"50": 1, "20": 1, "10": 1, "5": 1}},
        headers=cashier.headers,
    )
    assert count.json()["difference"] == "0.00"
    assert edge_client.post(f"{SESSIONS}/{sid}/close", json={},
                            headers=cashier.headers).status_code == 200  # fmt: skip
    live = edge_client.get(f"/api/cash/day/{DAY.isoformat()}", headers=supervisor.headers).json()
    assert live["sealed"] is False

    with edge_runtime.engine.connect() as conn:
        seq_before = conn.execute(text("SELECT last_seq FROM sync_state WHERE id = 1")).scalar()
    r = edge_client.post(url, json={"date": DAY.isoformat()}, headers=supervisor.headers)
    assert r.status_code == 201, r.text
    seal = r.json()
    assert seal["sealed"] is True and seal["last_seq"] == seq_before
    figures: dict[str, Any] = seal["figures"]
    assert figures["orders"] == {
        "count": 2,
        "total_cents": 3500 + 1500,
        "by_status": {
            "anulada": {"count": 1, "total_cents": 1500},
            "registrada": {"count": 1, "total_cents": 3500},
        },
    }
    assert figures["payments"] == {
        "count": 3,
        "total_cents": 3500,
        "by_method": {
            "efectivo": {"count": 1, "total_cents": 3500},
            "tarjeta": {"count": 2, "total_cents": 0},
        },
    }
    assert figures["cash_sessions"] == {
        "count": 1, "open": 0, "expected_cents": 8500, "counted_cents": 8500, "difference_cents": 0
    }  # fmt: skip
    assert "available" in figures["invoices"]
    assert figures == live["figures"]  # the seal records exactly what the rows said

    with edge_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, payload FROM sync_outbox WHERE record_type = 'day_seal'")
        ).all()
    assert len(rows) == 1 and rows[0][0] > seq_before
    assert json.loads(rows[0][1])["last_seq"] == seq_before

    again = edge_client.post(url, json={"date": DAY.isoformat()}, headers=supervisor.headers)
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "day_already_sealed"
    shown = edge_client.get(f"/api/cash/day/{DAY.isoformat()}", headers=supervisor.headers)
    assert shown.json()["seal_id"] == seal["seal_id"] and shown.json()["figures"] == figures

    # A sealed day admits no new cash session and no reopening.
    opened = edge_client.post(SESSIONS, json={"opening_float": "1.00"}, headers=cashier.headers)
    assert opened.status_code == 409 and opened.json()["detail"][0]["type"] == "day_already_sealed"
    reopen = edge_client.post(
        f"{SESSIONS}/{sid}/reopen", json={"reason": "Corregir cierre"}, headers=supervisor.headers
    )
    assert reopen.status_code == 409


def test_day_close_refuses_the_future_and_bad_dates(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    fixed_clock(edge_runtime)
    supervisor = Actor(edge_runtime, Role.SUPERVISOR)
    future = (DAY + dt.timedelta(days=1)).isoformat()
    r = edge_client.post("/api/cash/day/close", json={"date": future}, headers=supervisor.headers)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "day_in_future"
    bad = edge_client.get("/api/cash/day/2026-02-30", headers=supervisor.headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "date_invalid"
    today = edge_client.get("/api/cash/day/hoy", headers=supervisor.headers)
    assert today.status_code == 200 and today.json()["business_date"] == DAY.isoformat()
    default = edge_client.post("/api/cash/day/close", json={}, headers=supervisor.headers)
    assert default.status_code == 201 and default.json()["business_date"] == DAY.isoformat()
    assert default.json()["figures"]["orders"]["count"] == 0
