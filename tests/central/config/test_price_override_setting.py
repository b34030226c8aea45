"""The cap of an overridden unit price (``price_override_max``) is a hub setting: validated with
stable codes, kept as soles text under the key the edges read, and once an edge pulls it, its
orders refuse an override above it (``edge.orders.pricing.max_price_override``)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from central.config.models import Setting
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.clock import SystemClock
from domain.ids import sede_id_for
from domain.permissions import Role
from edge.db import read_session
from edge.orders.pricing import max_price_override
from edge.runtime import EdgeRuntime
from edge.sync import service as edge_sync
from edge.sync.enroll import enroll, load_credentials
from tests.central.auth.factories import auth_headers
from tests.edge.orders.helpers import make_patient, seller, sid
from tests.sync.replication_helpers import admin_override, new_code, node_client

URL = "/api/config/settings"
FIELD = "price_override_max"


def test_default_update_stored_as_soles_text_and_history(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    assert hub_client.get(URL, headers=headers).json()[FIELD] == "50000.00"
    r = hub_client.put(URL, json={FIELD: " 1200.5 "}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()[FIELD] == "1200.50"
    r = hub_client.put(URL, json={FIELD: 999999999}, headers=headers)  # an integer is soles
    assert r.status_code == 200 and r.json()[FIELD] == "999999999.00"
    with Session(hub_runtime.engine) as session:
        row = session.exec(select(Setting).where(Setting.key == FIELD)).one()
    assert row.value == "999999999.00"
    history = hub_client.get(
        "/api/config/history", params={"entity": "setting"}, headers=headers
    ).json()["items"]
    changes = [(h["field"], h["old_value"], h["new_value"]) for h in history]
    assert changes[:2] == [(FIELD, "1200.50", "999999999.00"), (FIELD, "50000.00", "1200.50")]
    web = hub_client.get("/api/web/settings", headers=headers)
    assert web.status_code == 200 and web.json()["values"][FIELD] == "999999999.00"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", "price_override_max_not_positive"),
        ("0.00", "price_override_max_not_positive"),
        ("-5.00", "amount_negative"),
        (0, "price_override_max_not_positive"),
        ("1000000000.00", "amount_too_large"),
        (1000000000, "amount_too_large"),
        ("12.345", "amount_precision"),
        ("1e5", "amount_invalid"),
        ("50,000.00", "amount_invalid"),
        ("", "amount_invalid"),
        (1500.5, "amount_not_decimal"),
        (True, "amount_not_decimal"),
        ([], "amount_invalid"),
    ],
)
def test_bad_values_have_stable_codes_spanish_messages_and_loc(
    hub_client: TestClient, hub_runtime: HubRuntime, value: Any, code: str
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.put(URL, json={FIELD: value, "sunat_baja_days": 5}, headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert [(d["type"], d["loc"]) for d in detail] == [(code, ["body", FIELD])], detail
    assert detail[0]["msg"][0].isupper() and "precio" in detail[0]["msg"], detail
    body = hub_client.get(URL, headers=headers).json()  # nothing half-applied
    assert (body[FIELD], body["sunat_baja_days"]) == ("50000.00", 3)


def test_a_hub_change_reaches_the_edge_which_refuses_a_dearer_override(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
) -> None:
    clock = SystemClock()
    admin_override(hub_client)
    with unit_of_work(hub_runtime.engine) as session:  # the chain, with the demo catalog
        seed_demo(session, clock=hub_runtime.clock, sedes=1, admin_password="demo-clave-2026")
    sede = sede_id_for("S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=clock,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    edge_sync.pull_changes(edge_runtime.engine, client, clock)  # the first pull: users too
    _, h = seller(edge_runtime, Role.SUPERVISOR)
    patient = make_patient(edge_runtime)

    def edge_cap() -> str:
        with read_session(edge_runtime.engine) as session:
            return str(max_price_override(session))

    def order_at(price: str) -> Any:
        item = {"service_id": sid("HEM-001"), "unit_price": price, "override_reason": "Campaña"}
        return edge_client.post(
            "/api/orders", json={"patient_id": patient.id, "items": [item]}, headers=h
        )

    assert edge_cap() == "50000.00"
    r = hub_client.put(URL, json={FIELD: "300.00"}, headers=auth_headers(hub_runtime, Role.ADMIN))
    assert r.status_code == 200, r.text
    assert edge_cap() == "50000.00"  # not before the edge pulls
    r = order_at("400.00")
    assert r.status_code == 201, r.text
    edge_sync.pull_changes(edge_runtime.engine, client, clock)
    assert edge_cap() == "300.00"
    r = order_at("300.01")
    assert r.status_code == 422, r.text
    err = r.json()["detail"][0]
    assert (err["type"], err["loc"]) == (
        "price_override_too_high",
        ["body", "items", 0, "unit_price"],
    )
    assert "S/ 300.00" in err["msg"]
    assert order_at("300.00").status_code == 201
