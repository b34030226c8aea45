"""What the dashboard's administration pages read (``/api/web/...``): supervisors see (their
sedes only), admins edit through the areas' own APIs; SUNAT alarms come from replicated invoices."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from central.reports.service import today_of
from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede, make_user
from tests.central.reconciliation.builders import SedeDay


def _two_sedes(rt: HubRuntime) -> tuple[str, str]:
    make_sede(rt, "S01")
    make_sede(rt, "S02")
    return sede_id_for("S01"), sede_id_for("S02")


def test_supervisor_sees_only_the_users_and_sedes_of_their_sedes(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    s1, s2 = _two_sedes(hub_runtime)
    make_user(hub_runtime, Role.RECEPCIONISTA, username="recep1", sede_ids=[s1])
    make_user(hub_runtime, Role.RECEPCIONISTA, username="recep2", sede_ids=[s2])
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, username="sup1", sede_ids=[s1])
    admin = auth_headers(hub_runtime, Role.ADMIN, username="jefa")

    seen = hub_client.get("/api/web/users", headers=sup).json()
    names = {u["username"] for u in seen["items"]}
    assert "recep1" in names and "sup1" in names and "recep2" not in names
    assert seen["can_edit"] is False
    assert [s["code"] for s in seen["sedes"]] == ["S01"]
    everyone = hub_client.get("/api/web/users", headers=admin).json()
    assert {"recep1", "recep2", "jefa"} <= {u["username"] for u in everyone["items"]}
    assert everyone["can_edit"] is True

    sedes = hub_client.get("/api/web/sedes", headers=sup).json()
    assert [s["code"] for s in sedes["items"]] == ["S01"] and sedes["can_edit"] is False
    assert "01" in sedes["series_keys"]
    # supervisors see but cannot edit: the area's own API refuses them
    r = hub_client.put(f"/api/config/locations/{s1}", json={"name": "X"}, headers=sup)
    assert r.status_code == 403
    recep = auth_headers(hub_runtime, Role.RECEPCIONISTA, username="recep9", sede_ids=[s1])
    assert hub_client.get("/api/web/users", headers=recep).status_code == 403


def test_settings_come_with_their_history(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.put("/api/config/settings", json={"reconciliation_hour": "22:30"}, headers=admin)
    assert r.status_code == 200, r.text
    body = hub_client.get("/api/web/settings", headers=admin).json()
    assert body["values"]["reconciliation_hour"] == "22:30"
    assert body["history"][0]["field"] == "reconciliation_hour"
    assert body["history"][0]["new_value"] == "22:30"
    bad = hub_client.put(
        "/api/config/settings", json={"reconciliation_hour": "25:00"}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "reconciliation_hour"


def test_template_preview_renders_sample_data_and_names_the_broken_field(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    sup = auth_headers(hub_runtime, Role.SUPERVISOR)
    listed = hub_client.get("/api/web/notification-templates", headers=sup).json()
    assert listed["items"] and listed["can_edit"] is False
    ok = hub_client.post(
        "/api/web/notification-templates/preview",
        json={"subject": "Orden {{ order_number }}", "body": "Hola {{ patient_name }}"},
        headers=sup,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"subject": "Orden S01-20261129-0001", "body": "Hola María Pérez Quispe"}
    bad = hub_client.post(
        "/api/web/notification-templates/preview",
        json={"subject": "ok", "body": "Hola {{ patient_name "},
        headers=sup,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "body"]


def test_sunat_alarms_across_sedes(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    s1, _ = _two_sedes(hub_runtime)
    today = today_of(hub_runtime.clock.now())
    old = SedeDay(hub_runtime.engine, "S01", today - dt.timedelta(days=6))
    old.invoice(
        None, series="B001", number=1, state="pendiente", deadline=today - dt.timedelta(days=3)
    )
    old.invoice(
        None, series="B001", number=2, state="aceptado", deadline=today - dt.timedelta(days=3)
    )
    old.invoice(None, series="F001", doc_type="01", number=7, state="rechazado")
    other = SedeDay(hub_runtime.engine, "S02", today - dt.timedelta(days=1))
    other.invoice(
        None, series="B002", number=5, state="error_red", deadline=today - dt.timedelta(days=1)
    )
    other.invoice(
        None, series="B002", number=6, state="pendiente", deadline=today + dt.timedelta(days=2)
    )
    old.push(old.all_rows())
    other.push(other.all_rows())

    admin = auth_headers(hub_runtime, Role.ADMIN)
    body = hub_client.get("/api/web/sunat-alarms", headers=admin).json()
    kinds = {(a["sede_code"], a["document"]): a["kind"] for a in body["items"]}
    assert kinds == {
        ("S01", "B001-1"): "vencido",
        ("S01", "F001-7"): "rechazado",
        ("S02", "B002-5"): "vencido",
    }
    late = next(a for a in body["items"] if a["document"] == "B001-1")
    assert late["days_late"] == 3 and late["doc_label"] == "Boleta" and late["total"] == "10.00"
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[s1])
    mine = hub_client.get("/api/web/sunat-alarms", headers=sup).json()
    assert {a["sede_code"] for a in mine["items"]} == {"S01"}
    only = hub_client.get(f"/api/web/sunat-alarms?sede={sede_id_for('S02')}", headers=admin)
    assert [a["document"] for a in only.json()["items"]] == ["B002-5"]


def test_sync_health_lists_every_node_with_its_status(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    s1, s2 = _two_sedes(hub_runtime)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    for sede in (s1, s2):
        r = hub_client.post("/api/sync/nodes", json={"sede_id": sede, "name": "n"}, headers=admin)
        assert r.status_code in (200, 201), r.text
    health = hub_client.get("/api/web/sync-health", headers=admin).json()
    assert sorted(h["node"]["sede_id"] for h in health) == sorted([s1, s2])
    assert all(h["status"]["node_id"] == h["node"]["id"] for h in health)
    assert all(h["status"]["backlog"] == 0 for h in health)
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[s1])
    assert hub_client.get("/api/web/sync-health", headers=sup).status_code == 403
