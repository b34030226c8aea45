"""Migration 0005 on an existing node: ``lab_order`` gains ``results_promised_at``, NULL for the
orders sold before it (no promise was made), and keeps every other column; the next sale stores
its promise; downgrading drops the column again."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from edge.runtime import MIGRATIONS, EdgeRuntime
from sync import migrations
from tests.edge.orders.helpers import make_patient, sell, seller, sid


def _columns(rt: EdgeRuntime) -> set[str]:
    return {c["name"] for c in inspect(rt.engine).get_columns("lab_order")}


def test_an_existing_node_keeps_its_orders_without_a_promise(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    before = sell(
        edge_client,
        headers,
        patient_id=make_patient(edge_runtime).id,
        items=[{"service_id": sid("HEM-001")}],
    )
    config = migrations.alembic_config(MIGRATIONS, edge_runtime.engine)
    migrations.command.downgrade(config, "0004")
    assert migrations.current_revision(edge_runtime.engine) == "0004"
    assert "results_promised_at" not in _columns(edge_runtime)

    migrations.command.upgrade(config, "head")
    assert "results_promised_at" in _columns(edge_runtime)
    with edge_runtime.engine.connect() as conn:
        row = conn.execute(
            text("SELECT number, total, results_promised_at FROM lab_order WHERE id = :i"),
            {"i": before["id"]},
        ).one()
    assert row.number == before["number"] and row.results_promised_at is None
    read = edge_client.get(f"/api/orders/{before['id']}", headers=headers)
    assert read.status_code == 200 and read.json()["results_promised_at"] is None

    after = sell(
        edge_client,
        headers,
        patient_id=make_patient(edge_runtime).id,
        items=[{"service_id": sid("HEM-001")}],
    )
    assert after["results_promised_at"] is not None
