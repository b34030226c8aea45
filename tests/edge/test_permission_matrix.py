"""The whole permission matrix, walked over every route of the edge app at run time.

For each route the test finds the permission(s) its ``require(...)`` dependencies name
(``deps.require`` stores it on the dependency as ``permission``) and calls the route with a
token of every role: a role without the permission gets 403 ``permission_denied``, a role with
it never gets 401/403 (404, 422 and so on are fine: the bodies are empty). A route without a
permission must be listed below as public or as "any signed-in user", or the test fails, so
a router added tomorrow is checked without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from domain.errors import Forbidden
from domain.ids import new_id, sede_id_for
from domain.permissions import MATRIX, PERMISSIONS, Role, matrix_markdown
from edge.app import create_app
from edge.deps import require
from edge.runtime import EdgeRuntime
from edge.web.router import PUBLIC_PAGES
from tests.edge.factories import make_user, token_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"

# Routes anyone may call, without a token.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/refresh"),
        ("GET", "/health"),
        ("GET", "/ready"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
    }
)
PUBLIC |= PUBLIC_PAGES  # the reception UI's page shells and assets (edge/web): they hold no data
# Machine endpoints: authenticated by their own credentials, never by a user's token.
MACHINE: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/api/lab-sync/results")}  # the laboratory system's webhook, with its token
)
# Routes for any signed-in user, whatever the role.
SIGNED_IN: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/api/auth/me"), ("POST", "/api/auth/logout")}
)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, e.g. /api/orders/{order_id}
    url: str  # with sample path parameters
    permissions: frozenset[str]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _permissions(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    stack = [dependant]
    while stack:
        dep = stack.pop()
        permission = getattr(dep.call, "permission", None)
        if isinstance(permission, str):
            found.add(permission)
        stack.extend(dep.dependencies)
    return found


def _sample_url(route: Any) -> str:
    def value(match: re.Match[str]) -> str:
        convertor = route.param_convertors.get(match.group(1))
        kind = type(convertor).__name__ if convertor else ""
        return "1" if kind in {"IntegerConvertor", "FloatConvertor"} else new_id()

    return re.sub(r"{([^}:]+)(?::[^}]*)?}", value, route.path)


def _flat_routes(app: FastAPI) -> Iterator[tuple[Any, BaseRoute]]:
    """(route, original route) pairs; FastAPI >= 0.165 keeps included routers unflattened."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        for route in app.routes:
            yield route, route
    else:
        for context in iter_contexts(app.routes):
            yield context, context.original_route


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    for route, original in _flat_routes(app):
        if not isinstance(original, Route) or not route.methods:
            continue
        api = isinstance(original, APIRoute)
        perms = frozenset(_permissions(route.dependant)) if api else frozenset()
        for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}):
            yield Endpoint(method, route.path, _sample_url(route), perms)


def call(client: TestClient, ep: Endpoint, headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"json": {}} if ep.method in {"POST", "PUT", "PATCH"} else {}
    return client.request(ep.method, ep.url, headers=headers or {}, **body)


def code(r: Any) -> str | None:
    try:
        return str(r.json()["detail"][0]["type"])
    except Exception:  # noqa: BLE001 - any non-error body
        return None


@pytest.fixture
def client(edge_runtime: EdgeRuntime) -> Iterator[TestClient]:
    # Hundreds of calls: lift the rate limit so it never answers for the matrix.
    settings = edge_runtime.settings.model_copy(update={"rate_limit_per_minute": 1_000_000})
    with TestClient(create_app(settings, runtime=edge_runtime)) as c:
        yield c


def _bearer(rt: EdgeRuntime, role: Role, sede_ids: list[str] | None = None) -> dict[str, str]:
    user = make_user(rt, role, username=f"matriz-{role.value}-{new_id()[-8:]}", sede_ids=sede_ids)
    return {"Authorization": f"Bearer {token_for(rt, user)}"}


