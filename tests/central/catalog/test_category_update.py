"""``PUT /api/catalog/categories/{id}``: rename and (de)activate a category, with Spanish errors
and stable codes; a category with active tests is not deactivated; the change enters the feed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import auth_headers


def _post(client: TestClient, h: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    r = client.post(path, json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def _put(client: TestClient, h: dict[str, str], cid: str, body: dict[str, Any]) -> Any:
    return client.put(f"/api/catalog/categories/{cid}", json=body, headers=h)


def _feed(rt: HubRuntime, record_id: str) -> list[dict[str, Any]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT payload FROM sync_change_feed WHERE record_type = 'catalog_category'"
                " AND record_id = :i ORDER BY cursor"
            ),
            {"i": record_id},
        ).scalars()
        return [dict(r) for r in rows]


def test_rename_and_deactivate_a_category(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    h = auth_headers(hub_runtime, Role.ADMIN)
    gen = _post(hub_client, h, "/api/catalog/categories", {"code": "GEN", "name": "Genética"})
    r = _put(hub_client, h, gen["id"], {"name": "  Genética molecular "})
    assert r.status_code == 200, r.text
    assert (r.json()["code"], r.json()["name"], r.json()["active"]) == (
        "GEN", "Genética molecular", True,
    )  # fmt: skip
    r = _put(hub_client, h, gen["id"], {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    listed = hub_client.get("/api/catalog/categories?active=false", headers=h).json()["items"]
    assert [c["code"] for c in listed] == ["GEN"]
    r = _put(hub_client, h, gen["id"], {"active": True, "name": "Genética"})
    assert r.status_code == 200 and (r.json()["name"], r.json()["active"]) == ("Genética", True)

    # every change is in the change feed the edges pull, and in the audit
    feed = _feed(hub_runtime, gen["id"])
    assert [(p["name"], p["active"]) for p in feed] == [
        ("Genética", True), ("Genética molecular", True), ("Genética molecular", False),
        ("Genética", True),
    ]  # fmt: skip
    actions = [
        e["action"]
        for e in hub_client.get("/api/audit", params={"record_id": gen["id"]}, headers=h).json()[
            "items"
        ]
    ]
    assert actions == [
        "catalog.category_update", "catalog.category_deactivate", "catalog.category_update",
        "catalog.category_create",
    ]  # fmt: skip
    # nothing to change: no feed row, no audit event
    assert _put(hub_client, h, gen["id"], {"name": "Genética"}).status_code == 200
    assert _put(hub_client, h, gen["id"], {}).status_code == 200
    assert len(_feed(hub_runtime, gen["id"])) == 4


def test_errors_are_spanish_with_stable_codes(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = auth_headers(hub_runtime, Role.ADMIN)
    _post(hub_client, h, "/api/catalog/categories", {"code": "HEM", "name": "Hematología"})
    bio = _post(hub_client, h, "/api/catalog/categories", {"code": "BIO", "name": "Bioquímica"})

    r = _put(hub_client, h, bio["id"], {"name": "HEMATOLOGIA"})  # case and accents aside
    assert r.status_code == 409
    (d,) = r.json()["detail"]
    assert (d["type"], d["loc"]) == ("category_name_taken", ["body", "name"])
    assert "Ya existe la categoría «Hematología» (HEM)" in d["msg"]
    r = hub_client.post(
        "/api/catalog/categories", json={"code": "HE2", "name": "hematología"}, headers=h
    )
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "category_name_taken"

    r = _put(hub_client, h, "no-existe", {"name": "X"})
    assert r.status_code == 404
    (d,) = r.json()["detail"]
    assert (d["type"], d["loc"], d["msg"]) == (
        "category_not_found", ["path", "category_id"], "La categoría no existe.",
    )  # fmt: skip
    r = _put(hub_client, h, bio["id"], {"name": "", "code": "X"})
    assert r.status_code == 422
    assert {tuple(x["loc"]) for x in r.json()["detail"]} == {("body", "name"), ("body", "code")}
    r = _put(hub_client, h, bio["id"], {"active": "quizá"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "active"]

    sup = auth_headers(hub_runtime, Role.SUPERVISOR)
    assert _put(hub_client, sup, bio["id"], {"name": "Otra"}).status_code == 403
    names = {
        c["code"]: c["name"]
        for c in hub_client.get("/api/catalog/categories", headers=h).json()["items"]
    }
    assert names == {"BIO": "Bioquímica", "HEM": "Hematología"}  # nothing changed


def test_a_category_with_active_tests_is_not_deactivated(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = auth_headers(hub_runtime, Role.ADMIN)
    bio = _post(hub_client, h, "/api/catalog/categories", {"code": "BIO", "name": "Bioquímica"})
    ids = [
        _post(hub_client, h, "/api/catalog/services",
              {"code": f"BIO-0{i}", "name": f"Examen {i}", "price": "10.00",
               "category_id": bio["id"]})["id"]
        for i in range(3)
    ]  # fmt: skip
    r = _put(hub_client, h, bio["id"], {"active": False, "name": "Bioquímica clínica"})
    assert r.status_code == 409
    (d,) = r.json()["detail"]
    assert (d["type"], d["loc"], d["ctx"]) == (
        "category_has_active_services", ["body", "active"], {"active_services": 3},
    )  # fmt: skip
    assert "3 examen(es)" in d["msg"]
    after = hub_client.get("/api/catalog/categories", headers=h).json()["items"][0]
    assert (after["name"], after["active"]) == ("Bioquímica", True)  # nothing half-done
    assert len(_feed(hub_runtime, bio["id"])) == 1

    # an inactive test does not count; once every test is off, the category goes
    for sid in ids[:2]:
        assert hub_client.delete(f"/api/catalog/services/{sid}", headers=h).status_code == 200
    r = _put(hub_client, h, bio["id"], {"active": False})
    assert r.status_code == 409 and r.json()["detail"][0]["ctx"] == {"active_services": 1}
    assert hub_client.delete(f"/api/catalog/services/{ids[2]}", headers=h).status_code == 200
    r = _put(hub_client, h, bio["id"], {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
