"""The sale stores the promised results instant (``lab_order.results_promised_at``), answers it,
replicates it with the order row, and follows the chain's ``results_delivery_hours`` as pulled
from the hub (a bad value on the wire: the default hours)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from domain.clock import LIMA, FixedClock
from domain.results_promise import DEFAULT_DELIVERY_HOURS, DEFAULT_HOURS
from edge.config.replicated import delivery_hours as read_hours
from edge.db import read_session
from edge.orders.promise import DELIVERY_HOURS_SETTING, delivery_hours
from edge.runtime import EdgeRuntime
from tests.edge.factories import token_for
from tests.edge.orders.helpers import make_patient, pull_setting, seller, sid

# Monday 30/11/2026 10:15 in Lima
MONDAY_1015 = datetime(2026, 11, 30, 10, 15, tzinfo=LIMA)


@pytest.fixture
def client(edge_runtime: EdgeRuntime, edge_client: TestClient) -> TestClient:
    edge_runtime.clock = FixedClock(MONDAY_1015)
    return edge_client


def sell(rt: EdgeRuntime, client: TestClient, *codes: str) -> dict[str, Any]:
    _, headers = seller(rt, cash=False)
    patient = make_patient(rt)
    body = {"patient_id": patient.id, "items": [{"service_id": sid(c)} for c in codes]}
    r = client.post("/api/orders", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def lima(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(LIMA).replace(tzinfo=None)


def set_turnaround(rt: EdgeRuntime, code: str, hours: int) -> None:
    with rt.engine.begin() as conn:
        conn.execute(
            text("UPDATE catalog_service SET turnaround_hours = :h WHERE code = :c"),
            {"h": hours, "c": code},
        )


def test_the_sale_answers_stores_and_replicates_the_promise(
    edge_runtime: EdgeRuntime, client: TestClient
) -> None:
    set_turnaround(edge_runtime, "HEM-001", 4)
    order = sell(edge_runtime, client, "HEM-001")
    # 10:15 + 4 h = 14:15 -> "desde las 15:00" the same Monday
    assert lima(order["results_promised_at"]) == datetime(2026, 11, 30, 15, 0)
    assert order["results_promised_at"].endswith("Z") or "+00:00" in order["results_promised_at"]
    _, headers = seller(edge_runtime, cash=False)
    read = client.get(f"/api/orders/{order['id']}", headers=headers)
    assert read.status_code == 200
    assert read.json()["results_promised_at"] == order["results_promised_at"]
    with edge_runtime.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT results_promised_at FROM lab_order WHERE id = :i"), {"i": order["id"]}
        ).scalar_one()
        payloads = [
            json.loads(p) if isinstance(p, str) else p
            for p in conn.execute(
                text(
                    "SELECT payload FROM sync_outbox WHERE record_type = 'order' AND record_id = :i"
                ),
                {"i": order["id"]},
            ).scalars()
        ]
    assert stored is not None
    assert payloads and payloads[-1]["results_promised_at"] is not None
    wire = datetime.fromisoformat(payloads[-1]["results_promised_at"].replace("Z", "+00:00"))
    assert wire == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def test_a_panel_promises_its_slowest_test(edge_runtime: EdgeRuntime, client: TestClient) -> None:
    set_turnaround(edge_runtime, "PAN-LIP", 24)
    set_turnaround(edge_runtime, "BIO-022", 72)  # one test of the lipid panel
    order = sell(edge_runtime, client, "PAN-LIP")
    # Monday 10:15 + 72 h = Thursday 03/12 10:15 -> 11:00
    assert lima(order["results_promised_at"]) == datetime(2026, 12, 3, 11, 0)


def test_a_changed_setting_applies_to_the_next_sale(
    edge_runtime: EdgeRuntime, client: TestClient
) -> None:
    set_turnaround(edge_runtime, "HEM-001", 4)
    first = sell(edge_runtime, client, "HEM-001")
    assert lima(first["results_promised_at"]) == datetime(2026, 11, 30, 15, 0)
    pull_setting(
        edge_runtime, DELIVERY_HOURS_SETTING, dict(DEFAULT_DELIVERY_HOURS, mon="07:00-12:00")
    )
    second = sell(edge_runtime, client, "HEM-001")
    # 15:00 is after Monday's new closing (12:00): Tuesday's opening
    assert lima(second["results_promised_at"]) == datetime(2026, 12, 1, 7, 0)


@pytest.mark.parametrize(
    "value",
    [
        "07:00-19:00",
        {"mon": "7-19"},
        dict(DEFAULT_DELIVERY_HOURS, mon="19:00-07:00"),
        dict.fromkeys(DEFAULT_DELIVERY_HOURS, ""),
        None,
        42,
    ],
)
def test_a_bad_setting_falls_back_to_the_default(
    edge_runtime: EdgeRuntime, client: TestClient, value: Any
) -> None:
    pull_setting(edge_runtime, DELIVERY_HOURS_SETTING, dict(DEFAULT_DELIVERY_HOURS, sat=""))
    with read_session(edge_runtime.engine) as session:
        assert delivery_hours(session).windows[5] is None
    pull_setting(edge_runtime, DELIVERY_HOURS_SETTING, value)
    with read_session(edge_runtime.engine) as session:
        assert delivery_hours(session) == DEFAULT_HOURS
    set_turnaround(edge_runtime, "HEM-001", 4)
    order = sell(edge_runtime, client, "HEM-001")  # the sale still goes through
    assert lima(order["results_promised_at"]) == datetime(2026, 11, 30, 15, 0)


def test_never_received_is_the_default(edge_runtime: EdgeRuntime) -> None:
    with read_session(edge_runtime.engine) as session:
        assert delivery_hours(session) == DEFAULT_HOURS


def test_the_reader() -> None:
    assert read_hours(DEFAULT_DELIVERY_HOURS) == DEFAULT_HOURS
    bad: tuple[Any, ...] = (None, "x", [], {"mon": "07:00-19:00"}, True, 3)
    for value in bad:
        assert read_hours(value) is None, value


def test_late_orders_are_the_ones_past_their_promise_without_results(
    edge_runtime: EdgeRuntime, client: TestClient
) -> None:
    set_turnaround(edge_runtime, "HEM-001", 4)  # promised Monday 15:00
    set_turnaround(edge_runtime, "BIO-010", 48)  # promised Wednesday 11:00
    waiting, ready, cancelled = (sell(edge_runtime, client, "HEM-001") for _ in range(3))
    later = sell(edge_runtime, client, "BIO-010")
    with edge_runtime.engine.begin() as conn:
        for order, status in ((ready, "resultados_listos"), (cancelled, "anulada")):
            conn.execute(
                text("UPDATE lab_order SET status = :s WHERE id = :i"),
                {"s": status, "i": order["id"]},
            )
    user, _ = seller(edge_runtime, cash=False)

    def late_ids() -> set[str]:  # a token of the moment: the clock jumps hours
        headers = {"Authorization": f"Bearer {token_for(edge_runtime, user)}"}
        r = client.get("/api/orders", params={"late": "true"}, headers=headers)
        assert r.status_code == 200, r.text
        return {o["id"] for o in r.json()["items"]}

    assert late_ids() == set()  # Monday 10:15: nothing promised has passed
    assert isinstance(edge_runtime.clock, FixedClock)
    edge_runtime.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=LIMA))
    assert late_ids() == set()  # at 15:00 sharp the results are due, not late
    edge_runtime.clock.set(datetime(2026, 11, 30, 15, 1, tzinfo=LIMA))
    assert late_ids() == {waiting["id"]}
    edge_runtime.clock.set(datetime(2026, 12, 2, 11, 1, tzinfo=LIMA))
    assert late_ids() == {waiting["id"], later["id"]}
    headers = {"Authorization": f"Bearer {token_for(edge_runtime, user)}"}
    everything = client.get("/api/orders", headers=headers).json()["items"]
    assert len(everything) == 4  # without the filter: every order
