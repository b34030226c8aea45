"""User administration: CRUD, validation, deactivation, roles listing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import MATRIX, PERMISSIONS, Role
from tests.central.auth.factories import SEDE_S01, auth_headers, headers_for, make_sede, make_user

NEW_USER = {
    "username": "Ana.Perez",
    "full_name": "Ana Pérez Quispe",
    "email": "ana.perez@labred.pe",
    "role": "recepcionista",
    "password": "clave-inicial-123",
}


def test_create_get_list_update(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post("/api/users", json={**NEW_USER, "sede_ids": [SEDE_S01]}, headers=headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == "ana.perez" and created["active"] is True
    assert "password" not in created and "password_hash" not in created
    r = hub_client.get(f"/api/users/{created['id']}", headers=headers)
    assert r.status_code == 200 and r.json()["email"] == "ana.perez@labred.pe"
    r = hub_client.get("/api/users", params={"q": "pérez"}, headers=headers)
    assert [u["username"] for u in r.json()["items"]] == ["ana.perez"]
    make_sede(hub_runtime, "S02")
    r = hub_client.put(
        f"/api/users/{created['id']}",
        json={"role": "supervisor", "sede_ids": [SEDE_S01, sede_id_for("S02")]},
        headers=headers,
    )
    assert r.status_code == 200
    assert r.json()["role"] == "supervisor" and len(r.json()["sede_ids"]) == 2
    r = hub_client.get("/api/users", params={"role": "supervisor"}, headers=headers)
    assert r.json()["total"] == 1


def test_create_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post("/api/users", json={**NEW_USER, "sede_ids": []}, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "sede_required",
            "msg": "Asigne al menos una sede a este usuario.",
            "loc": ["body", "sede_ids"],
        }
    ]
    r = hub_client.post("/api/users", json={**NEW_USER, "sede_ids": ["no-existe"]}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "sede_ids", 0]
    r = hub_client.post(
        "/api/users", json={**NEW_USER, "role": "jefe", "sede_ids": [SEDE_S01]}, headers=headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "role"]
    r = hub_client.post(
        "/api/users",
        json={**NEW_USER, "password": "corta", "sede_ids": [SEDE_S01]},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "password_too_short"
    r = hub_client.post(
        "/api/users", json={**NEW_USER, "username": "a b", "sede_ids": [SEDE_S01]}, headers=headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "Usuario: formato inválido."


def test_duplicates_conflict(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    body = {**NEW_USER, "sede_ids": [SEDE_S01]}
    assert hub_client.post("/api/users", json=body, headers=headers).status_code == 201
    r = hub_client.post("/api/users", json=body, headers=headers)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "username_taken"
    r = hub_client.post("/api/users", json={**body, "username": "otra"}, headers=headers)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "email_taken"


def test_delete_deactivates_and_keeps_audit(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    target = make_user(hub_runtime, username="saliente")
    r = hub_client.delete(f"/api/users/{target.id}", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False
    r = hub_client.get(f"/api/users/{target.id}", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False
    r = hub_client.get("/api/audit", params={"record_id": target.id}, headers=headers)
    assert [e["action"] for e in r.json()["items"]] == ["user.deactivate"]
    r = hub_client.get("/api/users", params={"active": "false"}, headers=headers)
    assert [u["username"] for u in r.json()["items"]] == ["saliente"]


def test_admin_cannot_deactivate_or_demote_self(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    me = make_user(hub_runtime, Role.ADMIN, username="yo")
    headers = headers_for(hub_runtime, me)
    r = hub_client.delete(f"/api/users/{me.id}", headers=headers)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "self_change_forbidden"
    r = hub_client.put(f"/api/users/{me.id}", json={"role": "supervisor"}, headers=headers)
    assert r.status_code == 409


def test_unknown_user_is_404(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.get("/api/users/no-existe", headers=headers)
    assert r.status_code == 404
    assert r.json()["detail"] == [
        {"type": "user_not_found", "msg": "El usuario no existe.", "loc": ["path", "user_id"]}
    ]


def test_roles_listing(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    r = hub_client.get("/api/roles", headers=auth_headers(hub_runtime, Role.ADMIN))
    assert r.status_code == 200
    body = r.json()
    roles = {x["role"]: x for x in body["roles"]}
    assert set(roles) == {r.value for r in Role}
    for role in Role:
        assert set(roles[role.value]["permissions"]) == set(MATRIX[role])
    assert roles["admin"]["label"] == "Administrador general"
    assert {p["name"] for p in body["permissions"]} == set(PERMISSIONS)
