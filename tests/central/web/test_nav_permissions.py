"""The dashboard offers a page only to users who may see its data: each nav entry carries the
permission of the API the page loads, and that is the permission the API checks."""

from __future__ import annotations

import importlib
import re
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from central.app import ROUTER_MODULES
from central.web.router import PAGE_PERMISSIONS, PAGES
from domain.permissions import MATRIX, PERMISSIONS, Role

# page -> the GET endpoint whose data it shows first
PROBES = {
    "tablero": "/api/reports/dashboard",
    "sedes": "/api/web/sync-health",
    "conflictos": "/api/sync/conflicts",
    "cierres": "/api/reconciliation/closures",
    "catalogo": "/api/catalog/services",
    "usuarios": "/api/web/users",
    "sedes_series": "/api/web/sedes",
    "parametros": "/api/web/settings",
    "plantillas": "/api/web/notification-templates",
    "notificaciones": "/api/web/notifications",
    "alarmas": "/api/web/sunat-alarms",
    "convenios": "/api/web/convenios",
    "laboratorios": "/api/lab/systems",
    "auditoria": "/api/audit",
}


def _permissions(dep: Dependant) -> set[str]:
    found: set[str] = set()
    for sub in dep.dependencies:
        permission = getattr(sub.call, "permission", None)
        if permission:
            found.add(permission)
        found |= _permissions(sub)
    return found


def _get_route(path: str) -> APIRoute:
    for module in ROUTER_MODULES:
        for route in importlib.import_module(module).router.routes:
            if (
                isinstance(route, APIRoute)
                and route.path == path
                and "GET" in (route.methods or ())
            ):
                return route
    raise AssertionError(f"no GET {path}")


def test_every_page_names_the_permission_its_api_checks() -> None:
    pages = set(PAGES) - {"login"}
    assert set(PAGE_PERMISSIONS) == pages == set(PROBES)
    for page, permission in PAGE_PERMISSIONS.items():
        assert permission in PERMISSIONS, (page, permission)
        assert _permissions(_get_route(PROBES[page]).dependant) == {permission}, page


def test_nav_entries_carry_their_permission_hidden_until_the_script_checks(
    hub_client: TestClient,
) -> None:
    html = hub_client.get("/panel/convenios").text
    nav = re.search(r'<nav aria-label="Principal">(.*?)</nav>', html, re.S)
    assert nav is not None
    links: list[Any] = re.findall(r'<a href="([^"]+)" data-perm="([^"]+)" hidden', nav.group(1))
    assert dict(links) == {PAGES[p][0]: perm for p, perm in PAGE_PERMISSIONS.items()}
    assert (
        "el.hidden = !perms.has(el.dataset.perm)"
        in hub_client.get(
            re.search(r'src="([^"]+/app\.js)"', html).group(1)  # type: ignore[union-attr]
        ).text
    )


def test_each_role_is_offered_what_it_may_see() -> None:
    offered = {
        role: sorted(p for p, perm in PAGE_PERMISSIONS.items() if perm in MATRIX[role])
        for role in Role
    }
    assert offered[Role.ADMIN] == sorted(PAGE_PERMISSIONS)
    assert "convenios" in offered[Role.SUPERVISOR]
    assert "laboratorios" not in offered[Role.SUPERVISOR]
    assert offered[Role.RECEPCIONISTA] == ["catalogo"]
