"""``GET /api/web/users``: the node's users for the audit page's user filter (supervisors)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.edge.factories import make_user, token_for


def test_supervisor_lists_every_user_by_username(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    sup = make_user(edge_runtime, Role.SUPERVISOR, username="zoila")
    make_user(edge_runtime, Role.RECEPCIONISTA, username="beto", active=False)
    r = edge_client.get(
        "/api/web/users", headers={"Authorization": f"Bearer {token_for(edge_runtime, sup)}"}
    )
    assert r.status_code == 200, r.text
    users = r.json()
    names = [u["username"] for u in users]
    assert names == sorted(names) and {"admin", "beto", "zoila"} <= set(names)
    beto = next(u for u in users if u["username"] == "beto")
    assert beto["active"] is False and beto["role"] == "recepcionista"
    assert set(beto) == {"id", "username", "full_name", "role", "active"}  # no password hash


def test_receptionist_is_refused_in_spanish(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    recep = make_user(edge_runtime, Role.RECEPCIONISTA)
    r = edge_client.get(
        "/api/web/users", headers={"Authorization": f"Bearer {token_for(edge_runtime, recep)}"}
    )
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"]
    assert edge_client.get("/api/web/users").status_code == 401
