"""Patients over HTTP: registration, validation, duplicates, edits with history, permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01, auth_headers
from tests.edge.patients.helpers import patient_body, register


@pytest.fixture
def reception(edge_runtime: EdgeRuntime) -> dict[str, str]:
    return auth_headers(edge_runtime, "recepcionista")


def test_register_normalizes_and_reads_back(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    created = register(
        edge_client,
        reception,
        doc_number=" 45871236 ",
        first_names="  maría   josé ",
        last_names="núñez  quispe",
        birth_date="1987-03-14",
        sex="f",
        phone="+51 987 654 321",
        email=" Maria.Nunez@Example.PE ",
        address="  Av. Larco 1150,   Miraflores ",
    )
    assert created["first_names"] == "MARÍA JOSÉ"
    assert created["last_names"] == "NÚÑEZ QUISPE"
    assert created["full_name"] == "NÚÑEZ QUISPE, MARÍA JOSÉ"
    assert created["doc_number"] == "45871236"
    assert created["sex"] == "F"
    assert created["phone"] == "987654321"
    assert created["email"] == "maria.nunez@example.pe"
    assert created["address"] == "Av. Larco 1150, Miraflores"
    assert created["home_sede_id"] == SEDE_S01
    assert created["doc_type_label"] == "DNI"
    got = edge_client.get(f"/api/patients/{created['id']}", headers=reception)
    assert got.status_code == 200 and got.json() == created


def test_list_is_paginated_in_name_order(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    for last in ("Zapata Rojas", "Alva Torres", "Mendoza Ríos"):
        register(edge_client, reception, last_names=last)
    page = edge_client.get("/api/patients", params={"limit": 2}, headers=reception).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [p["last_names"] for p in page["items"]] == ["ALVA TORRES", "MENDOZA RÍOS"]
    rest = edge_client.get("/api/patients", params={"offset": 2}, headers=reception).json()
    assert [p["last_names"] for p in rest["items"]] == ["ZAPATA ROJAS"]


def test_unknown_patient_is_404(edge_client: TestClient, reception: dict[str, str]) -> None:
    r = edge_client.get("/api/patients/nope", headers=reception)
    assert r.status_code == 404
    assert r.json()["detail"][0]["type"] == "patient_not_found"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("doc_type", "9", "doc_type_invalid"),
        ("doc_number", "1234567", "dni_invalid"),
        ("first_names", "   ", "name_required"),
        ("last_names", "Pérez 2", "name_invalid"),
        ("first_names", "x" * 121, "name_too_long"),
        ("birth_date", "1899-12-31", "birth_date_too_old"),
        ("birth_date", "2999-01-01", "birth_date_future"),
        ("birth_date", "14/03/1987", "date_from_datetime_parsing"),
        ("sex", "Q", "sex_invalid"),
        ("phone", "12345", "phone_invalid"),
        ("phone", "+1 202 555 0100", "phone_invalid"),
        ("phone", "812345678", "phone_invalid"),
        ("email", "maria@", "email_invalid"),
        ("address", "x", "address_too_short"),
        ("address", "x" * 201, "address_too_long"),
    ],
)
def test_each_bad_field_has_its_code_and_location(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    reception: dict[str, str],
    field: str,
    value: str,
    code: str,
) -> None:
    r = edge_client.post("/api/patients", json=patient_body(**{field: value}), headers=reception)
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", field]]
    if code != "date_from_datetime_parsing":
        assert errors[0]["type"] == code
    assert errors[0]["msg"]
    with edge_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar_one() == 0


def test_missing_names_are_reported_per_field(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    r = edge_client.post(
        "/api/patients", json={"doc_type": "1", "doc_number": "45871236"}, headers=reception
    )
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [
        ("body", "first_names"),
        ("body", "last_names"),
    ]
    assert {e["type"] for e in r.json()["detail"]} == {"missing"}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("987654321", "987654321"),
        ("+51 987-654-321", "987654321"),
        ("(01) 456-7890", "014567890"),
        ("+51 1 4567890", "014567890"),
        ("044 123456", "044123456"),
    ],
)
def test_phone_forms(
    edge_client: TestClient, reception: dict[str, str], raw: str, stored: str
) -> None:
    assert register(edge_client, reception, phone=raw)["phone"] == stored


def test_second_registration_is_409_with_the_existing_id(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    first = register(edge_client, reception, doc_number="45871236")
    r = edge_client.post(
        "/api/patients",
        json=patient_body(doc_number="45871236", first_names="Otro", last_names="Nombre"),
        headers=reception,
    )
    assert r.status_code == 409
    assert r.json() == {
        "detail": [
            {
                "type": "patient_duplicate",
                "msg": "Ya existe un paciente con DNI 45871236: NÚÑEZ QUISPE, MARÍA JOSÉ.",
                "loc": ["body", "doc_number"],
                "ctx": {"patient_id": first["id"]},
            }
        ]
    }
    with edge_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar_one() == 1
    # the same number under another document type is another identity
    assert register(edge_client, reception, doc_type="4", doc_number="000045871236")


def test_unique_index_refuses_a_duplicate_row_even_behind_the_service(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    register(edge_client, reception, doc_number="45871236")
    with pytest.raises(Exception, match="UNIQUE"), edge_runtime.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patient (id, doc_type, doc_number, first_names, last_names, "
                "home_sede_id, created_at, updated_at) VALUES ('x', '1', '45871236', 'A', 'B', "
                "'s', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
            )
        )


def test_update_changes_only_sent_fields_and_keeps_history(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    created = register(edge_client, reception, phone="987654321", email="a@b.pe")
    pid = created["id"]
    r = edge_client.put(
        f"/api/patients/{pid}",
        json={"phone": "912345678", "email": None, "last_names": "Núñez Quispe"},
        headers=reception,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["phone"] == "912345678" and body["email"] is None
    assert body["first_names"] == created["first_names"]
    history = edge_client.get(f"/api/patients/{pid}/history", headers=reception).json()
    updates = [h for h in history["items"] if h["action"] == "update"]
    assert {(h["field"], h["old_value"], h["new_value"]) for h in updates} == {
        ("phone", "987654321", "912345678"),
        ("email", "a@b.pe", None),
    }  # last_names sent unchanged: no entry
    creates = {h["field"]: h["new_value"] for h in history["items"] if h["action"] == "create"}
    assert creates["doc_number"] == created["doc_number"]
    assert creates["last_names"] == "NÚÑEZ QUISPE"
    assert all(h["user_id"] and h["username"] for h in history["items"])
    assert history["total"] == len(history["items"])
    with edge_runtime.engine.connect() as conn:
        kinds = [
            r[0]
            for r in conn.execute(
                text("SELECT record_type FROM sync_outbox WHERE record_id = :id"), {"id": pid}
            )
        ]
    assert kinds.count("patient") == 2  # registered, then edited: both replicated


def test_update_validation_and_duplicate(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    a = register(edge_client, reception, doc_number="45871236")
    b = register(edge_client, reception, doc_number="45871237")
    r = edge_client.put(
        f"/api/patients/{b['id']}", json={"doc_number": "45871236"}, headers=reception
    )
    assert r.status_code == 409 and r.json()["detail"][0]["ctx"] == {"patient_id": a["id"]}
    r = edge_client.put(f"/api/patients/{b['id']}", json={"doc_number": "12"}, headers=reception)
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "dni_invalid"
    assert r.json()["detail"][0]["loc"] == ["body", "doc_number"]
    r = edge_client.put(f"/api/patients/{b['id']}", json={"first_names": None}, headers=reception)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "field_required"
    r = edge_client.put(f"/api/patients/{b['id']}", json={"sex": "Z"}, headers=reception)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "sex"]
    r = edge_client.put(f"/api/patients/{b['id']}", json={"nope": 1}, headers=reception)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"


def test_view_writes_the_access_log(
    edge_client: TestClient, edge_runtime: EdgeRuntime, reception: dict[str, str]
) -> None:
    pid = register(edge_client, reception)["id"]
    edge_client.get(f"/api/patients/{pid}", headers=reception)
    edge_client.get(f"/api/patients/{pid}", headers=reception)
    with edge_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, user_id, ip FROM access_log WHERE patient_id = :p"), {"p": pid}
        ).all()
    assert len(rows) == 2 and {r[0] for r in rows} == {"view"}
    assert all(r[1] and r[2] for r in rows)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/patients", patient_body()),
        ("put", "/api/patients/{id}", {"phone": "912345678"}),
        ("get", "/api/patients/export", None),
        ("post", "/api/patients/{id}/consents",
         {"kind": "datos_salud", "granted": True, "version": "v1", "channel": "presencial"}),
    ],
)  # fmt: skip
def test_laboratorista_may_read_but_not_write(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    reception: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    pid = register(edge_client, reception)["id"]
    lab = auth_headers(edge_runtime, "laboratorista")
    assert edge_client.get(f"/api/patients/{pid}", headers=lab).status_code == 200
    kwargs: dict[str, Any] = {"headers": lab}
    if body is not None:
        kwargs["content"] = json.dumps(body)
        kwargs["headers"] = {**lab, "Content-Type": "application/json"}
    r = edge_client.request(method.upper(), path.format(id=pid), **kwargs)
    assert r.status_code == 403
    assert r.json()["detail"][0]["type"] == "permission_denied"


def test_reception_may_not_export_and_anonymous_is_401(
    edge_client: TestClient, reception: dict[str, str]
) -> None:
    assert edge_client.get("/api/patients/export", headers=reception).status_code == 403
    assert edge_client.get("/api/patients").status_code == 401
    assert edge_client.get("/api/patients/search", params={"q": "a"}).status_code == 401