def matrix_problems(client: TestClient, rt: EdgeRuntime) -> list[str]:
    """Every way the app's routes disagree with the matrix, as readable lines."""
    app: FastAPI = client.app  # type: ignore[assignment]
    eps = list(endpoints(app))
    protected = [ep for ep in eps if ep.permissions]
    problems: list[str] = []
    for ep in eps:
        key = (ep.method, ep.path)
        unknown = ep.permissions - PERMISSIONS.keys()
        if unknown:
            problems.append(f"{ep}: names unknown permission(s) {sorted(unknown)}")
        if not ep.permissions and key not in PUBLIC | SIGNED_IN | MACHINE:
            problems.append(f"{ep}: no require(...) and not in the public allow-list")
        if ep.permissions and key in PUBLIC | SIGNED_IN | MACHINE:
            problems.append(f"{ep}: listed as public but requires {sorted(ep.permissions)}")

    tokens = {role: _bearer(rt, role) for role in Role}
    elsewhere = sede_id_for("S99")
    other_sede = {
        role: _bearer(rt, role, sede_ids=[elsewhere]) for role in Role if role is not Role.ADMIN
    }
    for ep in protected:
        if ep.permissions - PERMISSIONS.keys():
            continue
        r = call(client, ep)
        if r.status_code != 401:
            problems.append(f"{ep}: without a token answered {r.status_code}, not 401")
        for role in Role:
            allowed = ep.permissions <= MATRIX[role]
            r = call(client, ep, tokens[role])
            if not allowed and (r.status_code, code(r)) != (403, "permission_denied"):
                problems.append(f"{ep}: {role.value} lacks it but got {r.status_code} {code(r)}")
            if allowed and r.status_code in (401, 403):
                problems.append(f"{ep}: {role.value} has it but got {r.status_code} {code(r)}")
        sede_roles = [role for role in other_sede if ep.permissions <= MATRIX[role]]
        if sede_roles:  # admin-only permissions: admins act in every sede
            r = call(client, ep, other_sede[sede_roles[0]])
            if (r.status_code, code(r)) != (403, "sede_not_assigned"):
                problems.append(
                    f"{ep}: {sede_roles[0].value} of another sede got {r.status_code} {code(r)}"
                )
    present = {(ep.method, ep.path) for ep in eps}
    for method, path in sorted(MACHINE & present):
        ep = Endpoint(method, path, path, frozenset())
        r = call(client, ep)
        if r.status_code < 400:
            problems.append(f"{ep}: machine route answered {r.status_code} without credentials")
    for method, path in sorted(SIGNED_IN):
        ep = Endpoint(method, path, path, frozenset())
        if call(client, ep).status_code != 401:
            problems.append(f"{ep}: signed-in route answered without a token")
        for role in Role:
            r = call(client, ep, tokens[role])
            if r.status_code in (401, 403):
                problems.append(f"{ep}: {role.value} got {r.status_code} {code(r)}")
    return problems


def test_every_route_is_permission_checked_as_the_matrix_says(
    client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    protected = [ep for ep in endpoints(app) if ep.permissions]
    # the walker itself works: it sees the audit route and its permission
    assert Endpoint("GET", "/api/audit", "/api/audit", frozenset({"audit.read"})) in protected
    problems = matrix_problems(client, edge_runtime)
    assert not problems, "\n".join(problems)


def test_the_walk_catches_unprotected_and_miswired_routes(edge_runtime: EdgeRuntime) -> None:
    settings = edge_runtime.settings.model_copy(update={"rate_limit_per_minute": 1_000_000})
    app = create_app(settings, runtime=edge_runtime)
    extra = APIRouter()

    @extra.get("/api/zz/sin-permiso")
    def unprotected() -> dict[str, str]:
        return {}

    @extra.get("/api/zz/siempre-403", dependencies=[Depends(require("order.read"))])
    def always_denied() -> dict[str, str]:
        raise Forbidden("No.", code="permission_denied")

    @extra.get("/api/zz/permiso-inventado", dependencies=[Depends(fake_require("x.y"))])
    def invented() -> dict[str, str]:
        return {}

    app.include_router(extra)
    with TestClient(app) as client:
        problems = matrix_problems(client, edge_runtime)
    assert "GET /api/zz/sin-permiso: no require(...) and not in the public allow-list" in problems
    assert "GET /api/zz/siempre-403: admin has it but got 403 permission_denied" in problems
    assert "GET /api/zz/permiso-inventado: names unknown permission(s) ['x.y']" in problems
    assert all("/api/zz/" in p for p in problems), problems


def fake_require(permission: str) -> Any:
    def dependency() -> None:
        return None

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def test_public_routes_need_no_token(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    for ep in endpoints(app):
        if (ep.method, ep.path) in PUBLIC:
            r = call(client, ep)
            assert r.status_code != 403, f"{ep}: {r.status_code} {r.text[:200]}"
            assert code(r) != "not_authenticated", f"{ep}: asks for a token"


def test_docs_permissions_md_is_in_step_with_the_matrix() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- matrix:start -->\n", "\n<!-- matrix:end -->"
    assert start in text and end in text, "docs/permissions.md lost its matrix markers"
    embedded = text.split(start, 1)[1].split(end, 1)[0]
    assert embedded == matrix_markdown(), (
        "docs/permissions.md is out of step with domain.permissions; regenerate the table "
        "between the markers with domain.permissions.matrix_markdown()"
    )
