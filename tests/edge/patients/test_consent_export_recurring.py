"""Consents and may_contact, the xlsx export (audited, access-logged), patient orders and
recurring patients."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from domain.clock import business_date
from domain.errors import InvalidInput
from edge.db import read_session
from edge.patients.consents import may_contact
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.patients.helpers import add_order, register


@pytest.fixture
def reception(edge_runtime: EdgeRuntime) -> dict[str, str]:
    return auth_headers(edge_runtime, "recepcionista")


def _consent(
    client: TestClient, headers: dict[str, str], pid: str, kind: str, granted: bool
) -> dict:  # type: ignore[type-arg]
    r = client.post(
        f"/api/patients/{pid}/consents",
        json={"kind": kind, "granted": granted, "version": "2026-01", "channel": "presencial"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _may(rt: EdgeRuntime, pid: str, channel: str) -> bool:
    with read_session(rt.engine) as session:
        return may_contact(session, pid, channel)


def test_consents_latest_per_kind_wins_and_gates_contact(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    pid = register(edge_client, reception)["id"]
    assert not _may(edge_runtime, pid, "email") and not _may(edge_runtime, pid, "whatsapp")
    empty = edge_client.get(f"/api/patients/{pid}/consents", headers=reception).json()
    assert [(c["kind"], c["granted"], c["current"]) for c in empty["current"]] == [
        ("datos_salud", False, None),
        ("contacto_email", False, None),
        ("contacto_whatsapp", False, None),
    ]
    _consent(edge_client, reception, pid, "datos_salud", True)
    _consent(edge_client, reception, pid, "contacto_whatsapp", True)
    assert _may(edge_runtime, pid, "whatsapp") and not _may(edge_runtime, pid, "email")
    body = _consent(edge_client, reception, pid, "contacto_whatsapp", False)  # revoked
    assert not _may(edge_runtime, pid, "whatsapp")
    state = {c["kind"]: c for c in body["current"]}
    assert state["datos_salud"]["granted"] is True
    assert state["contacto_whatsapp"]["granted"] is False
    current = state["contacto_whatsapp"]["current"]
    assert current["version"] == "2026-01" and current["channel"] == "presencial"
    assert current["user_id"] and current["username"] and current["created_at"]
    assert len(body["history"]) == 3
    with edge_runtime.engine.connect() as conn:
        outbox = conn.execute(
            text("SELECT count(*) FROM sync_outbox WHERE record_type = 'patient_consent'")
        ).scalar_one()
    assert outbox == 3


def test_consent_input_is_validated(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    pid = register(edge_client, reception)["id"]
    r = edge_client.post(
        f"/api/patients/{pid}/consents",
        json={"kind": "sms", "granted": "tal vez", "version": "", "channel": "fax"},
        headers=reception,
    )
    assert r.status_code == 422
    assert sorted(e["loc"][-1] for e in r.json()["detail"]) == [
        "channel",
        "granted",
        "kind",
        "version",
    ]
    r = edge_client.post(
        "/api/patients/nope/consents",
        json={"kind": "datos_salud", "granted": True, "version": "1", "channel": "web"},
        headers=reception,
    )
    assert r.status_code == 404
    with pytest.raises(InvalidInput, match="Canal"), read_session(edge_runtime.engine) as s:
        may_contact(s, pid, "paloma")


def test_export_xlsx_is_audited_and_access_logged(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    a = register(edge_client, reception, last_names="Álvarez Soto", doc_number="45871236")
    b = register(edge_client, reception, last_names="Ñaupari Inga", phone="987654321")
    supervisor = auth_headers(edge_runtime, "supervisor")
    r = edge_client.get("/api/patients/export", headers=supervisor)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("ID", "Tipo de documento", "Número de documento", "Apellidos")
    assert [(row[0], row[3]) for row in rows[1:]] == [
        (a["id"], "ÁLVAREZ SOTO"),
        (b["id"], "ÑAUPARI INGA"),
    ]
    assert rows[1][2] == "45871236" and rows[2][7] == "987654321"
    with edge_runtime.engine.connect() as conn:
        audit = conn.execute(
            text("SELECT record_type, details FROM audit_event WHERE action = 'patient_export'")
        ).all()
        logged = conn.execute(
            text("SELECT patient_id FROM access_log WHERE action = 'export'")
        ).all()
    assert len(audit) == 1 and '"count": 2' in audit[0][1].replace('":2', '": 2')
    assert {r[0] for r in logged} == {a["id"], b["id"]}


def test_export_filters_by_registration_date(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    register(edge_client, reception)
    supervisor = auth_headers(edge_runtime, "supervisor")
    today = business_date(edge_runtime.clock.now())
    tomorrow = today + dt.timedelta(days=1)
    r = edge_client.get(
        "/api/patients/export", params={"registered_from": str(tomorrow)}, headers=supervisor
    )
    assert r.status_code == 200 and r.headers["x-exported-rows"] == "0"
    r = edge_client.get(
        "/api/patients/export",
        params={"registered_from": str(tomorrow), "registered_to": str(today)},
        headers=supervisor,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "date_range_invalid"


def test_patient_orders_and_recurring(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    frequent = register(edge_client, reception, last_names="Frecuente Uno")["id"]
    twice = register(edge_client, reception, last_names="Dos Veces")["id"]
    once = register(edge_client, reception, last_names="Una Vez")["id"]
    day = dt.date(2026, 11, 2)
    for i in range(3):
        add_order(edge_runtime, frequent, day=day + dt.timedelta(days=i), total="10.50")
    add_order(edge_runtime, frequent, day=day, status="anulada")  # cancelled: not counted
    add_order(edge_runtime, twice, day=day)
    add_order(edge_runtime, twice, day=day + dt.timedelta(days=5))
    add_order(edge_runtime, once, day=day)
    add_order(edge_runtime, once, day=dt.date(2026, 1, 1))  # outside the range

    orders = edge_client.get(f"/api/patients/{frequent}/orders", headers=reception).json()
    assert orders["total"] == 4
    assert [o["total"] for o in orders["items"]] == ["50.00", "10.50", "10.50", "10.50"]
    r = edge_client.get(
        "/api/patients/recurring",
        params={"date_from": "2026-11-01", "date_to": "2026-11-30"},
        headers=reception,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(i["patient"]["id"], i["order_count"]) for i in body["items"]] == [
        (frequent, 3),
        (twice, 2),
    ]
    assert body["items"][0]["total_amount"] == "31.50"
    assert body["items"][1]["last_order_date"] == "2026-11-07"
    assert body["total"] == 2
    r = edge_client.get(
        "/api/patients/recurring",
        params={"date_from": "2026-11-30", "date_to": "2026-11-01"},
        headers=reception,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "date_range_invalid"
    assert edge_client.get("/api/patients/nope/orders", headers=reception).status_code == 404
