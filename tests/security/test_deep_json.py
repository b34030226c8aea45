"""A JSON body nested thousands deep is a clear 422 ``json_too_deep`` on both apps; on the hub
it was a 500 (the NUL guard recursed over it) even without signing in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.central.auth.factories import auth_headers as hub_headers
from tests.edge.factories import auth_headers

TOO_DEEP = {
    "detail": [
        {"type": "json_too_deep", "msg": "El JSON enviado está anidado demasiado.", "loc": ["body"]}
    ]
}
JSON = {"Content-Type": "application/json"}


def _nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_hub_answers_deep_json_with_422(
    hub_client: TestClient, hub_runtime: HubRuntime, depth: int
) -> None:
    admin = {**hub_headers(hub_runtime, Role.ADMIN), **JSON}
    for body in (_nested(depth), _nested(depth, '"\\u0000"')):
        for headers in (admin, JSON):  # signed in, and anonymous (the login form)
            r = hub_client.post("/api/auth/login", content=body, headers=headers)
            assert (r.status_code, r.json()) == (422, TOO_DEEP)
        r = hub_client.post("/api/catalog/services", content=body, headers=admin)
        assert (r.status_code, r.json()) == (422, TOO_DEEP)


def test_hub_answers_a_nul_nested_just_parseably_deep_with_422(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    """Deep enough for the guard's old recursion to fail, shallow enough for the parser."""
    admin = {**hub_headers(hub_runtime, Role.ADMIN), **JSON}
    for path in ("/api/auth/login", "/api/catalog/services"):
        r = hub_client.post(path, content=_nested(950, '"\\u0000"'), headers=admin)
        assert r.status_code == 422, r.text


def test_hub_still_refuses_a_nul_nested_in_a_body(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    admin = {**hub_headers(hub_runtime, Role.ADMIN), **JSON}
    r = hub_client.post(
        "/api/catalog/services", content='{"name": [[{"x": "a\\u0000"}]]}', headers=admin
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "nul_character"


def test_edge_answers_deep_json_with_422(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    headers = {**auth_headers(edge_runtime, Role.RECEPCIONISTA), **JSON}
    r = edge_client.post("/api/patients", content=_nested(100_000), headers=headers)
    assert (r.status_code, r.json()) == (422, TOO_DEEP)
