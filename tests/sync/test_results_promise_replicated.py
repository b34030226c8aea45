"""The promised results instant travels to the hub with the order row: the hub keeps edge-owned
records as their full image (``sync_record.payload``), so ``results_promised_at`` arrives as
the edge stored it, in UTC, with no hub-side change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import SystemClock
from edge.db import unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()
PROMISED = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)  # martes 01/12/2026 17:00 Lima


def test_the_hub_receives_the_promise_with_the_order(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    pid = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="41111112")
    promised, _ = add_sale(
        edge_runtime.engine, CLOCK, sede_id=sede, patient_id=pid, number="S01-P", amount=Decimal(9)
    )
    with unit_of_work(edge_runtime.engine) as session:
        order = session.get(Order, promised)
        assert order is not None
        order.results_promised_at = PROMISED
        session.add(order)
    old, _ = add_sale(
        edge_runtime.engine, CLOCK, sede_id=sede, patient_id=pid, number="S01-Q", amount=Decimal(9)
    )  # sold without one
    service.push_pending(edge_runtime.engine, client, CLOCK)
    assert service.backlog(edge_runtime.engine) == 0
    with hub_runtime.engine.connect() as conn:
        rows: dict[str, str | None] = dict(
            conn.execute(
                text(
                    "SELECT id, payload->>'results_promised_at' FROM sync_record "
                    "WHERE record_type = 'order'"
                )
            ).all()
        )
    assert rows[old] is None
    wire = rows[promised]
    assert wire is not None
    got = dt.datetime.fromisoformat(wire.replace("Z", "+00:00"))
    assert got == PROMISED
