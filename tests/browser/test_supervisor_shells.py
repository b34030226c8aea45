"""The reception's supervisor pages (discount queue, hub closures) as shells, without a browser:
served in Spanish, CSP-clean, their modules present, and their menu links hidden until the
signed-in user's permissions say otherwise (``app.js`` shows them)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from edge.web import router as web_router

V = web_router.ASSET_VERSION
SHELLS = {
    "/recepcion/descuentos": ("Descuentos por aprobar", "descuentos"),
    "/recepcion/cierres": ("Cierres de la central", "cierres"),
    "/recepcion/dia": ("Cierre del día", "dia"),
    "/recepcion/auditoria": ("Auditoría", "auditoria"),
}


@pytest.mark.parametrize("path", list(SHELLS))
def test_supervisor_page_is_a_public_csp_clean_shell(edge_client: TestClient, path: str) -> None:
    title, page = SHELLS[path]
    r = edge_client.get(path)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert f"<h1>{title}</h1>" in r.text
    assert f'data-page="{page}"' in r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), "inline script"
    assert not re.search(r"\son[a-z]+=", r.text), "inline event handler"
    assert ("GET", path) in web_router.PUBLIC_PAGES
    module = edge_client.get(f"/recepcion/static/{V}/pages/{page}.js")
    assert module.status_code == 200
    assert module.headers["content-type"].startswith("text/javascript")


def test_supervisor_links_are_hidden_until_permissions_show_them(edge_client: TestClient) -> None:
    html = edge_client.get("/recepcion/ordenes").text
    links = (("descuentos", "discount.approve"), ("cierres", "report.read"), ("dia", "day.close"),
             ("auditoria", "audit.read"))  # fmt: skip
    for href, perm in links:
        link = re.search(rf'<a href="/recepcion/{href}"[^>]*>', html)
        assert link is not None, href
        assert f'data-perm="{perm}"' in link.group(0) and " hidden" in link.group(0)
    app = edge_client.get(f"/recepcion/static/{V}/app.js").text
    assert "[data-perm]" in app


def test_order_page_carries_the_discount_request_form(edge_client: TestClient) -> None:
    html = edge_client.get("/recepcion/ordenes/0190d2b4-2222-7000-8000-000000000002").text
    for name in ("kind", "value", "reason"):
        assert f'data-error-for="{name}"' in html  # errors go beside each field
    assert 'id="dr-form"' in html and 'id="dr-status"' in html
