"""What the dashboard's catalog and audit screens need from the APIs: a category cleared by
sending it as null, the hub audit filtered by user (any case) with an inverted range refused at
its field, and the list of recorded actions the audit filter offers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers


def test_a_category_is_cleared_with_null_and_kept_when_not_sent(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = auth_headers(hub_runtime, Role.ADMIN)
    cat = hub_client.post("/api/catalog/categories", json={"code": "BIO", "name": "Bioquímica"},
                          headers=h).json()["id"]  # fmt: skip
    svc = hub_client.post(
        "/api/catalog/services",
        json={"code": "BIO-1", "name": "Glucosa", "price": "10.00", "category_id": cat},
        headers=h,
    ).json()
    url = f"/api/catalog/services/{svc['id']}"
    r = hub_client.put(url, json={"tube": "Gris"}, headers=h)
    assert r.status_code == 200 and r.json()["category_id"] == cat  # not sent: kept
    r = hub_client.put(url, json={"category_id": "no-existe"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "category_id"]
    r = hub_client.put(url, json={"category_id": None}, headers=h)
    assert r.status_code == 200 and r.json()["category_id"] is None
    assert hub_client.get(url, headers=h).json()["category_id"] is None
    r = hub_client.put(url, json={"category_id": cat}, headers=h)
    assert r.json()["category_id"] == cat


def test_audit_filters_by_username_refuses_an_inverted_range_and_lists_actions(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = auth_headers(hub_runtime, Role.ADMIN, username="Gerente")
    hub_client.post("/api/catalog/categories", json={"code": "HEM", "name": "Hematología"},
                    headers=h)  # fmt: skip
    hub_client.post("/api/catalog/categories", json={"code": "URI", "name": "Uroanálisis"},
                    headers=auth_headers(hub_runtime, Role.ADMIN, username="otro"))  # fmt: skip
    r = hub_client.get("/api/audit", params={"username": "gerente"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1 and body["items"][0]["username"] == "Gerente"
    assert body["items"][0]["action"] == "catalog.category_create"
    r = hub_client.get("/api/audit", params={"from": "2026-12-02", "to": "2026-12-01"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0] | {"msg": ""} == {
        "type": "date_range_inverted", "loc": ["query", "to"], "msg": "",
    }  # fmt: skip
    assert "«hasta»" in r.json()["detail"][0]["msg"]
    r = hub_client.get("/api/audit/actions", headers=h)
    assert r.status_code == 200 and "catalog.category_create" in r.json()["items"]
    assert r.json()["items"] == sorted(set(r.json()["items"]))
    r = hub_client.get("/api/audit/actions", headers=auth_headers(hub_runtime, Role.RECEPCIONISTA))
    assert r.status_code == 403
