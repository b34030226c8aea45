"""Login throttling: 5 failures of a (username, IP) pair lock it for 15 minutes, in SQLite."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from domain.clock import FixedClock
from edge.app import create_app
from edge.audit.models import AuditEvent
from edge.auth.models import LoginThrottle
from edge.db import read_session
from edge.runtime import EdgeRuntime
from tests.edge.factories import PASSWORD, make_user

T0 = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)


def attempt(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def fail_times(client: TestClient, username: str, n: int) -> list[int]:
    return [attempt(client, username, "mala").status_code for _ in range(n)]


def test_five_failures_lock_the_pair_for_fifteen_minutes(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    make_user(edge_runtime, username="ana")
    assert fail_times(edge_client, "ana", 5) == [401] * 5
    clock.advance(seconds=60)
    r = attempt(edge_client, "ana", PASSWORD)  # even the right password waits
    assert r.status_code == 429
    assert r.headers["Retry-After"] == str(14 * 60)
    detail = r.json()["detail"][0]
    assert detail["type"] == "login_throttled"
    assert detail["msg"].startswith("Demasiados intentos fallidos")
    assert detail["ctx"] == {"retry_after": 840}
    clock.advance(seconds=14 * 60 - 1)
    assert attempt(edge_client, "ana", PASSWORD).headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert attempt(edge_client, "ana", PASSWORD).status_code == 200


def test_the_lock_is_per_username_and_ip(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="beto")
    make_user(edge_runtime, username="carla")
    fail_times(edge_client, "beto", 5)
    assert attempt(edge_client, "beto", PASSWORD).status_code == 429
    assert attempt(edge_client, "carla", PASSWORD).status_code == 200  # another user
    # the same user from another PC of the sede is not locked
    app = create_app(edge_runtime.settings, runtime=edge_runtime)
    with TestClient(app, client=("192.168.1.77", 50000)) as other_pc:
        assert attempt(other_pc, "beto", PASSWORD).status_code == 200
    with read_session(edge_runtime.engine) as session:
        rows = session.exec(select(LoginThrottle)).all()
        assert [(r.username, r.ip) for r in rows] == [("beto", "testclient")]
        assert rows[0].locked_until is not None


def test_username_case_does_not_dodge_the_lock(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="dora")
    for name in ["dora", "DORA", "Dora", "dOra", "doRA"]:
        attempt(edge_client, name, "mala")
    assert attempt(edge_client, "dora", PASSWORD).status_code == 429


def test_success_resets_the_count(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    make_user(edge_runtime, username="eva")
    fail_times(edge_client, "eva", 4)
    assert attempt(edge_client, "eva", PASSWORD).status_code == 200
    assert fail_times(edge_client, "eva", 4) == [401] * 4
    assert attempt(edge_client, "eva", PASSWORD).status_code == 200
    with read_session(edge_runtime.engine) as session:
        assert session.exec(select(LoginThrottle)).all() == []


def test_old_failures_fall_out_of_the_window(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    clock = FixedClock(T0)
    edge_runtime.clock = clock
    make_user(edge_runtime, username="fito")
    fail_times(edge_client, "fito", 4)
    clock.advance(dt.timedelta(minutes=16))
    assert fail_times(edge_client, "fito", 4) == [401] * 4
    assert attempt(edge_client, "fito", PASSWORD).status_code == 200


def test_the_lock_survives_a_restart(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    make_user(edge_runtime, username="gina")
    fail_times(edge_client, "gina", 5)
    edge_runtime.engine.dispose()
    fresh = EdgeRuntime.open(edge_runtime.settings)
    with TestClient(create_app(fresh.settings, runtime=fresh)) as client:
        assert attempt(client, "gina", PASSWORD).status_code == 429
    fresh.engine.dispose()


def test_failures_and_throttling_are_audited(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    make_user(edge_runtime, username="hugo")
    fail_times(edge_client, "hugo", 5)
    attempt(edge_client, "hugo", PASSWORD)
    with read_session(edge_runtime.engine) as session:
        events = session.exec(
            select(AuditEvent).order_by(col(AuditEvent.created_at), col(AuditEvent.id))
        ).all()
        seen = [(e.action, e.details.get("locked"), e.ip) for e in events]
    assert seen == [("login_failed", False, "testclient")] * 4 + [
        ("login_failed", True, "testclient"),
        ("login_throttled", None, "testclient"),
        ("login_throttled", None, "testclient"),
    ]
