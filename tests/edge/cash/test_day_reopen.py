"""Reopening a sealed day (supervisor, reason, audited), selling on it, and sealing it again: the
same ``day_seal`` row and record, with fresh figures. Also which days may be sealed at all."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from domain.clock import FixedClock
from domain.ids import new_id
from domain.permissions import Role
from edge.audit.models import AuditEvent
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync.apply import apply_changes
from sync.protocol import SCHEMA_VERSION, FeedChange
from sync.records import ClosureRecord
from tests.edge.cash.rows import Actor, add_order
from tests.edge.factories import SEDE_S01
from tests.edge.orders.helpers import load_catalog, make_patient, sid

# 10:00 in Lima on 2026-11-30 (UTC-5).
MORNING = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 30)
CLOSE = "/api/cash/day/close"
REOPEN = f"/api/cash/day/{DAY.isoformat()}/reopen"
REASON = "Paciente llegó tarde: venta pendiente"
NAME = "Usuario supervisor"  # tests.edge.factories.make_user


@pytest.fixture(autouse=True)
def clock(edge_runtime: EdgeRuntime) -> FixedClock:
    load_catalog(edge_runtime)
    fixed = FixedClock(MORNING)
    edge_runtime.clock = fixed
    return fixed


@pytest.fixture
def supervisor(edge_runtime: EdgeRuntime) -> Actor:
    return Actor(edge_runtime, Role.SUPERVISOR)


def _error(r: Any) -> tuple[str, list[Any]]:
    first = r.json()["detail"][0]
    return first["type"], first["loc"]


def _sale(client: TestClient, rt: EdgeRuntime, headers: dict[str, str], ref: str) -> Any:
    card = [{"method": "tarjeta", "amount": "35.00", "reference": ref}]
    item = {"service_id": sid("HEM-001"), "unit_price": "35.00", "override_reason": "Prueba"}
    body = {"patient_id": make_patient(rt).id, "items": [item], "payments": card}
    return client.post("/api/orders", json=body, headers=headers)


def _seal_rows(rt: EdgeRuntime) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, reopen_count FROM day_seal")).all()
    return [tuple(r) for r in rows]


def _outbox_seals(rt: EdgeRuntime) -> list[tuple[str, int, dict[str, Any]]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT record_id, seq, payload FROM sync_outbox WHERE record_type = 'day_seal' "
                "ORDER BY seq"
            )
        ).all()
    return [(r[0], int(r[1]), json.loads(r[2])) for r in rows]


def test_reopen_sell_and_seal_again_updates_the_same_seal(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor, clock: FixedClock
) -> None:
    rt, h = edge_runtime, supervisor.headers
    assert _sale(edge_client, rt, h, "V-1").status_code == 201
    first = edge_client.post(CLOSE, json={}, headers=h)
    assert first.status_code == 201, first.text
    seal = first.json()
    assert (seal["status"], seal["sealed"], seal["reopen_count"]) == ("sellado", True, 0)
    assert seal["reopened_by"] is None and seal["sealed_at"] == seal["created_at"]
    refused = _sale(edge_client, rt, h, "V-2")
    assert refused.status_code == 409 and _error(refused)[0] == "day_already_sealed"

    r = edge_client.post(REOPEN, json={"reason": f"  {REASON}  "}, headers=h)
    assert r.status_code == 200, r.text
    day = r.json()
    assert (day["status"], day["sealed"], day["reopen_count"]) == ("reabierto", False, 1)
    assert day["seal_id"] == seal["seal_id"] and day["reopen_reason"] == REASON
    assert day["reopened_by"] == NAME
    assert day["reopened_at"] == "2026-11-30T15:00:00Z"
    assert day["figures"] == seal["figures"]  # nothing sold since the seal
    again = edge_client.post(REOPEN, json={"reason": REASON}, headers=h)
    assert again.status_code == 409 and _error(again)[0] == "day_not_sealed"

    with read_session(rt.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "day.reopen")).one()
        assert (event.record_type, event.record_id) == ("day_seal", seal["seal_id"])
        assert event.user_id == supervisor.id and event.ip == "testclient"
        assert event.details["reason"] == REASON and event.details["reopen_count"] == 1
        assert event.details["business_date"] == DAY.isoformat()

    # the reopened day sells, takes a cash session, and its number sequence continues
    clock.advance(dt.timedelta(minutes=5))
    opened = edge_client.post("/api/cash/sessions", json={"opening_float": "50.00"}, headers=h)
    assert opened.status_code == 201, opened.text
    sold = _sale(edge_client, rt, h, "V-3")
    assert sold.status_code == 201, sold.text
    assert sold.json()["number"] == "S01-20261130-0002"
    live = edge_client.get("/api/cash/day/hoy", headers=h).json()
    assert live["status"] == "reabierto" and live["figures"]["orders"]["count"] == 2
    assert live["reopened_by"] == NAME
    still_open = edge_client.post(CLOSE, json={}, headers=h)
    assert still_open.status_code == 422 and _error(still_open)[0] == "cash_sessions_open"
    cs = opened.json()["id"]
    clock.advance(dt.timedelta(minutes=1))
    counted = edge_client.post(
        f"/api/cash/sessions/{cs}/count",
        json={"denominations": {"50": 1}, "declared": {"tarjeta": "35.00"}},
        headers=h,
    )
    assert counted.status_code == 201, counted.text
    closed = edge_client.post(f"/api/cash/sessions/{cs}/close", json={}, headers=h)
    assert closed.status_code == 200, closed.text

    clock.advance(dt.timedelta(minutes=5))
    before = _outbox_seals(rt)
    resealed = edge_client.post(CLOSE, json={"date": DAY.isoformat()}, headers=h)
    assert resealed.status_code == 201, resealed.text
    body = resealed.json()
    assert body["seal_id"] == seal["seal_id"] and body["status"] == "sellado" and body["sealed"]
    assert body["reopen_count"] == 1 and body["reopen_reason"] == REASON
    assert body["created_at"] == seal["created_at"] and body["sealed_at"] == "2026-11-30T15:11:00Z"
    assert body["figures"]["orders"]["count"] == 2
    assert body["figures"]["payments"]["total_cents"] == 7000
    assert body["figures"]["cash_sessions"]["count"] == 1
    assert body["last_seq"] > seal["last_seq"]
    assert _seal_rows(rt) == [(seal["seal_id"], "sellado", 1)]

    # the outbox carries the same record three times: sealed, reopened, sealed again
    seals = _outbox_seals(rt)
    assert {rid for rid, _, _ in seals} == {seal["seal_id"]}
    assert [p["status"] for _, _, p in seals] == ["sellado", "reabierto", "sellado"]
    rid, seq, payload = seals[-1]
    assert seals[:-1] == before and seq > body["last_seq"]
    assert payload["last_seq"] == body["last_seq"] and payload["figures"] == body["figures"]
    assert payload["reopen_count"] == 1 and payload["reopened_by_name"] == NAME

    closed_again = _sale(edge_client, rt, h, "V-4")
    assert closed_again.status_code == 409 and _error(closed_again)[0] == "day_already_sealed"
    shown = edge_client.get(f"/api/cash/day/{DAY.isoformat()}", headers=h).json()
    assert shown["status"] == "sellado" and shown["figures"] == body["figures"]


def test_reopen_needs_the_permission_and_a_reason(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor
) -> None:
    h = supervisor.headers
    assert edge_client.post(CLOSE, json={}, headers=h).status_code == 201
    cashier = Actor(edge_runtime, Role.RECEPCIONISTA)
    denied = edge_client.post(REOPEN, json={"reason": REASON}, headers=cashier.headers)
    assert denied.status_code == 403 and _error(denied)[0] == "permission_denied"
    lab = Actor(edge_runtime, Role.LABORATORISTA)
    assert edge_client.post(REOPEN, json={"reason": REASON}, headers=lab.headers).status_code == 403
    for body in (
        {},
        {"reason": None},
        {"reason": "   "},
        {"reason": " abcd "},
        {"reason": "x" * 301},
    ):
        r = edge_client.post(REOPEN, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert _error(r) == ("reason_required", ["body", "reason"]), body
        assert "motivo" in r.json()["detail"][0]["msg"]
    extra = edge_client.post(REOPEN, json={"reason": REASON, "x": 1}, headers=h)
    assert extra.status_code == 422
    bad_day = edge_client.post(
        "/api/cash/day/2026-02-30/reopen", json={"reason": REASON}, headers=h
    )
    assert bad_day.status_code == 422 and _error(bad_day)[0] == "date_invalid"
    assert _seal_rows(edge_runtime)[0][1:] == ("sellado", 0)  # nothing refused changed it
    ok = edge_client.post("/api/cash/day/hoy/reopen", json={"reason": "x" * 300}, headers=h)
    assert ok.status_code == 200, ok.text
    assert ok.json()["business_date"] == DAY.isoformat()


def test_reopen_refuses_a_day_not_sealed(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor
) -> None:
    h = supervisor.headers
    never = edge_client.post(REOPEN, json={"reason": REASON}, headers=h)
    assert never.status_code == 409 and _error(never) == ("day_not_sealed", ["path", "day"])
    assert "no está sellado" in never.json()["detail"][0]["msg"]
    future = edge_client.post("/api/cash/day/2026-12-25/reopen", json={"reason": REASON}, headers=h)
    assert future.status_code == 409 and _error(future)[0] == "day_not_sealed"
    shown = edge_client.get("/api/cash/day/hoy", headers=h).json()
    assert (shown["status"], shown["sealed"], shown["seal_id"]) == ("abierto", False, None)
    assert shown["reopen_count"] == 0


def _hub_closed(rt: EdgeRuntime, status: str, cursor: int) -> None:
    """The hub's closure of DAY arriving through the pull (as edge.sync.apply applies it)."""
    closed_at = (MORNING + dt.timedelta(hours=9)).isoformat() if status != "reopened" else None
    payload: dict[str, Any] = {
        "id": "01a2276b-c3d2-7e1f-9a0b-000000000001", "sede_id": SEDE_S01,
        "business_date": DAY.isoformat(), "status": status, "closed_at": closed_at,
        "discrepancy_count": 0, "critical_count": 0, "has_late_adjustments": False,
        "late_adjustment_count": 0, "summary": [], "reopen_count": 0, "reopened_at": None,
        "reopened_by": None, "reopen_reason": None, "updated_at": MORNING.isoformat(),
    }  # fmt: skip
    assert set(payload) == set(ClosureRecord.model_fields)
    change = FeedChange(
        cursor=cursor, tx_id=new_id(), record_type="reconciliation_closure",
        record_id=payload["id"], op="upsert", payload=payload, schema_version=SCHEMA_VERSION,
    )  # fmt: skip
    with rt.engine.begin() as conn:
        assert apply_changes(conn, [change], now=MORNING) == 1


