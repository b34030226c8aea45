"""The hub's permission matrix, walked over ``app.routes``.

Every API route either names a permission through ``require(...)`` (found on the dependency as
``.permission``) or is in the public allow-list below. For each such route and each role, a user
of that role gets 403 ``permission_denied`` exactly when ``domain.permissions`` says the role lacks
the permission; every such route refuses an anonymous caller with 401.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.settings import HubSettings
from central.web.router import PUBLIC_PAGES
from domain.permissions import PERMISSIONS, Role, has_permission
from tests.central.auth.factories import headers_for, make_user

# (method, path) that need no permission: sign-in itself, or only a signed-in user.
PUBLIC: set[tuple[str, str]] = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/forgot-password"),
    ("POST", "/api/auth/reset-password"),
    ("GET", "/api/auth/me"),
}
PUBLIC |= PUBLIC_PAGES  # the dashboard's page shells and assets (no data)
# Prefixes whose routes authenticate something other than a user (edge nodes); the sync part of
# the hub declares them here when its routes arrive.
NODE_AUTH_PREFIXES: tuple[str, ...] = ("/api/sync/",)


def _permission(dependant: Any) -> str | None:
    for dep in dependant.dependencies:
        perm = getattr(dep.call, "permission", None)
        if perm:
            return str(perm)
        found = _permission(dep)
        if found:
            return found
    return None


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, descending into included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _walk(route.original_router.routes)


def api_routes(app: Any) -> list[tuple[str, str, str | None]]:
    return sorted(
        (method, route.path, _permission(route.dependant))
        for route in _walk(app.routes)
        for method in route.methods or ()
    )


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-7000-8000-000000000000", path)


def test_every_route_is_permission_checked_or_public(hub_client: TestClient) -> None:
    routes = api_routes(hub_client.app)
    unchecked = [
        (m, p)
        for m, p, perm in routes
        if perm is None
        and (m, p) not in PUBLIC
        and p.startswith("/api/")
        and not p.startswith(NODE_AUTH_PREFIXES)
    ]
    assert unchecked == []
    assert all(perm in PERMISSIONS for _, _, perm in routes if perm)
    assert {(m, p) for m, p, _ in routes} >= PUBLIC
    # the walk sees the routes of every router module (not only the app's own)
    mine = {p for _, p, _ in routes}
    assert {"/api/users/{user_id}", "/api/catalog/services", "/api/audit"} <= mine
    openapi = hub_client.get("/openapi.json").json()["paths"]
    assert {p for p in mine if p.startswith("/api/")} == {
        p for p in openapi if p.startswith("/api/")
    }


@pytest.fixture
def hub_settings(hub_settings: HubSettings) -> HubSettings:
    """Each role calls every route within a minute: more than the default 100 per user."""
    return hub_settings.model_copy(update={"rate_limit_per_minute": 10_000})


def _checked(client: TestClient) -> list[tuple[str, str, str]]:
    return [(m, p, perm) for m, p, perm in api_routes(client.app) if perm]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_gets_403_exactly_when_the_matrix_says(
    role: Role, hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = headers_for(hub_runtime, make_user(hub_runtime, role))
    wrong: list[str] = []
    checked = _checked(hub_client)
    assert len(checked) >= 25
    for method, path, perm in checked:
        r = hub_client.request(method, _url(path), headers=headers, json={})
        denied = r.status_code == 403
        if denied != (not has_permission(role, perm)) or r.status_code >= 500:
            wrong.append(f"{method} {path} ({perm}) -> {r.status_code}")
        if denied:
            assert r.json()["detail"][0]["type"] == "permission_denied"
    assert wrong == []


def test_anonymous_gets_401_on_every_checked_route(hub_client: TestClient) -> None:
    for method, path, _ in _checked(hub_client):
        r = hub_client.request(method, _url(path), json={})
        assert r.status_code == 401, (method, path)
        assert r.json()["detail"][0]["type"] == "not_authenticated"
