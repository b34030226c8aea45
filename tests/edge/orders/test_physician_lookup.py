"""``GET /api/physicians``: the counter's look-up of physicians this sede already recorded."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import text

from edge.orders.physicians import WINDOW_DAYS
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import make_patient, sell, seller, sid

SOLD = [
    ("45123", "Dr. Juan Pérez Rojas"),
    ("45123", "Dr. Juan Pérez Rojas"),
    ("45123", "Dr. Juan Pérez Rojas"),
    ("028731", "Dra. Ana Lucía Huamán Torres"),
    (None, "Rosa Pereyra"),
]


def _sell_all(rt: EdgeRuntime, client: TestClient, headers: dict[str, str]) -> None:
    for cmp, name in SOLD:
        body = {"patient_id": make_patient(rt).id, "items": [{"service_id": sid("HEM-001")}]}
        body |= {"physician_name": name} | ({"physician_cmp": cmp} if cmp else {})
        sell(client, headers, **body)
    sell(client, headers, patient_id=make_patient(rt).id, items=[{"service_id": sid("HEM-001")}])


def _find(client: TestClient, headers: dict[str, str], q: str) -> list[tuple[str | None, str, int]]:
    r = client.get("/api/physicians", params={"q": q}, headers=headers)
    assert r.status_code == 200, r.text
    return [(p["cmp"], p["name"], p["orders"]) for p in r.json()["items"]]


def test_physicians_are_found_by_cmp_or_any_part_of_the_name(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    _sell_all(edge_runtime, edge_client, headers)
    juan = ("45123", "JUAN PÉREZ ROJAS", 3)
    assert _find(edge_client, headers, "451") == [juan]
    assert _find(edge_client, headers, "0451") == [juan]  # leading zeros as on a stamp
    assert _find(edge_client, headers, "28731") == [("28731", "ANA LUCÍA HUAMÁN TORRES", 1)]
    # accents and case do not matter; the most used first
    assert _find(edge_client, headers, "pere") == [juan, (None, "ROSA PEREYRA", 1)]
    assert _find(edge_client, headers, "huaman tor") == [("28731", "ANA LUCÍA HUAMÁN TORRES", 1)]
    assert _find(edge_client, headers, "zz") == []


def test_orders_older_than_the_window_are_not_suggested(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    _sell_all(edge_runtime, edge_client, headers)
    old = dt.date.today() - dt.timedelta(days=WINDOW_DAYS + 2)
    with edge_runtime.engine.begin() as conn:
        conn.execute(
            text("UPDATE lab_order SET business_date = :d WHERE physician_name = 'ROSA PEREYRA'"),
            {"d": old.isoformat()},
        )
    assert [name for _, name, _ in _find(edge_client, headers, "pere")] == ["JUAN PÉREZ ROJAS"]


def test_the_look_up_needs_two_characters_and_a_seller(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    r = edge_client.get("/api/physicians", params={"q": "p"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "q"]
    assert edge_client.get("/api/physicians", params={"q": "pe"}).status_code == 401