def test_reopen_refuses_a_day_the_hub_closed(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor
) -> None:
    h = supervisor.headers
    assert edge_client.post(CLOSE, json={}, headers=h).status_code == 201
    _hub_closed(edge_runtime, "reconciled", 1)
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=h)
    assert r.status_code == 409 and _error(r)[0] == "day_closed_by_hub"
    assert _seal_rows(edge_runtime)[0][1:] == ("sellado", 0)
    _hub_closed(edge_runtime, "reopened", 2)  # a supervisor reopened the closure at the hub
    r = edge_client.post(REOPEN, json={"reason": REASON}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "reabierto", r.text


def test_which_days_can_be_sealed(
    edge_client: TestClient, edge_runtime: EdgeRuntime, supervisor: Actor
) -> None:
    h = supervisor.headers
    # A node with no activity at all: only today (its anchor) may be sealed.
    yesterday = (DAY - dt.timedelta(days=1)).isoformat()
    r = edge_client.post(CLOSE, json={"date": yesterday}, headers=h)
    assert r.status_code == 422, r.text
    assert _error(r) == ("day_before_first_activity", ["body", "date"])
    assert "30/11/2026" in r.json()["detail"][0]["msg"]
    tomorrow = (DAY + dt.timedelta(days=1)).isoformat()
    r = edge_client.post(CLOSE, json={"date": tomorrow}, headers=h)
    assert r.status_code == 422 and _error(r)[0] == "day_in_future"

    # First activity four days ago: a day before it is refused, a quiet day after it seals zero.
    first = DAY - dt.timedelta(days=4)
    add_order(edge_runtime, cashier_id=supervisor.id, day=first,
              now=MORNING - dt.timedelta(days=4))  # fmt: skip
    r = edge_client.post(CLOSE, json={"date": (first - dt.timedelta(days=1)).isoformat()},
                         headers=h)  # fmt: skip
    assert r.status_code == 422 and _error(r)[0] == "day_before_first_activity"
    assert "26/11/2026" in r.json()["detail"][0]["msg"]
    quiet = edge_client.post(CLOSE, json={"date": (DAY - dt.timedelta(days=2)).isoformat()},
                             headers=h)  # fmt: skip
    assert quiet.status_code == 201, quiet.text
    assert quiet.json()["figures"]["orders"] == {"count": 0, "total_cents": 0, "by_status": {}}
    assert quiet.json()["figures"]["payments"]["count"] == 0
    busy = edge_client.post(CLOSE, json={"date": first.isoformat()}, headers=h)
    assert busy.status_code == 201 and busy.json()["figures"]["orders"]["count"] == 1
