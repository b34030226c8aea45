"""Hub sessions: signing out ends the access token at once, and a cookie is no credential
(the hub has no CSRF token, so a cookie-borne token would let any site post as the user)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import make_user

PASSWORD = "clave-central-2026"


def _login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, str] = r.json()
    return body


def _me(client: TestClient, token: str) -> tuple[int, str]:
    r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code, (r.json()["detail"][0]["type"] if r.status_code != 200 else "")


def test_logout_and_refresh_reuse_end_the_access_tokens_of_the_sign_in(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_user(hub_runtime, Role.SUPERVISOR, username="sup", password=PASSWORD)
    first, other = _login(hub_client, "sup"), _login(hub_client, "sup")
    assert _me(hub_client, first["access_token"]) == (200, "")
    r = hub_client.post("/api/auth/logout", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    assert _me(hub_client, first["access_token"]) == (401, "session_revoked")
    assert _me(hub_client, other["access_token"]) == (200, "")  # another sign-in lives on

    # a reused (already rotated) refresh token closes the chain and its access tokens
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 200, r.text
    rotated = r.json()
    r = hub_client.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 401
    assert _me(hub_client, rotated["access_token"]) == (401, "session_revoked")


def test_a_cookie_is_not_a_credential(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    make_user(hub_runtime, Role.ADMIN, username="jefa", password=PASSWORD)
    token = _login(hub_client, "jefa")["access_token"]
    hub_client.cookies.set("labred_hub_access", token)
    r = hub_client.get("/api/auth/me")
    assert r.status_code == 401
    assert r.json()["detail"][0]["type"] == "not_authenticated"
