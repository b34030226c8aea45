"""The hub takes amounts and percentages in the one ASCII text format too (catalog prices,
convenio prices and coverage, settings), with stable codes and the field named."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers
from tests.strict_schemas import lax_number_schemas, request_schemas

BAD = ["1e3", "٣٥.٠٠", "+35", "35.", ".5", "NaN", "Infinity", "35,00", "\t35"]


def _count(rt: HubRuntime, table: str) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("bad", BAD)
def test_catalog_and_convenio_amounts(
    hub_client: TestClient, hub_runtime: HubRuntime, bad: str
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    services = _count(hub_runtime, "catalog_service")
    body = {"code": "BIO-099", "name": "Prueba", "price": bad}
    r = hub_client.post("/api/catalog/services", json=body, headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert (detail["type"], detail["loc"]) == ("amount_invalid", ["body", "price"])
    assert "Use un monto como 35.00" in detail["msg"]
    assert _count(hub_runtime, "catalog_service") == services

    convenios = _count(hub_runtime, "convenio")
    base = {"ruc": "20503123453", "name": "SALUD PLUS"}
    r = hub_client.post("/api/convenios", json={**base, "coverage_pct": bad}, headers=headers)
    detail = r.json()["detail"][0]
    assert (r.status_code, detail["type"], detail["loc"]) == (
        422,
        "pct_invalid",
        ["body", "coverage_pct"],
    )
    assert "Use un porcentaje como 15" in detail["msg"]
    assert _count(hub_runtime, "convenio") == convenios


def test_percentages_keep_their_range_codes(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    cases: list[tuple[Any, str]] = [
        ("1e1", "pct_invalid"),
        ("٥", "pct_invalid"),
        ("-5", "pct_invalid"),
        ("12.555", "pct_invalid"),
        ("101", "less_than_equal"),
        (12.5, "amount_not_decimal"),
    ]
    for value, code in cases:
        body = {"discount_approval_threshold_pct": value}
        r = hub_client.put("/api/config/settings", json=body, headers=headers)
        assert r.status_code == 422, (value, r.text)
        detail = r.json()["detail"][0]
        assert (detail["type"], detail["loc"]) == (code, ["body", next(iter(body))]), value
    r = hub_client.put(
        "/api/config/settings", json={"discount_approval_threshold_pct": " 12.5 "}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["discount_approval_threshold_pct"] == "12.5"


def test_hub_request_schemas_take_no_lax_number(hub_client: TestClient) -> None:
    spec = hub_client.get("/openapi.json").json()
    inputs = request_schemas(spec)
    assert len(inputs) > 10
    assert lax_number_schemas(inputs) == []
