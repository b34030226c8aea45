"""Sign-in at the hub: login, me, refresh rotation and reuse, logout, throttling."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.permissions import MATRIX, Role
from tests.central.auth.factories import PASSWORD, make_user

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def _login(client: TestClient, username: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def test_login_and_me(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    user = make_user(hub_runtime, Role.SUPERVISOR, username="ana.perez")
    body = _login(hub_client, "ANA.PEREZ ")
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    assert body["user"]["username"] == "ana.perez"
    me = hub_client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["id"] == user.id and data["role"] == "supervisor"
    assert data["role_label"] == "Supervisor de sede"
    assert set(data["permissions"]) == set(MATRIX[Role.SUPERVISOR])


def test_wrong_password_and_unknown_user_look_the_same(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_user(hub_runtime, username="luis")
    bad = hub_client.post("/api/auth/login", json={"username": "luis", "password": "nope"})
    unknown = hub_client.post("/api/auth/login", json={"username": "nadie", "password": "nope"})
    expected = {
        "detail": [
            {"type": "invalid_credentials", "msg": "Usuario o contraseña incorrectos.", "loc": []}
        ]
    }
    assert bad.status_code == unknown.status_code == 401
    assert bad.json() == unknown.json() == expected


def test_inactive_user_cannot_login(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    make_user(hub_runtime, username="ex.empleado", active=False)
    r = hub_client.post("/api/auth/login", json={"username": "ex.empleado", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "invalid_credentials"


def test_login_validation_errors_are_spanish(hub_client: TestClient) -> None:
    r = hub_client.post("/api/auth/login", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "missing",
            "msg": "Contraseña: este campo es obligatorio.",
            "loc": ["body", "password"],
        }
    ]


def test_missing_and_bad_tokens(hub_client: TestClient) -> None:
    r = hub_client.get("/api/auth/me")
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "not_authenticated"
    r = hub_client.get("/api/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "token_invalid"


def test_access_token_expires(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    hub_runtime.clock = clock = FixedClock(T0)
    make_user(hub_runtime, username="rosa")
    token = _login(hub_client, "rosa")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert hub_client.get("/api/auth/me", headers=headers).status_code == 200
    clock.advance(dt.timedelta(minutes=31))
    r = hub_client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "token_expired"


def test_deactivated_user_token_stops_working(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_user(hub_runtime, Role.ADMIN, username="jefe")
    target = make_user(hub_runtime, username="temporal")
    admin = {"Authorization": f"Bearer {_login(hub_client, 'jefe')['access_token']}"}
    mine = {"Authorization": f"Bearer {_login(hub_client, 'temporal')['access_token']}"}
    assert hub_client.delete(f"/api/users/{target.id}", headers=admin).status_code == 200
    r = hub_client.get("/api/auth/me", headers=mine)
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "user_inactive"


def test_refresh_rotates_and_reuse_revokes_family(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_user(hub_runtime, username="carla")
    first = _login(hub_client, "carla")["refresh_token"]
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    # presenting the rotated token again: refused, and the live one dies with it
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "refresh_invalid"
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": second})
    assert r.status_code == 401


def test_logout_revokes_refresh(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    make_user(hub_runtime, username="pedro")
    token = _login(hub_client, "pedro")["refresh_token"]
    r = hub_client.post("/api/auth/logout", json={"refresh_token": token})
    assert r.status_code == 200 and r.json()["message"] == "Sesión cerrada."
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 401


def test_throttle_after_five_failures(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    hub_runtime.clock = clock = FixedClock(T0)
    make_user(hub_runtime, username="maria")
    for _ in range(4):
        r = hub_client.post("/api/auth/login", json={"username": "maria", "password": "mal"})
        assert r.status_code == 401
    r = hub_client.post("/api/auth/login", json={"username": "maria", "password": "mal"})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "900"
    assert r.json()["detail"][0]["type"] == "login_throttled"
    # even the right password is refused while locked
    r = hub_client.post("/api/auth/login", json={"username": "maria", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 900
    clock.advance(dt.timedelta(minutes=10))
    r = hub_client.post("/api/auth/login", json={"username": "maria", "password": PASSWORD})
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    clock.advance(dt.timedelta(minutes=5, seconds=1))
    _login(hub_client, "maria")


def test_failed_logins_are_audited(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    admin = make_user(hub_runtime, Role.ADMIN, username="auditor")
    hub_client.post("/api/auth/login", json={"username": "auditor", "password": "mal"})
    token = _login(hub_client, "auditor")["access_token"]
    r = hub_client.get(
        "/api/audit", params={"user_id": admin.id}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
    actions = [e["action"] for e in r.json()["items"]]
    assert actions == ["login", "login_failed"]
    assert r.json()["items"][1]["ip"] == "testclient"
