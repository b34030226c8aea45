"""Forgot/reset password end to end through the in-memory mail outbox, and admin resets."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from central.mail import InMemoryMailer
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.permissions import Role
from tests.central.auth.factories import PASSWORD, auth_headers, make_user

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
NEW = "nueva-clave-2026"


def _outbox(client: TestClient) -> InMemoryMailer:
    mailer = InMemoryMailer()
    client.app.state.mailer = mailer  # type: ignore[attr-defined]
    return mailer


def _token(body: str) -> str:
    match = re.search(r"próxima hora:\n\n(\S+)\n", body)
    assert match, body
    return match.group(1)


def _login_status(client: TestClient, username: str, password: str) -> int:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    return r.status_code


def test_forgot_and_reset_end_to_end(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    mail = _outbox(hub_client)
    make_user(hub_runtime, username="olga", email="olga@labred.pe")
    refresh = hub_client.post(
        "/api/auth/login", json={"username": "olga", "password": PASSWORD}
    ).json()["refresh_token"]
    r = hub_client.post("/api/auth/forgot-password", json={"email": "OLGA@labred.pe"})
    assert r.status_code == 202
    assert len(mail.outbox) == 1 and mail.outbox[0].to == "olga@labred.pe"
    token = _token(mail.outbox[0].body)
    r = hub_client.post("/api/auth/reset-password", json={"token": token, "new_password": NEW})
    assert r.status_code == 200, r.text
    assert _login_status(hub_client, "olga", PASSWORD) == 401
    assert _login_status(hub_client, "olga", NEW) == 200
    # the token is one-time, and open sessions were closed
    r = hub_client.post("/api/auth/reset-password", json={"token": token, "new_password": NEW})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "reset_token_invalid"
    assert r.json()["detail"][0]["loc"] == ["body", "token"]
    assert hub_client.post("/api/auth/refresh", json={"refresh_token": refresh}).status_code == 401


def test_forgot_never_reveals_whether_the_email_exists(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    mail = _outbox(hub_client)
    make_user(hub_runtime, username="ines", email="ines@labred.pe")
    make_user(hub_runtime, username="baja", email="baja@labred.pe", active=False)
    known = hub_client.post("/api/auth/forgot-password", json={"email": "ines@labred.pe"})
    unknown = hub_client.post("/api/auth/forgot-password", json={"email": "nadie@labred.pe"})
    inactive = hub_client.post("/api/auth/forgot-password", json={"email": "baja@labred.pe"})
    assert known.status_code == unknown.status_code == inactive.status_code == 202
    assert known.json() == unknown.json() == inactive.json()
    assert [m.to for m in mail.outbox] == ["ines@labred.pe"]


def test_reset_token_expires_after_one_hour(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    hub_runtime.clock = clock = FixedClock(T0)
    mail = _outbox(hub_client)
    make_user(hub_runtime, username="tito", email="tito@labred.pe")
    hub_client.post("/api/auth/forgot-password", json={"email": "tito@labred.pe"})
    clock.advance(dt.timedelta(hours=1, seconds=1))
    r = hub_client.post(
        "/api/auth/reset-password",
        json={"token": _token(mail.outbox[0].body), "new_password": NEW},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "reset_token_invalid"


def test_reset_refuses_short_password(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    mail = _outbox(hub_client)
    make_user(hub_runtime, username="eva", email="eva@labred.pe")
    hub_client.post("/api/auth/forgot-password", json={"email": "eva@labred.pe"})
    token = _token(mail.outbox[0].body)
    r = hub_client.post("/api/auth/reset-password", json={"token": token, "new_password": "123"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "password_too_short",
            "msg": "La contraseña debe tener al menos 8 caracteres.",
            "loc": ["body", "new_password"],
        }
    ]
    # the token was not spent by the refused attempt
    r = hub_client.post("/api/auth/reset-password", json={"token": token, "new_password": NEW})
    assert r.status_code == 200


def test_forgot_validates_email(hub_client: TestClient) -> None:
    r = hub_client.post("/api/auth/forgot-password", json={"email": "no-es-correo"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "email_invalid"
    assert r.json()["detail"][0]["loc"] == ["body", "email"]


def test_admin_resets_a_password(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    target = make_user(hub_runtime, username="hugo")
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(
        f"/api/users/{target.id}/reset-password", json={"new_password": NEW}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert _login_status(hub_client, "hugo", NEW) == 200
    audit = hub_client.get(
        "/api/audit", params={"action": "user.password_reset"}, headers=headers
    ).json()
    assert audit["total"] == 1 and audit["items"][0]["record_id"] == target.id
