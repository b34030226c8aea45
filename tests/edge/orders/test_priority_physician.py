"""The sale records how urgent it is and who asked for it (médico solicitante, with their CMP):
answered, listed, stored, replicated in the order row; bad input is a 422 on its field that
writes nothing; a node migrated from 0006 keeps its orders as routine, without a physician."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from edge.runtime import MIGRATIONS, EdgeRuntime
from sync import migrations
from tests.edge.orders.helpers import count_rows, detail, make_patient, sell, seller, sid


def _body(rt: EdgeRuntime, **extra: Any) -> dict[str, Any]:
    return {"patient_id": make_patient(rt).id, "items": [{"service_id": sid("HEM-001")}], **extra}


def _outbox_order(rt: EdgeRuntime, order_id: str) -> dict[str, Any]:
    with rt.engine.connect() as conn:
        payloads = conn.execute(
            text("SELECT payload FROM sync_outbox WHERE record_type = 'order' AND record_id = :i"),
            {"i": order_id},
        ).scalars()
        return dict(json.loads(list(payloads)[-1]))


def test_an_urgent_order_keeps_its_physician(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    order = sell(
        edge_client,
        headers,
        **_body(
            edge_runtime,
            priority="urgente",
            physician_cmp="CMP 045123",
            physician_name="  Dr. Juan  Pérez Rojas ",
        ),
    )
    expected = {
        "priority": "urgente",
        "physician_cmp": "45123",
        "physician_name": "JUAN PÉREZ ROJAS",
    }
    assert {k: order[k] for k in expected} == expected
    read = edge_client.get(f"/api/orders/{order['id']}", headers=headers).json()
    assert {k: read[k] for k in expected} == expected
    listed = edge_client.get("/api/orders", headers=headers).json()["items"]
    assert [{k: o[k] for k in expected} for o in listed if o["id"] == order["id"]] == [expected]
    replicated = _outbox_order(edge_runtime, order["id"])
    assert {k: replicated[k] for k in expected} == expected


def test_by_default_an_order_is_routine_without_physician(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    order = sell(edge_client, headers, **_body(edge_runtime, physician_cmp="", physician_name=" "))
    assert (order["priority"], order["physician_cmp"], order["physician_name"]) == (
        "rutina",
        None,
        None,
    )
    name_only = sell(edge_client, headers, **_body(edge_runtime, physician_name="ana rojas"))
    assert (name_only["physician_cmp"], name_only["physician_name"]) == (None, "ANA ROJAS")


def test_bad_physician_or_priority_is_refused_on_its_field_and_writes_nothing(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    before = count_rows(edge_runtime, "lab_order"), count_rows(edge_runtime, "sync_outbox")
    cases = [
        ({"physician_cmp": "45A23", "physician_name": "JUAN"}, "cmp_invalid", "physician_cmp"),
        ({"physician_cmp": "1234567", "physician_name": "JUAN"}, "cmp_invalid", "physician_cmp"),
        ({"physician_cmp": "45123"}, "physician_name_required", "physician_name"),
        ({"physician_name": "Juan 2"}, "physician_name_invalid", "physician_name"),
        ({"priority": "stat"}, "enum", "priority"),
    ]  # fmt: skip
    for extra, code, field in cases:
        r = edge_client.post("/api/orders", json=_body(edge_runtime, **extra), headers=headers)
        assert r.status_code == 422, (extra, r.text)
        assert detail(r.json()) == (code, ["body", field]), extra
        assert r.json()["detail"][0]["msg"]  # a sentence, in Spanish
    after = count_rows(edge_runtime, "lab_order"), count_rows(edge_runtime, "sync_outbox")
    assert after[0] == before[0]
    assert after[1] == before[1] + len(cases)  # only the patients made for each attempt


def test_a_node_migrated_from_0006_keeps_its_orders_as_routine(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    config = migrations.alembic_config(MIGRATIONS, edge_runtime.engine)
    migrations.command.downgrade(config, "0006")
    columns = {c["name"] for c in inspect(edge_runtime.engine).get_columns("lab_order")}
    assert not columns & {"priority", "physician_cmp", "physician_name"}
    with edge_runtime.engine.begin() as conn:  # an order sold before the upgrade, by hand
        conn.execute(
            text(
                "INSERT INTO lab_order (id, sede_id, number, patient_id, status, subtotal,"
                " discount_total, total, covered_total, coverage_pct, paid_total, balance,"
                " document_type, cashier_id, business_date, created_at, updated_at) VALUES"
                " ('old-order', 's', 'S01-20261101-0001', :p, 'registrada', 1000, 0, 1000, 0,"
                " '0.00', 1000, 0, '03', 'c', '2026-11-01', '2026-11-01 15:00:00',"
                " '2026-11-01 15:00:00')"
            ),
            {"p": make_patient(edge_runtime).id},
        )
    migrations.command.upgrade(config, "head")
    with edge_runtime.engine.connect() as conn:
        row = conn.execute(
            text("SELECT priority, physician_cmp, physician_name FROM lab_order WHERE id = :i"),
            {"i": "old-order"},
        ).one()
    assert tuple(row) == ("rutina", None, None)
    order = sell(edge_client, headers, **_body(edge_runtime, priority="urgente"))
    assert order["priority"] == "urgente"
