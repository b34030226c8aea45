"""Hub laboratory systems: CRUD with Spanish validation errors and stable codes, tokens never
returned (nor in history/audit), the code map and the unmapped check, per-sede assignment
(``lab.sede.<id>`` setting + ``sede_ids``), history, audit, permissions, and the change feed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from central.audit.models import HubAuditEvent
from central.db import unit_of_work
from central.lab.models import LabCodeMap, LabSystem
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain import catalog_data
from domain.ids import sede_id_for
from domain.permissions import Role
from sync.records import HUB_RECORD_MODELS
from tests.central.auth.factories import auth_headers, make_sede

SECRET = "s3cr3t-del-laboratorio"
SYSTEM = {
    "code": "labcentral",
    "name": "Laboratorio Central",
    "protocol": "mllp",
    "message_type": "ORM_O01",
    "host": "10.0.0.20",
    "port": 2575,
    "token": SECRET,
    "results_token": SECRET + "-res",
}


def _seed(rt: HubRuntime) -> None:
    with unit_of_work(rt.engine) as session:
        seed_demo(session, clock=rt.clock, sedes=2, admin_password="demo-clave-2026")


def _admin(rt: HubRuntime) -> dict[str, str]:
    return auth_headers(rt, Role.ADMIN, sede_ids=[])


def _create(client: TestClient, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    r = client.post("/api/lab/systems", json={**SYSTEM, **over}, headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _error(r: Any) -> tuple[int, str, list[Any], str]:
    item = r.json()["detail"][0]
    return r.status_code, item["type"], item["loc"], item["msg"]


def test_create_read_update_never_returns_the_token(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = _admin(hub_runtime)
    lab = _create(hub_client, h)
    assert lab["code"] == "LABCENTRAL"  # normalised
    assert (lab["message_type"], lab["hl7_version"]) == ("ORM_O01", "2.3.1")
    assert lab["token_set"] is True and lab["results_token_set"] is True
    for r in (
        hub_client.get("/api/lab/systems", headers=h),
        hub_client.get(f"/api/lab/systems/{lab['id']}", headers=h),
        hub_client.put(f"/api/lab/systems/{lab['id']}", json={"token": "otro"}, headers=h),
        hub_client.get("/api/lab/history", headers=h),
        hub_client.get("/api/audit", headers=h),
    ):
        assert r.status_code == 200, r.text
        assert SECRET not in r.text and "otro" not in r.text and 'token":"' not in r.text
    r = hub_client.put(
        f"/api/lab/systems/{lab['id']}",
        json={"message_type": "OML_O21", "port": 2600, "token": ""},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["hl7_version"], r.json()["port"], r.json()["token_set"]) == (
        "2.5.1",
        2600,
        False,
    )
    hist = hub_client.get("/api/lab/history", params={"entity": "lab_system"}, headers=h).json()[
        "items"
    ]
    token_rows = [c for c in hist if c["field"] == "token"]
    assert {(c["old_value"], c["new_value"]) for c in token_rows} == {
        ("********", "********"),
        ("********", ""),
    }
    port = next(c for c in hist if c["field"] == "port")
    assert (port["old_value"], port["new_value"], port["changed_by_username"]) == (
        2575,
        2600,
        hist[0]["changed_by_username"],
    )
    # the configuration's history (company, sedes, settings) does not list the lab's rows
    config = hub_client.get("/api/config/history", params={"limit": 500}, headers=h).json()
    assert config["total"] == len(config["items"])  # lab rows exist (above): none listed here
    assert {c["entity"] for c in config["items"]} <= {"company", "sede", "setting"}
    with Session(hub_runtime.engine) as session:
        actions = [e.action for e in session.exec(select(HubAuditEvent))]
    assert actions.count("lab_system.create") == 1 and actions.count("lab_system.update") == 2


@pytest.mark.parametrize(
    ("body", "status", "code", "loc", "words"),
    [
        ({"protocol": "rest", "url": ""}, 422, "lab_url_required", ["body", "url"], "URL"),
        ({"host": ""}, 422, "lab_host_required", ["body", "host"], "servidor"),
        ({"port": 0}, 422, "lab_port_required", ["body", "port"], "puerto"),
        ({"protocol": "file"}, 422, "lab_folder_required", ["body", "folder"], "carpeta"),
        ({"code": "1x"}, 422, "lab_code_invalid", ["body", "code"], "no es válido"),
        ({"url": "ftp://x"}, 422, "lab_url_invalid", ["body", "url"], "http"),
        ({"protocol": "smtp"}, 422, "literal_error", ["body", "protocol"], "no permitido"),
        ({"port": 70000}, 422, "less_than_equal", ["body", "port"], "demasiado grande"),
        ({"message_type": "ORU_R01"}, 422, "literal_error", ["body", "message_type"], "valor"),
        ({"colour": "red"}, 422, "extra_forbidden", ["body", "colour"], "no permitido"),
    ],
)
def test_validation_errors_are_spanish_with_codes(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    body: dict[str, Any],
    status: int,
    code: str,
    loc: list[Any],
    words: str,
) -> None:
    h = _admin(hub_runtime)
    r = hub_client.post("/api/lab/systems", json={**SYSTEM, **body}, headers=h)
    got = _error(r)
    assert got[:3] == (status, code, loc) and words in got[3], r.text
    with Session(hub_runtime.engine) as session:
        assert session.exec(select(LabSystem)).all() == []  # nothing half-written


def test_duplicate_code_update_errors_and_unknown_ids(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    h = _admin(hub_runtime)
    lab = _create(hub_client, h)
    r = hub_client.post("/api/lab/systems", json=SYSTEM, headers=h)
    assert _error(r)[:3] == (409, "lab_code_taken", ["body", "code"])
    r = hub_client.put(f"/api/lab/systems/{lab['id']}", json={"protocol": "rest"}, headers=h)
    assert _error(r)[:3] == (422, "lab_url_required", ["body", "url"])
    assert hub_client.get(f"/api/lab/systems/{lab['id']}", headers=h).json()["protocol"] == "mllp"
    r = hub_client.get("/api/lab/systems/nope", headers=h)
    assert _error(r)[:3] == (404, "lab_system_not_found", ["path", "lab_system_id"])
    r = hub_client.put("/api/lab/systems/nope/codes", json={"items": []}, headers=h)
    assert r.status_code == 404


def test_code_map_put_get_check_and_its_errors(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    _seed(hub_runtime)
    h = _admin(hub_runtime)
    lab = _create(hub_client, h)
    url = f"/api/lab/systems/{lab['id']}"
    n_tests = len(catalog_data.TESTS)
    check = hub_client.get(url + "/check", headers=h).json()
    assert (check["complete"], check["active_tests"], check["mapped"]) == (False, n_tests, 0)
    assert len(check["unmapped"]) == n_tests
    items = [
        {"service_code": t["code"], "code": t["code"].replace("-", ""), "loinc": t["loinc"]}
        for t in catalog_data.TESTS[:-1]
    ]
    r = hub_client.put(url + "/codes", json={"items": items}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == n_tests - 1
    first = r.json()["items"][0]
    assert first["service_name"] and first["service_id"] == catalog_data.catalog_id_for(
        "service", first["service_code"]
    )
    check = hub_client.get(url + "/check", headers=h).json()
    last = catalog_data.TESTS[-1]
    assert check["complete"] is False and check["mapped"] == n_tests - 1
    assert [u["code"] for u in check["unmapped"]] == [last["code"]]
    # a panel can be mapped too; the whole list replaces the map
    items.append({"service_code": last["code"], "loinc": last["loinc"], "sample_type": "SER"})
    items.append({"service_code": "PAN-LIP", "code": "LIPID"})
    ids_before = {i["service_code"]: i["id"] for i in r.json()["items"]}
    r = hub_client.put(url + "/codes", json={"items": items}, headers=h)
    assert r.status_code == 200 and r.json()["total"] == n_tests + 1
    assert all(ids_before[i["service_code"]] == i["id"] for i in r.json()["items"][:3])
    assert hub_client.get(url + "/check", headers=h).json()["complete"] is True
    got = hub_client.get(url + "/codes", headers=h).json()
    assert {i["service_code"] for i in got["items"]} >= {"PAN-LIP", last["code"]}
    # errors name the item and the field
    bad = [
        ([{"service_code": "NO-EXISTE", "code": "X"}], "service_unknown", "service_code"),
        ([{"service_code": "HEM-001"}], "lab_test_code_missing", "code"),
        ([{"service_code": "HEM-001", "loinc": "abc"}], "loinc_invalid", "loinc"),
        ([{"service_code": "HEM-001", "code": "A|B"}], "lab_test_code_invalid", "code"),
    ]
    for body, code, field in bad:
        r = hub_client.put(url + "/codes", json={"items": body}, headers=h)
        assert _error(r)[:3] == (422, code, ["body", "items", 0, field]), r.text
    twice = [{"service_code": "HEM-001", "code": "A"}, {"service_code": "HEM-001", "code": "B"}]
    r = hub_client.put(url + "/codes", json={"items": twice}, headers=h)
    assert _error(r)[:3] == (422, "service_repeated", ["body", "items", 1, "service_code"])
    assert hub_client.get(url + "/check", headers=h).json()["complete"] is True  # untouched
    # leaving a test out deletes its mapping (a delete in the feed)
    r = hub_client.put(url + "/codes", json={"items": items[1:]}, headers=h)
    assert r.json()["total"] == n_tests
    with hub_runtime.engine.connect() as conn:
        ops = conn.execute(
            text("SELECT op, count(*) FROM sync_change_feed WHERE record_type = 'lab_code_map' "
                 "GROUP BY op")
        ).all()  # fmt: skip
    assert dict(ops) == {"upsert": n_tests + 1, "delete": 1}
    hist = hub_client.get(
        "/api/lab/history", params={"entity": "lab_code_map", "limit": 500}, headers=h
    ).json()
    removed = [c for c in hist["items"] if c["new_value"] is None]
    assert [c["field"] for c in removed] == [catalog_data.TESTS[0]["code"]]


def test_sede_assignment_is_a_setting_and_keeps_sede_ids(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    h = _admin(hub_runtime)
    a = _create(hub_client, h)
    b = _create(hub_client, h, code="LABNORTE", protocol="rest", url="http://lis.example/api")
    s1, s2 = sede_id_for("S01"), sede_id_for("S02")
    body = {"lab_system_id": a["id"], "listener_host": "127.0.0.1", "listener_port": 2575}
    r = hub_client.put(f"/api/lab/sedes/{s1}", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["sede_code"], r.json()["listener_port"]) == ("S01", 2575)
    hub_client.put(f"/api/lab/sedes/{s2}", json={**body, "listener_port": 2576}, headers=h)
    labs = {x["code"]: x for x in hub_client.get("/api/lab/systems", headers=h).json()["items"]}
    assert labs["LABCENTRAL"]["sede_ids"] == sorted([s1, s2]) and labs["LABNORTE"]["sede_ids"] == []
    # moving S02 to the other laboratory updates both systems in the same transaction
    hub_client.put(f"/api/lab/sedes/{s2}", json={"lab_system_id": b["id"]}, headers=h)
    labs = {x["code"]: x for x in hub_client.get("/api/lab/systems", headers=h).json()["items"]}
    assert labs["LABCENTRAL"]["sede_ids"] == [s1] and labs["LABNORTE"]["sede_ids"] == [s2]
    listing = hub_client.get("/api/lab/sedes", headers=h).json()["items"]
    assert [(x["sede_code"], x["lab_system_id"], x["listener_port"]) for x in listing] == [
        ("S01", a["id"], 2575),
        ("S02", b["id"], None),
    ]
    with hub_runtime.engine.connect() as conn:
        value = conn.execute(
            text("SELECT value FROM setting WHERE key = :k"), {"k": f"lab.sede.{s1}"}
        ).scalar()
    assert value == {"lab_system_id": a["id"], "listener": {"host": "127.0.0.1", "port": 2575}}
    # a system in use cannot be switched off; an inactive one cannot be assigned
    r = hub_client.put(f"/api/lab/systems/{a['id']}", json={"active": False}, headers=h)
    assert _error(r)[:2] == (409, "lab_system_in_use") and "S01" in _error(r)[3]
    hub_client.put(f"/api/lab/sedes/{s1}", json={"lab_system_id": None}, headers=h)
    r = hub_client.put(f"/api/lab/systems/{a['id']}", json={"active": False}, headers=h)
    assert r.status_code == 200 and r.json()["sede_ids"] == []
    r = hub_client.put(f"/api/lab/sedes/{s1}", json={"lab_system_id": a["id"]}, headers=h)
    assert _error(r)[:3] == (422, "lab_system_inactive", ["body", "lab_system_id"])
    r = hub_client.put(f"/api/lab/sedes/{s1}", json={"lab_system_id": "x"}, headers=h)
    assert _error(r)[:3] == (422, "lab_system_unknown", ["body", "lab_system_id"])
    r = hub_client.put("/api/lab/sedes/nope", json={"lab_system_id": None}, headers=h)
    assert _error(r)[:3] == (404, "sede_not_found", ["path", "sede_id"])
    hist = hub_client.get("/api/lab/history", params={"entity": "lab_sede"}, headers=h).json()
    assert hist["total"] == 4


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.RECEPCIONISTA, Role.LABORATORISTA])
def test_only_admins_manage_laboratories(
    hub_client: TestClient, hub_runtime: HubRuntime, role: Role
) -> None:
    h = auth_headers(hub_runtime, role)
    for method, url, body in [
        ("get", "/api/lab/systems", None),
        ("post", "/api/lab/systems", SYSTEM),
        ("get", "/api/lab/sedes", None),
        ("get", "/api/lab/history", None),
    ]:
        r = hub_client.request(method, url, json=body, headers=h)
        assert _error(r)[:2] == (403, "permission_denied"), (url, r.text)
    assert hub_client.get("/api/lab/systems").status_code == 401
    with Session(hub_runtime.engine) as session:
        assert session.exec(select(LabSystem)).all() == []


def test_seed_with_lab_ports_maps_every_test_and_feed_payloads_match_records(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    with unit_of_work(hub_runtime.engine) as session:
        summary = seed_demo(
            session, clock=hub_runtime.clock, sedes=2, admin_password="demo-clave-2026",
            lab_port_base=23000,
        )  # fmt: skip
    assert summary.created["lab_system"] == 2
    h = _admin(hub_runtime)
    labs = hub_client.get("/api/lab/systems", headers=h).json()["items"]
    assert [(x["code"], x["host"], x["port"], x["sede_ids"]) for x in labs] == [
        ("LAB01", "127.0.0.1", 23301, [sede_id_for("S01")]),
        ("LAB02", "127.0.0.1", 23302, [sede_id_for("S02")]),
    ]
    for lab in labs:
        check = hub_client.get(f"/api/lab/systems/{lab['id']}/check", headers=h).json()
        assert check["complete"] is True and check["mapped"] == len(catalog_data.TESTS)
    sedes = hub_client.get("/api/lab/sedes", headers=h).json()["items"]
    assert [x["listener_port"] for x in sedes] == [23401, 23402]
    with unit_of_work(hub_runtime.engine) as session:  # idempotent
        again = seed_demo(
            session, clock=hub_runtime.clock, sedes=2, admin_password="demo-clave-2026",
            lab_port_base=23000,
        )  # fmt: skip
    assert "lab_system" not in again.created
    with Session(hub_runtime.engine) as session:
        assert len(session.exec(select(LabCodeMap)).all()) == 2 * len(catalog_data.TESTS)
    with hub_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT record_type, payload FROM sync_change_feed "
                 "WHERE record_type IN ('lab_system', 'lab_code_map')")
        ).all()  # fmt: skip
    assert {r[0] for r in rows} == {"lab_system", "lab_code_map"}
    for rtype, payload in rows:
        model = HUB_RECORD_MODELS[rtype]
        assert set(payload) == set(model.model_fields), rtype
        model.model_validate(payload)
