"""Catalog: categories, tests and panels, validation, search, prices with history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.catalog import prices as catalog_prices
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.permissions import Role
from tests.central.auth.factories import auth_headers

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in Lima


def _category(client: TestClient, headers: dict[str, str], code: str = "BIO") -> str:
    r = client.post(
        "/api/catalog/categories", json={"code": code, "name": "Bioquímica"}, headers=headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _service(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    data = {"code": "BIO-010", "name": "Glucosa basal", "price": "12.50", **body}
    r = client.post("/api/catalog/services", json=data, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _feed(rt: HubRuntime, record_type: str) -> list[dict[str, Any]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM sync_change_feed WHERE record_type = :t ORDER BY cursor"),
            {"t": record_type},
        ).scalars()
        return [dict(r) for r in rows]


def test_categories(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    _category(hub_client, headers, "bio")
    r = hub_client.post(
        "/api/catalog/categories", json={"code": "BIO", "name": "Otra"}, headers=headers
    )
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "category_code_taken"
    r = hub_client.post("/api/catalog/categories", json={"code": "", "name": ""}, headers=headers)
    assert r.status_code == 422
    assert {tuple(d["loc"]) for d in r.json()["detail"]} == {("body", "code"), ("body", "name")}
    r = hub_client.get(
        "/api/catalog/categories", headers=auth_headers(hub_runtime, Role.RECEPCIONISTA)
    )
    assert [c["code"] for c in r.json()["items"]] == ["BIO"]


def test_service_crud(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    cat = _category(hub_client, headers)
    svc = _service(hub_client, headers, category_id=cat, loinc="1558-6", turnaround_hours=4)
    assert svc["price"] == "12.50" and svc["catalog_version"] == 1 and svc["active"]
    r = hub_client.get(f"/api/catalog/services/{svc['id']}", headers=headers)
    assert r.status_code == 200 and r.json()["loinc"] == "1558-6"
    r = hub_client.put(
        f"/api/catalog/services/{svc['id']}", json={"tube": "Gris (fluoruro)"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["tube"] == "Gris (fluoruro)"
    assert r.json()["catalog_version"] == 1  # no price change, no new version
    r = hub_client.delete(f"/api/catalog/services/{svc['id']}", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False
    r = hub_client.get("/api/catalog/services", params={"active": "true"}, headers=headers)
    assert r.json()["total"] == 0
    r = hub_client.get("/api/catalog/services/nada", headers=headers)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "service_not_found"


def test_service_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    _service(hub_client, headers)
    cases: list[tuple[dict[str, Any], str, list[Any]]] = [
        ({"price": 12.5}, "amount_not_decimal", ["body", "price"]),
        ({"price": "12.555"}, "amount_precision", ["body", "price"]),
        ({"price": "-1"}, "amount_negative", ["body", "price"]),
        ({"code": "BIO-010"}, "service_code_taken", ["body", "code"]),
        ({"code": "con espacio"}, "string_pattern_mismatch", ["body", "code"]),
        ({"category_id": "nada"}, "category_unknown", ["body", "category_id"]),
        ({"igv_affectation": "99"}, "literal_error", ["body", "igv_affectation"]),
        ({"turnaround_hours": 0}, "greater_than_equal", ["body", "turnaround_hours"]),
        ({"is_panel": True}, "panel_empty", ["body", "panel_service_ids"]),
        ({"panel_service_ids": ["x"]}, "panel_items_not_allowed", ["body", "panel_service_ids"]),
        (
            {"is_panel": True, "panel_service_ids": ["x"]},
            "panel_item_unknown",
            ["body", "panel_service_ids", 0],
        ),
    ]
    for extra, code, loc in cases:
        body = {"code": "BIO-099", "name": "Prueba", "price": "10.00", **extra}
        r = hub_client.post("/api/catalog/services", json=body, headers=headers)
        assert r.status_code in (409, 422), (extra, r.text)
        detail = r.json()["detail"][0]
        assert (detail["type"], detail["loc"]) == (code, loc), extra
        assert detail["msg"]


def test_panels(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    a = _service(hub_client, headers, code="BIO-030", name="Creatinina", price="14.00")
    b = _service(hub_client, headers, code="BIO-031", name="Urea", price="14.00")
    panel = _service(
        hub_client,
        headers,
        code="PAN-REN",
        name="Perfil renal",
        price="25.00",
        is_panel=True,
        panel_service_ids=[a["id"], b["id"], a["id"]],
    )
    assert panel["panel_service_ids"] == [a["id"], b["id"]]
    r = hub_client.post(
        "/api/catalog/services",
        json={
            "code": "PAN-X",
            "name": "Perfil de perfiles",
            "price": "1.00",
            "is_panel": True,
            "panel_service_ids": [panel["id"]],
        },
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "panel_item_is_panel"
    r = hub_client.get("/api/catalog/services", params={"is_panel": "true"}, headers=headers)
    assert [s["code"] for s in r.json()["items"]] == ["PAN-REN"]


def test_search_is_accent_and_case_insensitive(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    _service(hub_client, headers, code="BIO-050", name="Ácido úrico", price="15.00")
    _service(hub_client, headers, code="BIO-023", name="Triglicéridos", price="15.00")
    _service(hub_client, headers, code="HEM-001", name="Hemograma completo", price="35.00")

    def codes(q: str) -> list[str]:
        r = hub_client.get("/api/catalog/services", params={"q": q}, headers=headers)
        assert r.status_code == 200
        return [s["code"] for s in r.json()["items"]]

    assert codes("acido") == ["BIO-050"]
    assert codes("ÁCIDO Ú") == ["BIO-050"]
    assert codes("TRIGLICERIDOS") == ["BIO-023"]
    assert codes("triglicéridos") == ["BIO-023"]
    assert codes("hem-0") == ["HEM-001"]
    assert codes("bio") == ["BIO-023", "BIO-050"]
    assert codes("100%") == [] and codes("_") == []


def test_price_change_history_version_and_feed(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    hub_runtime.clock = FixedClock(T0)
    headers = auth_headers(hub_runtime, Role.ADMIN)
    svc = _service(hub_client, headers)
    before = len(_feed(hub_runtime, "catalog_service"))
    r = hub_client.put(
        f"/api/catalog/services/{svc['id']}",
        json={"price": "14.00", "price_reason": "Ajuste anual"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["price"] == "14.00" and r.json()["catalog_version"] == 2
    feed = _feed(hub_runtime, "catalog_service")
    assert len(feed) == before + 1
    assert feed[-1]["price_cents"] == 1400 and feed[-1]["catalog_version"] == 2
    # the same price again changes nothing
    hub_client.put(f"/api/catalog/services/{svc['id']}", json={"price": "14.00"}, headers=headers)
    assert len(_feed(hub_runtime, "catalog_service")) == before + 1
    r = hub_client.get(f"/api/catalog/services/{svc['id']}/price-history", headers=headers)
    items = r.json()["items"]
    assert [
        (i["price"], i["previous_price"], i["status"], i["catalog_version"]) for i in items
    ] == [
        ("14.00", "12.50", "applied", 2),
        ("12.50", None, "applied", 1),
    ]
    assert items[0]["reason"] == "Ajuste anual" and items[0]["effective_from"] == "2026-11-29"


def test_scheduled_price_applies_on_its_date(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    hub_runtime.clock = clock = FixedClock(T0)
    headers = auth_headers(hub_runtime, Role.ADMIN)
    svc = _service(hub_client, headers)
    r = hub_client.put(
        f"/api/catalog/services/{svc['id']}",
        json={"price": "15.00", "price_effective_from": "2026-12-01"},
        headers=headers,
    )
    assert r.status_code == 200
    assert r.json()["price"] == "12.50" and r.json()["catalog_version"] == 1
    assert r.json()["scheduled_price"] == "15.00" and r.json()["scheduled_from"] == "2026-12-01"
    with unit_of_work(hub_runtime.engine) as session:
        assert catalog_prices.apply_scheduled_prices(session=session, clock=clock) == 0
    clock.set(dt.datetime(2026, 12, 1, 5, 1, tzinfo=dt.UTC))  # 00:01 in Lima
    with unit_of_work(hub_runtime.engine) as session:
        assert catalog_prices.apply_scheduled_prices(session=session, clock=clock) == 1
    headers = auth_headers(hub_runtime, Role.ADMIN)  # the first token expired meanwhile
    r = hub_client.get(f"/api/catalog/services/{svc['id']}", headers=headers)
    assert r.json()["price"] == "15.00" and r.json()["catalog_version"] == 2
    assert r.json()["scheduled_price"] is None
    assert _feed(hub_runtime, "catalog_service")[-1]["price_cents"] == 1500


def test_price_validation(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    hub_runtime.clock = FixedClock(T0)
    headers = auth_headers(hub_runtime, Role.ADMIN)
    svc = _service(hub_client, headers)
    url = f"/api/catalog/services/{svc['id']}"
    r = hub_client.put(
        url, json={"price": "15.00", "price_effective_from": "2026-11-28"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "price_effective_past"
    r = hub_client.put(url, json={"price_effective_from": "2026-12-28"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "price"]
    r = hub_client.put(url, json={"price_effective_from": "28/12/2026"}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "date_from_datetime_parsing"
    # nothing half-done: no history rows from the refused requests
    history = hub_client.get(f"{url}/price-history", headers=headers).json()["items"]
    assert len(history) == 1


def test_a_price_above_the_ceiling_is_refused_in_spanish_and_nothing_is_written(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    """S/ 999,999.99 at most (``domain.money.MAX_PRICE``): the hub keeps céntimos in 32-bit
    columns, and S/ 21,474,836.48 used to be a 500 ("integer out of range")."""
    headers = auth_headers(hub_runtime, Role.ADMIN)
    for price in ("1000000", "22000000", "999999999.99"):
        r = hub_client.post(
            "/api/catalog/services",
            json={"code": "GEN-001", "name": "Exoma", "price": price},
            headers=headers,
        )
        assert r.status_code == 422, r.text
        (detail,) = r.json()["detail"]
        assert (detail["type"], detail["loc"]) == ("price_too_high", ["body", "price"])
        assert "S/ 999,999.99" in detail["msg"]
    assert hub_client.get("/api/catalog/services?q=GEN-001", headers=headers).json()["items"] == []
    top = _service(hub_client, headers, code="GEN-001", name="Exoma", price="999999.99")
    assert top["price"] == "999999.99"
    r = hub_client.put(
        f"/api/catalog/services/{top['id']}", json={"price": "21474836.48"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "price_too_high", r.text
    r = hub_client.put(
        f"/api/catalog/services/{top['id']}",
        json={"price": "1000000.00", "price_effective_from": "2099-01-01"},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "price_too_high", r.text
    assert (
        hub_client.get(f"/api/catalog/services/{top['id']}", headers=headers).json()["price"]
        == "999999.99"
    )
