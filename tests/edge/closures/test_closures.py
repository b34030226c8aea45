"""The hub's closures mirrored at the edge: listed for supervisors, and a day the hub closed
admits no cash adjustment or reopening until the closure is reopened at the hub."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.ids import new_id
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from edge.sync.apply import apply_changes
from edge.sync.digests import local_digests
from sync.digest import table_digest
from sync.protocol import SCHEMA_VERSION, FeedChange
from sync.records import ClosureRecord
from tests.edge.cash.rows import DAY, NOON, Actor, fixed_clock
from tests.edge.factories import SEDE_S01

BASE = "/api/cash/sessions"
CLOSURE_ID = new_id()


@pytest.fixture
def cashier(edge_runtime: EdgeRuntime) -> Actor:
    fixed_clock(edge_runtime)
    return Actor(edge_runtime, Role.RECEPCIONISTA)


@pytest.fixture
def supervisor(edge_runtime: EdgeRuntime) -> Actor:
    return Actor(edge_runtime, Role.SUPERVISOR)


def pull(rt: EdgeRuntime, cursor: int, **fields: Any) -> None:
    """Apply a ``reconciliation_closure`` change as a pull from the hub would."""
    payload = {
        "id": CLOSURE_ID, "sede_id": SEDE_S01, "business_date": DAY.isoformat(),
        "status": "reconciled", "closed_at": (NOON + dt.timedelta(hours=9)).isoformat(),
        "discrepancy_count": 1, "critical_count": 0, "has_late_adjustments": False,
        "late_adjustment_count": 0,
        "summary": [{"kind": "cash_short", "severity": "warning",
                     "message": "Caja con faltante de S/ 15.00 (umbral S/ 10.00).",
                     "records": 1}],
        "reopen_count": 0, "reopened_at": None, "reopened_by": None, "reopen_reason": None,
        "updated_at": NOON.isoformat(),
    } | fields  # fmt: skip
    assert set(payload) == set(ClosureRecord.model_fields)
    change = FeedChange(
        cursor=cursor, tx_id=new_id(), record_type="reconciliation_closure",
        record_id=CLOSURE_ID, op="upsert", payload=payload, schema_version=SCHEMA_VERSION,
    )  # fmt: skip
    with rt.engine.begin() as conn:
        assert apply_changes(conn, [change], now=NOON) == 1
        # the mirror holds exactly what the hub sent: the pull's digests agree (no re-snapshot)
        mirrored = local_digests(conn)["reconciliation_closure"]
    assert mirrored == table_digest("reconciliation_closure", [payload])


def closed_session(client: TestClient, cashier: Actor) -> str:
    r = client.post(BASE, json={"opening_float": "100.00"}, headers=cashier.headers)
    assert r.status_code == 201, r.text
    sid = str(r.json()["id"])
    r = client.post(f"{BASE}/{sid}/count", json={"denominations": {"100": 1}},
                    headers=cashier.headers)  # fmt: skip
    assert r.status_code == 201, r.text
    assert client.post(f"{BASE}/{sid}/close", json={}, headers=cashier.headers).status_code == 200
    return sid


def test_supervisors_see_the_hub_closure_of_their_days(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    url = "/api/closures"
    r = edge_client.get(url, params={"desde": DAY.isoformat()}, headers=supervisor.headers)
    assert r.status_code == 200 and r.json() == {"items": [], "total": 0}
    pull(edge_runtime, 1)
    r = edge_client.get(
        url, params={"desde": DAY.isoformat(), "hasta": DAY.isoformat()},
        headers=supervisor.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert item["id"] == CLOSURE_ID and item["closed"] is True
    assert item["status"] == "reconciled" and item["status_label"] == "conciliado"
    assert item["discrepancies"][0]["kind"] == "cash_short"
    before = edge_client.get(url, params={"hasta": (DAY - dt.timedelta(days=1)).isoformat()},
                             headers=supervisor.headers)  # fmt: skip
    assert before.json()["total"] == 0
    assert edge_client.get(url, headers=cashier.headers).status_code == 403
    assert edge_client.get(url).status_code == 401
    bad = edge_client.get(url, params={"desde": "2026-12-01", "hasta": "2026-11-01"},
                          headers=supervisor.headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "date_range_invalid"
    long = edge_client.get(url, params={"desde": "2024-01-01", "hasta": "2026-11-01"},
                           headers=supervisor.headers)  # fmt: skip
    assert long.status_code == 422 and long.json()["detail"][0]["type"] == "date_range_too_long"
    nonsense = edge_client.get(url, params={"desde": "ayer"}, headers=supervisor.headers)
    assert nonsense.status_code == 422


def test_a_day_closed_by_the_hub_refuses_adjustments_and_reopening_until_reopened(
    edge_client: TestClient, edge_runtime: EdgeRuntime, cashier: Actor, supervisor: Actor
) -> None:
    sid = closed_session(edge_client, cashier)
    adjust = {"amount": "5.00", "reason": "Billete hallado bajo la gaveta"}
    reopen = {"reason": "Se omitió registrar un egreso"}
    pull(edge_runtime, 1, status="pending_data", closed_at=None)  # not closed: allowed
    r = edge_client.post(f"{BASE}/{sid}/adjustments", json=adjust, headers=supervisor.headers)
    assert r.status_code == 201, r.text

    pull(edge_runtime, 2)  # the hub reconciled the day
    for path, body in (("adjustments", adjust), ("reopen", reopen)):
        r = edge_client.post(f"{BASE}/{sid}/{path}", json=body, headers=supervisor.headers)
        assert r.status_code == 409, r.text
        (error,) = r.json()["detail"]
        assert error["type"] == "day_closed_by_hub"
        assert "central ya concilió" in error["msg"] and DAY.strftime("%d/%m/%Y") in error["msg"]

    pull(edge_runtime, 3, status="reopened", reopen_count=1, reopened_by="supervisora",
         reopened_at=(NOON + dt.timedelta(days=1)).isoformat(),
         reopen_reason="Se recontó la caja")  # fmt: skip
    r = edge_client.post(f"{BASE}/{sid}/adjustments", json=adjust, headers=supervisor.headers)
    assert r.status_code == 201, r.text
    listed = edge_client.get("/api/closures", params={"desde": DAY.isoformat()},
                             headers=supervisor.headers).json()["items"]  # fmt: skip
    assert listed[0]["closed"] is False and listed[0]["reopen_reason"] == "Se recontó la caja"
    r = edge_client.post(f"{BASE}/{sid}/reopen", json=reopen, headers=supervisor.headers)
    assert r.status_code == 200, r.text
