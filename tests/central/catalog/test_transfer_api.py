"""/api/catalog/export and /api/catalog/import/{preview,apply}: permissions, answers, bounds."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers
from tests.central.catalog.transfer_helpers import csv_file, row, service_by_code, small_catalog


def _body(content: bytes, **extra: str) -> dict[str, str]:
    return {
        "filename": "tarifario.csv",
        "content_base64": base64.b64encode(content).decode(),
    } | extra


def test_a_supervisor_exports_but_cannot_import(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    small_catalog(hub_runtime)
    sup = auth_headers(hub_runtime, Role.SUPERVISOR)
    r = hub_client.get("/api/catalog/export", params={"format": "xlsx"}, headers=sup)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="catalogo-' in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in sheet[4]][:3] == ["Código", "Nombre", "Tipo"]
    r = hub_client.get("/api/catalog/export", params={"format": "csv"}, headers=sup)
    assert r.status_code == 200 and r.content.startswith("\ufeffCódigo,".encode())
    assert r.headers["content-type"].startswith("text/csv")
    bad = hub_client.get("/api/catalog/export", params={"format": "pdf"}, headers=sup)
    assert bad.status_code == 422
    content = csv_file([row("HEM-001", price="40.00")])
    for path in ("/api/catalog/import/preview", "/api/catalog/import/apply"):
        r = hub_client.post(path, json=_body(content, reason="x"), headers=sup)
        assert r.status_code == 403, r.text
    assert hub_client.get("/api/catalog/export").status_code == 401
    hem = service_by_code(hub_runtime, "HEM-001")
    assert hem is not None and hem.price_cents == 3500


def test_preview_then_apply_over_http(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    bad = csv_file([row("HEM-001", price="40,00"), row("BIO-010", price="quince")], sep=";")
    r = hub_client.post("/api/catalog/import/preview", json=_body(bad), headers=admin)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (
        answer["rows"] == 2 and answer["counts"]["price"] == 1 and answer["counts"]["errors"] == 1
    )
    assert answer["changes"][0] | {"name": ""} == {
        "row": 2, "code": "HEM-001", "name": "", "actions": ["price"], "fields": [],
        "old_price": "35.00", "new_price": "40.00", "price_from": None,
        "scheduled_price": None, "scheduled_from": None,
    }  # fmt: skip
    assert answer["errors"] == [{"row": 3, "column": "Precio (S/)", "type": "price_invalid",
                                 "msg": answer["errors"][0]["msg"]}]  # fmt: skip
    assert "quince" in answer["errors"][0]["msg"]
    r = hub_client.post("/api/catalog/import/apply", json=_body(bad, reason="Tarifario 2027"),
                        headers=admin)  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "import_has_errors"
    assert service_by_code(hub_runtime, "HEM-001").price_cents == 3500  # type: ignore[union-attr]

    good = csv_file([row("HEM-001", price="40,00")], sep=";")
    r = hub_client.post("/api/catalog/import/apply", json=_body(good), headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    r = hub_client.post("/api/catalog/import/apply", json=_body(good, reason="Tarifario 2027"),
                        headers=admin)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["applied"] is True and "1 precio(s) cambiado(s)" in r.json()["message"]
    assert service_by_code(hub_runtime, "HEM-001").price_cents == 4000  # type: ignore[union-attr]
    history = hub_client.get(
        f"/api/catalog/services/{service_by_code(hub_runtime, 'HEM-001').id}/price-history",  # type: ignore[union-attr]
        headers=admin,
    ).json()["items"]
    assert history[0]["reason"] == "Tarifario 2027" and history[0]["previous_price"] == "35.00"
    r = hub_client.post("/api/catalog/import/apply", json=_body(good, reason="Tarifario 2027"),
                        headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["applied"] is False
    assert r.json()["message"].startswith("Sin cambios")


def test_bounds_and_bad_uploads(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    admin = auth_headers(hub_runtime, Role.ADMIN)
    big = _body(b"x" * (1024 * 1024 + 10))
    r = hub_client.post("/api/catalog/import/preview", json=big, headers=admin)
    assert r.status_code == 413 and r.json()["detail"][0]["type"] == "import_file_too_large"
    assert "1 MB" in r.json()["detail"][0]["msg"]
    huge = {"content_base64": "A" * (3 * 1024 * 1024)}
    r = hub_client.post("/api/catalog/import/preview", json=huge, headers=admin)
    assert r.status_code == 413  # the body limit of every request
    r = hub_client.post("/api/catalog/import/preview", json={"content_base64": "no es base64!"},
                        headers=admin)  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "import_file_encoding"
    r = hub_client.post(
        "/api/catalog/import/preview",
        json=_body(csv_file([row("HEM-001")]), effective_from="2020-01-01"),
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "effective_from"]
    spec = hub_client.get("/openapi.json").json()["paths"]
    assert "413" in spec["/api/catalog/import/apply"]["post"]["responses"]
    assert spec["/api/catalog/export"]["get"]["summary"].startswith("Exportar")
