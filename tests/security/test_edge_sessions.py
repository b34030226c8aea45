"""Edge sessions: the access tokens of a sign-in end with it (logout without a refresh token in
hand, a reused refresh token), not 30 minutes later."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient

from domain.clock import FixedClock
from edge.auth import live
from edge.runtime import EdgeRuntime
from tests.edge.auth.test_login import bearer, error, login
from tests.edge.factories import make_user


def test_a_reused_refresh_token_ends_the_chains_access_tokens(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    clock = edge_runtime.clock = FixedClock(dt.datetime.now(dt.UTC))
    make_user(edge_runtime, username="caja1")
    signed = login(edge_client, "caja1").json()
    edge_client.cookies.clear()
    r = edge_client.post("/api/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert edge_client.get("/api/auth/me", headers=bearer(rotated["access_token"])).is_success
    # the stolen, already rotated token comes back (past the two-tabs grace): the chain ends
    clock.advance(seconds=60)
    r = edge_client.post("/api/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert error(r) == (401, "refresh_token_reused")
    time.sleep(live.TTL_SECONDS + 0.1)  # another process's memory of the session expires
    for token in (signed["access_token"], rotated["access_token"]):
        r = edge_client.get("/api/auth/me", headers=bearer(token))
        assert error(r) == (401, "session_revoked")


def test_logout_with_only_the_access_token_ends_its_sign_in(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="caja2")
    signed = login(edge_client, "caja2").json()
    edge_client.cookies.clear()
    r = edge_client.post("/api/auth/logout", json={}, headers=bearer(signed["access_token"]))
    assert r.status_code == 200 and r.json() == {"revoked": 1}
    assert error(edge_client.get("/api/auth/me", headers=bearer(signed["access_token"]))) == (
        401,
        "session_revoked",
    )
    r = edge_client.post("/api/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert error(r) == (401, "refresh_token_revoked")
