"""/api/convenios/{id}/prices/export and .../import/{preview,apply}: permissions, answers."""

from __future__ import annotations

import base64
import csv
import io

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role, has_permission
from tests.central.auth.factories import auth_headers
from tests.central.convenios.price_helpers import catalog_and_convenio, csv_prices, line, prices


def _body(content: bytes, **extra: str) -> dict[str, str]:
    return {"filename": "tarifario.csv", "content_base64": base64.b64encode(content).decode()} | (
        extra
    )


def test_a_supervisor_exports_but_cannot_import(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    # the router's permissions: reading convenios is catalog.read, editing is catalog.manage
    assert has_permission(Role.SUPERVISOR, "catalog.read")
    assert not has_permission(Role.SUPERVISOR, "catalog.manage")
    cid = catalog_and_convenio(hub_runtime)
    sup = auth_headers(hub_runtime, Role.SUPERVISOR)
    base = f"/api/convenios/{cid}/prices"
    r = hub_client.get(f"{base}/export", params={"format": "csv"}, headers=sup)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="tarifario-20503123453-' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Precio convenio (S/)" and len(rows) == 4
    r = hub_client.get(f"{base}/export", headers=sup)  # xlsx by default
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert (
        hub_client.get(f"{base}/export", params={"format": "pdf"}, headers=sup).status_code == 422
    )
    content = csv_prices([line("HEM-001", "20.00")])
    for path in ("import/preview", "import/apply"):
        r = hub_client.post(f"{base}/{path}", json=_body(content), headers=sup)
        assert r.status_code == 403, r.text
    assert hub_client.get(f"{base}/export").status_code == 401
    assert prices(hub_runtime, cid)["HEM-001"] == 3000


def test_preview_then_apply_over_http(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    base = f"/api/convenios/{cid}/prices/import"
    bad = csv_prices([line("HEM-001", "28,50"), line("BIO-010", "13.00"), line("PAN-01", "x")])
    r = hub_client.post(f"{base}/preview", json=_body(bad), headers=admin)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["counts"] == {"added": 1, "changed": 1, "removed": 0, "unchanged": 0,
                                "errors": 1, "warnings": 1}  # fmt: skip
    assert answer["changes"][0] == {
        "row": 2, "code": "HEM-001", "name": "Hemograma completo", "action": "changed",
        "old_price": "30.00", "new_price": "28.50", "public_price": "35.00",
    }  # fmt: skip
    assert answer["errors"] == [
        {"row": 4, "column": "Precio convenio (S/)", "type": "price_invalid",
         "msg": "«x» no es un precio: escriba un monto como 18.50 o 18,50."}
    ]  # fmt: skip
    assert answer["warnings"][0]["type"] == "price_above_public"
    assert answer["warnings_total"] == 1 and answer["changes_total"] == 2
    r = hub_client.post(f"{base}/apply", json=_body(bad), headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "import_has_errors"
    assert prices(hub_runtime, cid) == {"HEM-001": 3000, "PAN-01": 3800}

    good = csv_prices([line("HEM-001", "28,50"), line("BIO-010", "13.00"), line("PAN-01", "")])
    r = hub_client.post(f"{base}/apply", json=_body(good, note="Renovación 2027"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] is True and r.json()["counts"]["removed"] == 1
    assert prices(hub_runtime, cid) == {"HEM-001": 2850, "BIO-010": 1300}
    r = hub_client.post(f"{base}/apply", json=_body(good), headers=admin)
    assert r.status_code == 200 and r.json()["applied"] is False
    assert r.json()["message"].startswith("Sin cambios")


def test_bad_uploads_and_unknown_convenio(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    base = f"/api/convenios/{cid}/prices/import/preview"
    r = hub_client.post(base, json={"content_base64": "no es base64!"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "import_file_encoding"
    big = base64.b64encode(b"x" * (1024 * 1024 + 10)).decode()
    r = hub_client.post(base, json={"content_base64": big}, headers=admin)
    assert r.status_code == 413 and r.json()["detail"][0]["type"] == "import_file_too_large"
    r = hub_client.post(base, json=_body(b"a,b\r\n", extra="x"), headers=admin)
    assert r.status_code == 422  # extra fields are refused
    ghost = "0190a1b2-0000-7000-8000-00000000dead"
    for method, path in (("GET", "export"), ("POST", "import/preview")):
        r = hub_client.request(
            method, f"/api/convenios/{ghost}/prices/{path}",
            json=_body(csv_prices([])) if method == "POST" else None, headers=admin,
        )  # fmt: skip
        assert r.status_code == 404 and r.json()["detail"][0]["type"] == "convenio_not_found"
