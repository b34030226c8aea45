"""A live access token follows its user's row: deactivation, a new role or a sede taken away
applies to the next request once the row changes (kept at most ``TTL_SECONDS``), not when the
token expires 30 minutes later."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from domain.ids import sede_id_for
from domain.permissions import Role
from edge.auth.live import TTL_SECONDS, LiveUsers
from edge.auth.models import User
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.factories import make_user, token_for


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watched(client: TestClient, rt: EdgeRuntime) -> Ticker:
    """Give the app a memory of users whose time the test moves."""
    ticker = Ticker()
    app: Any = client.app
    app.state.live_users = LiveUsers(rt.engine, monotonic=ticker)
    return ticker


def signed_in(
    client: TestClient, rt: EdgeRuntime, role: Role, probe: str = "/api/orders"
) -> tuple[Ticker, User, dict[str, str]]:
    """A user of ``role`` whose token works on ``probe``, with the test's clock on the app."""
    ticker = watched(client, rt)
    user = make_user(rt, role)
    headers = {"Authorization": f"Bearer {token_for(rt, user)}"}
    assert client.get(probe, headers=headers).status_code == 200
    return ticker, user, headers


def change_user(rt: EdgeRuntime, user_id: str, **values: object) -> None:
    """What replication does when the hub changes the user."""
    with unit_of_work(rt.engine) as session:
        row = session.exec(select(User).where(User.id == user_id)).one()
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)


def test_a_deactivated_users_token_stops_working(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    ticker, user, headers = signed_in(edge_client, edge_runtime, Role.RECEPCIONISTA)

    change_user(edge_runtime, user.id, active=False)
    ticker.now += TTL_SECONDS + 0.1
    r = edge_client.get("/api/orders", headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["detail"][0]["type"] == "user_inactive"
    assert "desactivado" in r.json()["detail"][0]["msg"]
    assert edge_client.post("/api/orders", json={}, headers=headers).status_code == 401


def test_the_row_is_read_once_per_burst_of_requests(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    ticker, user, headers = signed_in(edge_client, edge_runtime, Role.RECEPCIONISTA)
    change_user(edge_runtime, user.id, active=False)
    ticker.now += TTL_SECONDS / 2  # same burst: the answer read a moment ago stands
    assert edge_client.get("/api/orders", headers=headers).status_code == 200
    ticker.now += TTL_SECONDS
    assert edge_client.get("/api/orders", headers=headers).status_code == 401


def test_a_new_role_applies_to_a_token_issued_under_the_old_one(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    ticker, user, headers = signed_in(edge_client, edge_runtime, Role.SUPERVISOR, "/api/audit")

    change_user(edge_runtime, user.id, role=Role.RECEPCIONISTA.value)
    ticker.now += TTL_SECONDS + 0.1
    r = edge_client.get("/api/audit", headers=headers)
    assert r.status_code == 403, r.text
    assert r.json()["detail"][0]["type"] == "permission_denied"


def test_a_user_taken_off_this_sede_loses_it(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    ticker, user, headers = signed_in(edge_client, edge_runtime, Role.RECEPCIONISTA)

    change_user(edge_runtime, user.id, sede_ids=[sede_id_for("S02")])
    ticker.now += TTL_SECONDS + 0.1
    r = edge_client.get("/api/orders", headers=headers)
    assert r.status_code == 403, r.text
    assert r.json()["detail"][0]["type"] == "sede_not_assigned"


def test_a_token_of_a_user_the_node_does_not_have_is_refused(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    watched(edge_client, edge_runtime)
    user = make_user(edge_runtime, Role.RECEPCIONISTA)
    token = token_for(edge_runtime, user)
    with unit_of_work(edge_runtime.engine) as session:
        session.delete(session.exec(select(User).where(User.id == user.id)).one())
    r = edge_client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.json()["detail"][0]["type"] == "token_invalid"
