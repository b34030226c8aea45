"""Convenios: CRUD, validation, prices stored in céntimos."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers


def test_convenio_crud(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    svc = hub_client.post(
        "/api/catalog/services",
        json={"code": "HEM-001", "name": "Hemograma", "price": "35.00"},
        headers=headers,
    ).json()
    body = {
        "ruc": "20503123453",
        "name": "SALUD PLUS EPS S.A.",
        "coverage_pct": "80",
        "prices": {svc["id"]: "30.00"},
        "contact": "convenios@saludplus.example.pe",
    }
    r = hub_client.post("/api/convenios", json=body, headers=headers)
    assert r.status_code == 201, r.text
    conv = r.json()
    assert conv["coverage_pct"] == "80" and conv["prices"] == {svc["id"]: "30.00"}
    assert conv["credit_days"] == 30
    r = hub_client.put(
        f"/api/convenios/{conv['id']}",
        json={"coverage_pct": "90.50", "credit_days": 45},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["coverage_pct"] == "90.5"
    r = hub_client.get(f"/api/convenios/{conv['id']}", headers=headers)
    assert r.json()["credit_days"] == 45
    reader = auth_headers(hub_runtime, Role.RECEPCIONISTA)
    r = hub_client.get("/api/convenios", headers=reader)
    assert [c["ruc"] for c in r.json()["items"]] == ["20503123453"]
    r = hub_client.post("/api/convenios", json=body, headers=headers)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "convenio_ruc_taken"


def test_convenio_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    base = {"ruc": "20503123453", "name": "SALUD PLUS"}
    cases: list[tuple[dict[str, Any], str, list[Any]]] = [
        ({"ruc": "2050312345"}, "ruc_invalid", ["body", "ruc"]),
        ({"ruc": "30503123453"}, "ruc_prefix", ["body", "ruc"]),
        ({"coverage_pct": "120"}, "less_than_equal", ["body", "coverage_pct"]),
        ({"coverage_pct": 80.0}, "amount_not_decimal", ["body", "coverage_pct"]),
        ({"credit_days": -1}, "greater_than_equal", ["body", "credit_days"]),
        ({"prices": {"nada": "1.00"}}, "service_unknown", ["body", "prices", "nada"]),
        ({"prices": {"nada": 1.5}}, "amount_not_decimal", ["body", "prices", "nada"]),
        ({"prices": {"nada": "22000000"}}, "price_too_high", ["body", "prices", "nada"]),
    ]
    for extra, code, loc in cases:
        r = hub_client.post("/api/convenios", json={**base, **extra}, headers=headers)
        assert r.status_code == 422, (extra, r.text)
        detail = r.json()["detail"][0]
        assert (detail["type"], detail["loc"]) == (code, loc), extra
    r = hub_client.get("/api/convenios/nada", headers=headers)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "convenio_not_found"
