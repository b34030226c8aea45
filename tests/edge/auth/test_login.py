"""Sign-in: login, /me, refresh rotation and reuse, logout, expiry, cookies and CSRF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from domain.clock import FixedClock
from domain.permissions import MATRIX, Role
from edge.audit.models import AuditEvent
from edge.auth.models import RefreshToken
from edge.auth.service import REFRESH_GRACE
from edge.auth.tokens import Principal, issue_access_token
from edge.db import read_session
from edge.runtime import EdgeRuntime
from tests.conftest import ADMIN_PASSWORD
from tests.edge.factories import PASSWORD, make_user

T0 = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["detail"][0]["type"]


def audit_actions(rt: EdgeRuntime) -> list[tuple[str, str | None, dict[str, Any]]]:
    with read_session(rt.engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.created_at))).all()
        return [(r.action, r.username, dict(r.details)) for r in rows]


def test_login_returns_tokens_profile_and_permissions(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    user = make_user(edge_runtime, Role.RECEPCIONISTA, username="mrojas")
    r = login(edge_client, "mrojas")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1800
    assert body["user"]["id"] == user.id and body["user"]["role"] == "recepcionista"
    assert body["user"]["role_label"] == "Recepcionista"
    assert body["permissions"] == sorted(MATRIX[Role.RECEPCIONISTA])
    assert len(body["refresh_token"]) >= 40
    # the refresh token is stored hashed only
    with read_session(edge_runtime.engine) as session:
        row = session.exec(select(RefreshToken)).one()
        assert row.user_id == user.id and body["refresh_token"] not in row.token_hash
        assert row.expires_at - row.issued_at == dt.timedelta(days=7)
    me = edge_client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "mrojas"
    assert ("login", "mrojas", {"role": "recepcionista"}) in audit_actions(edge_runtime)


def test_login_sets_cookies_httponly_samesite_strict(edge_client: TestClient) -> None:
    r = login(edge_client, "admin", ADMIN_PASSWORD)
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    assert "HttpOnly" in cookies["labred_access"] and "SameSite=strict" in cookies["labred_access"]
    assert "HttpOnly" in cookies["labred_refresh"] and "Path=/api/auth" in cookies["labred_refresh"]
    assert "HttpOnly" not in cookies["labred_csrf"]
    assert f"labred_csrf={r.json()['csrf_token']}" in cookies["labred_csrf"]


def test_wrong_password_and_unknown_user_are_the_same_401(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="lperez")
    bad = login(edge_client, "lperez", "otra-clave")
    unknown = login(edge_client, "nadie", "otra-clave")
    assert bad.json() == unknown.json()
    assert bad.json() == {
        "detail": [
            {
                "type": "invalid_credentials",
                "msg": "Usuario o contraseña incorrectos.",
                "loc": ["body", "password"],
            }
        ]
    }
    assert bad.status_code == 401
    failed = [a for a in audit_actions(edge_runtime) if a[0] == "login_failed"]
    assert [(u, d["reason"]) for _, u, d in failed] == [
        ("lperez", "bad_password"),
        ("nadie", "unknown_user"),
    ]


def test_inactive_user_cannot_log_in(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    make_user(edge_runtime, username="baja", active=False)
    assert error(login(edge_client, "baja")) == (401, "user_inactive")
    # the wrong password does not reveal that the account exists
    assert error(login(edge_client, "baja", "x")) == (401, "invalid_credentials")


def test_user_of_another_sede_cannot_log_in_here(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="otra", sede_ids=["sede-de-otro-lugar"])
    assert error(login(edge_client, "otra")) == (403, "sede_not_assigned")


def test_login_validation_errors_are_spanish(edge_client: TestClient) -> None:
    r = edge_client.post("/api/auth/login", json={"username": ""})
    assert r.status_code == 422
    assert {tuple(d["loc"]) for d in r.json()["detail"]} == {
        ("body", "username"),
        ("body", "password"),
    }


def test_refresh_rotates_and_reuse_revokes_the_chain(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="rota")
    first = login(edge_client, "rota").json()["refresh_token"]
    r1 = edge_client.post("/api/auth/refresh", json={"refresh_token": first})
    assert r1.status_code == 200, r1.text
    second = r1.json()["refresh_token"]
    assert second != first
    assert edge_client.get("/api/auth/me", headers=bearer(r1.json()["access_token"])).is_success
    r2 = edge_client.post("/api/auth/refresh", json={"refresh_token": second})
    third = r2.json()["refresh_token"]
    newest = bearer(r2.json()["access_token"])
    assert edge_client.get("/api/auth/me", headers=newest).is_success  # its sign-in is cached alive
    # the first token is presented again: the whole chain dies, the newest token too
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": first})) == (
        401,
        "refresh_token_reused",
    )
    # and at once, not when the cached answer ages: its access tokens are refused
    assert error(edge_client.get("/api/auth/me", headers=newest)) == (401, "session_revoked")
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": third})) == (
        401,
        "refresh_token_revoked",
    )
    with read_session(edge_runtime.engine) as session:
        tokens = session.exec(select(RefreshToken)).all()
        assert len(tokens) == 3 and all(t.revoked_at is not None for t in tokens)
        assert len({t.family_id for t in tokens}) == 1
    assert any(a[0] == "refresh_token_reused" for a in audit_actions(edge_runtime))


def test_refresh_reuse_does_not_touch_other_sessions(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    make_user(edge_runtime, username="dos")
    a = login(edge_client, "dos").json()["refresh_token"]
    b = login(edge_client, "dos").json()["refresh_token"]
    edge_client.post("/api/auth/refresh", json={"refresh_token": a})
    clock.advance(REFRESH_GRACE + dt.timedelta(seconds=1))  # not a second tab: a copy
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": a}))[1] == (
        "refresh_token_reused"
    )
    assert edge_client.post("/api/auth/refresh", json={"refresh_token": b}).status_code == 200


def test_two_tabs_refreshing_at_once_both_stay_signed_in(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """Two tabs share the refresh cookie: the one that comes second, within the grace, gets a
    token of the same chain instead of signing the counter out (and auditing a theft)."""
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    make_user(edge_runtime, username="pestanas")
    shared = login(edge_client, "pestanas").json()["refresh_token"]
    tab_a = edge_client.post("/api/auth/refresh", json={"refresh_token": shared})
    clock.advance(seconds=2)
    tab_b = edge_client.post("/api/auth/refresh", json={"refresh_token": shared})
    assert tab_a.status_code == 200 and tab_b.status_code == 200, tab_b.text
    a_next, b_next = tab_a.json()["refresh_token"], tab_b.json()["refresh_token"]
    assert len({shared, a_next, b_next}) == 3
    assert edge_client.get("/api/auth/me", headers=bearer(tab_b.json()["access_token"])).is_success
    for token in (a_next, b_next):  # both go on rotating normally
        assert edge_client.post("/api/auth/refresh", json={"refresh_token": token}).is_success
    with read_session(edge_runtime.engine) as session:
        assert len({t.family_id for t in session.exec(select(RefreshToken)).all()}) == 1
    assert not any(a[0] == "refresh_token_reused" for a in audit_actions(edge_runtime))


def test_a_rotated_token_whose_successor_was_used_is_a_reuse_even_within_the_grace(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    make_user(edge_runtime, username="copia")
    first = login(edge_client, "copia").json()["refresh_token"]
    second = edge_client.post("/api/auth/refresh", json={"refresh_token": first}).json()
    assert edge_client.post(
        "/api/auth/refresh", json={"refresh_token": second["refresh_token"]}
    ).is_success
    clock.advance(seconds=2)
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": first})) == (
        401,
        "refresh_token_reused",
    )


def test_refresh_errors(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    user = make_user(edge_runtime, username="vence")
    token = login(edge_client, "vence").json()["refresh_token"]
    edge_client.cookies.clear()
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": "x" * 43})) == (
        401,
        "token_invalid",
    )
    assert error(edge_client.post("/api/auth/refresh")) == (401, "refresh_token_missing")
    clock.advance(dt.timedelta(days=7, seconds=1))
    assert error(edge_client.post("/api/auth/refresh", json={"refresh_token": token})) == (
        401,
        "refresh_token_expired",
    )
    clock.set(T0)
    token = login(edge_client, "vence").json()["refresh_token"]
    clock.advance(dt.timedelta(days=6, hours=23))
    r = edge_client.post("/api/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 200
    # a user deactivated by the hub loses their sessions at the next refresh
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE user_account SET active = 0 WHERE id = ?", (user.id,))
    assert error(
        edge_client.post("/api/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
    ) == (401, "user_inactive")


def test_access_token_expiry_and_tampering(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    user = make_user(edge_runtime)
    principal = Principal(user.id, user.username, user.full_name, Role(user.role), user.sede_ids)
    secret = edge_runtime.settings.jwt_secret
    old = issue_access_token(
        principal, secret=secret, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    )
    assert error(edge_client.get("/api/auth/me", headers=bearer(old))) == (401, "token_expired")
    fresh = issue_access_token(
        principal, secret=secret, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=29)
    )
    assert edge_client.get("/api/auth/me", headers=bearer(fresh)).status_code == 200
    forged = issue_access_token(principal, secret="otro-secreto" * 4, now=dt.datetime.now(dt.UTC))
    assert error(edge_client.get("/api/auth/me", headers=bearer(forged))) == (401, "token_invalid")
    assert error(edge_client.get("/api/auth/me")) == (401, "not_authenticated")


def test_logout_revokes_the_refresh_token(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="sale")
    body = login(edge_client, "sale").json()
    other_device = login(edge_client, "sale").json()
    other = other_device["refresh_token"]
    edge_client.cookies.clear()
    r = edge_client.post(
        "/api/auth/logout",
        json={"refresh_token": body["refresh_token"]},
        headers=bearer(body["access_token"]),
    )
    assert r.status_code == 200 and r.json() == {"revoked": 1}
    assert error(
        edge_client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    ) == (401, "refresh_token_revoked")
    # the signed-out session's access token is dead too, not left to expire
    assert error(edge_client.get("/api/auth/me", headers=bearer(body["access_token"]))) == (
        401,
        "session_revoked",
    )
    # the other device's session is untouched until "all sessions"
    assert edge_client.post("/api/auth/refresh", json={"refresh_token": other}).is_success
    edge_client.cookies.clear()
    r = edge_client.post(
        "/api/auth/logout",
        json={"all_sessions": True},
        headers=bearer(other_device["access_token"]),
    )
    assert r.json() == {"revoked": 1}
    assert ("logout", "sale", {"revoked": 1, "all_sessions": True}) in audit_actions(edge_runtime)
    assert error(edge_client.post("/api/auth/logout", json={})) == (401, "not_authenticated")


def test_cookie_session_needs_csrf_for_unsafe_requests(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="web")
    csrf = login(edge_client, "web").json()["csrf_token"]  # the client now holds the cookies
    assert edge_client.get("/api/auth/me").status_code == 200  # safe method: no CSRF needed
    assert error(edge_client.post("/api/auth/logout", json={})) == (403, "csrf_failed")
    assert error(
        edge_client.post("/api/auth/logout", json={}, headers={"X-CSRF-Token": "otro"})
    ) == (403, "csrf_failed")
    # refreshing from the cookie needs the CSRF header too, then rotates every cookie
    assert error(edge_client.post("/api/auth/refresh")) == (403, "csrf_failed")
    r = edge_client.post("/api/auth/refresh", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    assert edge_client.cookies.get("labred_csrf") == csrf
    r = edge_client.post("/api/auth/logout", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json() == {"revoked": 1}
    assert edge_client.get("/api/auth/me").status_code == 401  # cookies cleared


def test_bearer_requests_need_no_csrf(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    make_user(edge_runtime, username="tui")
    token = login(edge_client, "tui").json()["access_token"]
    edge_client.cookies.clear()
    assert edge_client.post("/api/auth/logout", json={}, headers=bearer(token)).status_code == 200


def test_me_reflects_deactivation(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    make_user(edge_runtime, username="luego")
    token = login(edge_client, "luego").json()["access_token"]
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE user_account SET active = 0 WHERE username = 'luego'")
    assert error(edge_client.get("/api/auth/me", headers=bearer(token))) == (401, "user_inactive")
