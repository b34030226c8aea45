"""The dashboard's pages and assets are served; the charts API answers with SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.web.router import ASSET_VERSION, PAGES, PUBLIC_PAGES
from domain.permissions import Role
from tests.central.auth.factories import auth_headers


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_is_served_in_spanish_without_data(hub_client: TestClient, name: str) -> None:
    path, title = PAGES[name]
    r = hub_client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="es-PE">' in r.text
    assert f"<h1>{title}</h1>" in r.text
    assert f"/panel/static/{ASSET_VERSION}/app.js" in r.text
    assert ("GET", path) in PUBLIC_PAGES


def test_assets_are_served_and_nothing_outside_static(hub_client: TestClient) -> None:
    for asset in ("app.js", "lib.js", "app.css", "pages/tablero.js", "pages/catalogo.js"):
        r = hub_client.get(f"/panel/static/{ASSET_VERSION}/{asset}")
        assert r.status_code == 200, asset
        assert "immutable" in r.headers["cache-control"]
    assert hub_client.get(f"/panel/static/{ASSET_VERSION}/../router.py").status_code == 404
    assert hub_client.get(f"/panel/static/{ASSET_VERSION}/%2e%2e/router.py").status_code == 404
    assert hub_client.get("/panel/static/old/app.css").headers["cache-control"] == "no-cache"


def test_charts_api_needs_sign_in_and_returns_svg(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    assert hub_client.get("/api/web/charts").status_code == 401
    r = hub_client.get(
        "/api/web/charts?from=2026-11-01&to=2026-11-07", headers=auth_headers(hub_runtime)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["date_from"] == "2026-11-01"
    for name in ("sales_by_day", "payment_methods", "top_services", "patients", "monthly"):
        ET.fromstring(body[name])  # well-formed SVG even with no data
    bad = hub_client.get(
        "/api/web/charts?from=2026-11-08&to=2026-11-01", headers=auth_headers(hub_runtime)
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["type"] == "date_range_invalid"


def test_a_receptionist_may_not_read_the_charts(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    r = hub_client.get("/api/web/charts", headers=auth_headers(hub_runtime, Role.RECEPCIONISTA))
    assert r.status_code == 403
