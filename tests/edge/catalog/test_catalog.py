"""Catalog at the edge: demo load, listing, accent-insensitive search, read-only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from domain.clock import SystemClock
from domain.permissions import Role
from edge.catalog.demo import ALL_PANELS, ALL_TESTS, load_demo_catalog
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.orders.helpers import count_rows, load_catalog, sid


@pytest.fixture
def headers(edge_runtime: EdgeRuntime) -> dict[str, str]:
    load_catalog(edge_runtime)
    return auth_headers(edge_runtime, Role.LABORATORISTA)


def test_demo_catalog_is_realistic_and_idempotent(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)
    services = count_rows(edge_runtime, "catalog_service")
    assert services == len(ALL_TESTS) + len(ALL_PANELS) >= 66
    assert count_rows(edge_runtime, "catalog_category") >= 8
    assert count_rows(edge_runtime, "convenio") == 2
    with unit_of_work(edge_runtime.engine) as session:
        assert load_demo_catalog(session, clock=SystemClock()) == 0
    assert count_rows(edge_runtime, "catalog_service") == services
    assert count_rows(edge_runtime, "sync_outbox") == 0  # hub-owned mirrors are not pushed up


def test_init_demo_catalog_keeps_rows_the_hub_sent(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE catalog_service SET price_cents = 4100 WHERE id = ?", (sid("HEM-001"),)
        )
    load_catalog(edge_runtime)
    with edge_runtime.engine.connect() as conn:
        price = conn.exec_driver_sql(
            "SELECT price_cents FROM catalog_service WHERE id = ?", (sid("HEM-001"),)
        ).scalar_one()
    assert price == 4100


def test_list_services_and_categories(edge_client: TestClient, headers: dict[str, str]) -> None:
    r = edge_client.get("/api/catalog/services?limit=500", headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(ALL_TESTS) + len(ALL_PANELS)
    hemo = next(s for s in body["items"] if s["code"] == "HEM-001")
    assert hemo["price"] == "35.00" and hemo["tube"] == "Lila (EDTA)"
    assert hemo["category_name"] == "Hematología"
    names = {c["name"] for c in edge_client.get("/api/catalog/categories", headers=headers).json()}
    assert {"Hematología", "Bioquímica", "Serología", "Heces", "Microbiología"} <= names


def test_active_excludes_inactive(
    edge_client: TestClient, edge_runtime: EdgeRuntime, headers: dict[str, str]
) -> None:
    with edge_runtime.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE catalog_service SET active = 0 WHERE code = 'HEM-002'")
    all_codes = {
        s["code"]
        for s in edge_client.get("/api/catalog/services?limit=500", headers=headers).json()["items"]
    }
    active = edge_client.get("/api/catalog/services/active?limit=500", headers=headers).json()
    assert "HEM-002" in all_codes
    assert "HEM-002" not in {s["code"] for s in active["items"]}
    assert active["total"] == len(all_codes) - 1


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("hem-001", "HEM-001"),
        ("acido urico", "BIO-032"),
        ("ÁCIDO", "BIO-032"),
        ("perfil lipidico", "PAN-LIP"),
        ("tiroides", "HOR-001"),
    ],
)
def test_search_by_code_or_name_accent_insensitive(
    edge_client: TestClient, headers: dict[str, str], q: str, first: str
) -> None:
    r = edge_client.get("/api/catalog/services/search", params={"q": q}, headers=headers)
    assert r.status_code == 200
    assert r.json()[0]["code"] == first


def test_get_service_shows_panel_members(edge_client: TestClient, headers: dict[str, str]) -> None:
    r = edge_client.get(f"/api/catalog/services/{sid('PAN-TIR')}", headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["is_panel"] is True
    assert [m["code"] for m in body["panel_services"]] == ["HOR-001", "HOR-002"]


def test_unknown_service_is_404(edge_client: TestClient, headers: dict[str, str]) -> None:
    r = edge_client.get("/api/catalog/services/nope", headers=headers)
    assert r.status_code == 404
    assert r.json()["detail"][0]["type"] == "service_not_found"


def test_catalog_is_read_only(edge_client: TestClient, headers: dict[str, str]) -> None:
    assert edge_client.post("/api/catalog/services", json={}, headers=headers).status_code == 405
    r = edge_client.put(f"/api/catalog/services/{sid('HEM-001')}", json={}, headers=headers)
    assert r.status_code == 405


def test_catalog_needs_sign_in(edge_client: TestClient) -> None:
    assert edge_client.get("/api/catalog/services").status_code == 401


def test_convenios_listed(edge_client: TestClient, headers: dict[str, str]) -> None:
    body = edge_client.get("/api/catalog/convenios", headers=headers).json()
    assert {c["coverage_pct"] for c in body} == {"80", "100"}


def test_convenios_show_the_tests_their_price_list_covers(
    edge_client: TestClient, headers: dict[str, str]
) -> None:
    body = edge_client.get("/api/catalog/convenios", headers=headers).json()
    salud = next(c for c in body if c["ruc"] == "20503123453")
    assert salud["has_price_list"] is True
    assert salud["prices"] == {sid("HEM-001"): "30.00", sid("BIO-010"): "10.00",
                               sid("PAN-LIP"): "48.00"}  # fmt: skip
