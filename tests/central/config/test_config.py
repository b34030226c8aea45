"""Company, sedes and settings: CRUD, validation, secrets never returned, history."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers

COMPANY = {
    "ruc": "20100070970",
    "razon_social": "LABORATORIOS CLINICOS LABRED S.A.C.",
    "address": "AV. AREQUIPA 1234, LIMA",
    "ubigeo": "150101",
    "sol_user": "LABRED01",
    "sol_password": "secreto-sol-123",
    "certificate_ref": "/etc/labred/cert.pfx",
    "certificate_password": "secreto-cert-456",
}
SECRETS = ("secreto-sol-123", "secreto-cert-456")


def test_company_put_get_without_secrets(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.get("/api/config/company", headers=headers)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "company_not_configured"
    r = hub_client.put("/api/config/company", json=COMPANY, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sunat_credentials_configured"] and body["certificate_configured"]
    for secret in SECRETS:
        assert secret not in r.text
    r = hub_client.get("/api/config/company", headers=headers)
    assert r.json()["ruc"] == "20100070970" and all(s not in r.text for s in SECRETS)
    r = hub_client.put("/api/config/company", json={"nombre_comercial": "LABRED"}, headers=headers)
    assert r.json()["nombre_comercial"] == "LABRED" and r.json()["ruc"] == "20100070970"
    history = hub_client.get(
        "/api/config/history", params={"entity": "company"}, headers=headers
    ).json()
    fields = {h["field"]: h for h in history["items"]}
    assert (
        fields["nombre_comercial"]["old_value"] == ""
        and fields["nombre_comercial"]["new_value"] == "LABRED"
    )
    assert fields["sol_password"]["new_value"] == "********"
    for secret in SECRETS:
        assert secret not in str(history)
    # secrets stay out of the change feed too
    with hub_runtime.engine.connect() as conn:
        payloads = conn.execute(text("SELECT payload::text FROM sync_change_feed")).scalars().all()
    assert payloads and all(s not in p for p in payloads for s in SECRETS)


def test_company_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.put(
        "/api/config/company", json={**COMPANY, "ruc": "20100070971"}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "ruc_check_digit",
            "msg": "El RUC 20100070971 no es válido: el dígito verificador no corresponde.",
            "loc": ["body", "ruc"],
        }
    ]
    r = hub_client.put("/api/config/company", json={"address": "x"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "company_incomplete"
    r = hub_client.put("/api/config/company", json={**COMPANY, "ubigeo": "15"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "ubigeo"]


def test_sedes_crud(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    r = hub_client.post(
        "/api/config/locations",
        json={"code": "s03", "name": "Sede Surco", "cash_threshold": "3000.00"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    sede = r.json()
    assert sede["id"] == sede_id_for("S03") and sede["code"] == "S03"
    assert sede["series"]["01"] == "F003" and sede["series"]["07B"] == "BC03"
    assert sede["cash_threshold"] == "3000.00" and sede["cash_difference_threshold"] == "10.00"
    r = hub_client.put(
        f"/api/config/locations/{sede['id']}",
        json={"name": "Sede Santiago de Surco", "cash_difference_threshold": "5.50"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cash_difference_threshold"] == "5.50"
    r = hub_client.get("/api/config/locations", headers=headers)
    assert [s["code"] for s in r.json()["items"]] == ["S03"]
    r = hub_client.get(f"/api/config/locations/{sede['id']}", headers=headers)
    assert r.json()["name"] == "Sede Santiago de Surco"
    history = hub_client.get(
        "/api/config/history", params={"entity_id": sede["id"]}, headers=headers
    ).json()["items"]
    assert {h["field"] for h in history} == {"name", "cash_difference_threshold_cents"}
    assert all(h["changed_by_username"] for h in history)


def test_sede_validation_and_conflicts(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    ok = {"code": "S01", "name": "Sede Miraflores"}
    assert hub_client.post("/api/config/locations", json=ok, headers=headers).status_code == 201
    r = hub_client.post("/api/config/locations", json=ok, headers=headers)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "sede_code_taken"
    r = hub_client.post(
        "/api/config/locations", json={"code": "1-X", "name": "Mala"}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "sede_code_invalid"
    assert r.json()["detail"][0]["loc"] == ["body", "code"]
    r = hub_client.post(
        "/api/config/locations",
        json={"code": "S02", "name": "Dos", "series": {"01": "B002"}},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "series_invalid"
    r = hub_client.post(
        "/api/config/locations",
        json={"code": "S02", "name": "Dos", "series": {"01": "F001"}},
        headers=headers,
    )
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "series_taken"
    r = hub_client.post(
        "/api/config/locations",
        json={"code": "S02", "name": "Dos", "cash_threshold": 10.5},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "amount_not_decimal"
    r = hub_client.post(
        "/api/config/locations",
        json={"code": "S02", "name": "Dos", "timezone": "Marte/Olympus"},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "timezone_invalid"
    r = hub_client.put(
        f"/api/config/locations/{sede_id_for('S01')}", json={"code": "S09"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"
    r = hub_client.get("/api/config/locations/nada", headers=headers)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "sede_not_found"


def test_settings_defaults_update_and_history(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.get("/api/config/settings", headers=headers)
    assert r.status_code == 200
    assert r.json()["discount_approval_threshold_pct"] == "10"
    assert r.json()["reconciliation_hour"] == "23:30"
    r = hub_client.put(
        "/api/config/settings",
        json={"discount_approval_threshold_pct": "15.5", "reconciliation_hour": "22:00"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["discount_approval_threshold_pct"] == "15.5"
    assert r.json()["reconciliation_hour"] == "22:00" and r.json()["updated_at"]
    hub_client.put(
        "/api/config/settings", json={"discount_approval_threshold_pct": "20"}, headers=headers
    )
    history = hub_client.get(
        "/api/config/history", params={"entity": "setting"}, headers=headers
    ).json()["items"]
    pct = [(h["old_value"], h["new_value"]) for h in history if h["field"].startswith("discount")]
    assert pct == [("15.5", "20"), ("10", "15.5")]


def test_settings_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"reconciliation_hour": "25:00"}, "string_pattern_mismatch"),
        ({"discount_approval_threshold_pct": "101"}, "less_than_equal"),
        ({"discount_approval_threshold_pct": 12.5}, "amount_not_decimal"),
        ({"sunat_factura_deadline_days": 0}, "greater_than_equal"),
        ({"retention_backup_days": "x"}, "int_parsing"),
        ({"otra_cosa": 1}, "extra_forbidden"),
    ]
    for body, code in cases:
        r = hub_client.put("/api/config/settings", json=body, headers=headers)
        assert r.status_code == 422, body
        detail = r.json()["detail"][0]
        assert detail["type"] == code and detail["loc"] == ["body", next(iter(body))], body
        assert detail["msg"] and detail["msg"][0].isupper()
