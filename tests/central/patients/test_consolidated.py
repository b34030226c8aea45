"""Consolidated patients at the hub: search across the chain (document, then surnames first),
a patient with its merged ids, and its orders in every sede."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from central.runtime import HubRuntime
from central.sync.models import HubPatient, PatientAlias
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
S01, S02 = sede_id_for("S01"), sede_id_for("S02")
_P: Any = HubPatient.__table__  # type: ignore[attr-defined]


def patient(doc: str, last: str, first: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": new_id(), "doc_type": "1", "doc_number": doc, "first_names": first,
        "last_names": last, "birth_date": None, "sex": None, "phone": None, "email": None,
        "address": None, "home_sede_id": S01, "canonical_id": None, "row_hlc": None,
        "created_by": None, "created_at": T0, "updated_at": T0, "field_hlc": {},
        "field_node": {},
    } | extra  # fmt: skip


@pytest.fixture
def people(hub_runtime: HubRuntime) -> dict[str, dict[str, Any]]:
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    rows = {
        "rosa": patient("40123456", "QUISPE MAMANI", "ROSA"),
        "juan": patient("40123499", "QUISPE HUAMAN", "JUAN"),
        "nunez": patient("09876543", "NUÑEZ DEL ARCO", "MARÍA"),
        "other": patient("12345678", "GARCIA", "LUIS"),
    }
    rows["dup"] = patient("40123456", "QUISPE MAMANI", "ROSA", canonical_id=rows["rosa"]["id"])
    filler = [patient(f"7{i:07d}", f"APELLIDO{i:05d}", "RELLENO") for i in range(3000)]
    with hub_runtime.engine.begin() as conn:
        conn.execute(insert(_P), [*rows.values(), *filler])
        conn.execute(
            insert(PatientAlias.__table__),  # type: ignore[attr-defined]
            [{"id": new_id(), "alias_id": rows["dup"]["id"],
              "canonical_id": rows["rosa"]["id"], "merged_at": T0}],
        )  # fmt: skip
    return rows


def search(client: TestClient, headers: dict[str, str], q: str, **params: Any) -> Any:
    r = client.get("/api/patients", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_search_by_document_then_name_across_the_chain(
    hub_client: TestClient, hub_runtime: HubRuntime, people: dict[str, dict[str, Any]]
) -> None:
    headers = auth_headers(hub_runtime, Role.RECEPCIONISTA, sede_ids=[S02])
    exact = search(hub_client, headers, "40.123.456")
    assert [(p["id"], p["match"]) for p in exact["items"]] == [
        (people["rosa"]["id"], "document")
    ]  # the merged duplicate is not listed
    prefix = search(hub_client, headers, "401234")
    assert [p["id"] for p in prefix["items"]] == [people["rosa"]["id"], people["juan"]["id"]]
    assert {p["match"] for p in prefix["items"]} == {"document_prefix"}
    names = search(hub_client, headers, "quispe ma")
    assert [p["first_names"] for p in names["items"]] == ["ROSA"]
    both = search(hub_client, headers, "Quispe")
    assert [p["first_names"] for p in both["items"]] == ["JUAN", "ROSA"]  # name order
    accents = search(hub_client, headers, "nunez del arco mar")
    assert [p["id"] for p in accents["items"]] == [people["nunez"]["id"]]
    assert search(hub_client, headers, "NÚÑEZ")["items"][0]["id"] == people["nunez"]["id"]
    page1 = search(hub_client, headers, "apellido0", limit=5)
    page2 = search(hub_client, headers, "apellido0", limit=5, offset=5)
    assert page1["has_more"] and len(page1["items"]) == 5
    assert page1["items"][-1]["last_names"] < page2["items"][0]["last_names"]
    assert search(hub_client, headers, "zzz") == {"items": [], "has_more": False}
    for bad in ("   ", "x" * 150):
        r = hub_client.get("/api/patients", params={"q": bad}, headers=headers)
        assert r.status_code == 422, r.text
    r = hub_client.get("/api/patients", params={"q": "a%"}, headers=headers)
    assert r.status_code == 200 and r.json()["items"] == []  # LIKE wildcards are literal
    with hub_runtime.engine.connect() as conn:
        logged = (
            conn.execute(
                text("SELECT details FROM hub_audit_event WHERE action = 'patient.search'")
            )
            .scalars()
            .all()
        )
    assert logged and all("quispe" not in str(d).lower() for d in logged)


def test_search_walks_the_indexes(
    hub_runtime: HubRuntime, people: dict[str, dict[str, Any]]
) -> None:
    from central.patients.indexes import NAME_KEY_SQL

    with hub_runtime.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        conn.execute(text("ANALYZE hub_patient"))
        for sql in (
            f"SELECT id FROM hub_patient WHERE canonical_id IS NULL AND {NAME_KEY_SQL} "
            f"~>=~ 'QUISPE' AND {NAME_KEY_SQL} ~<~ 'QUISPE\U0010ffff' "
            f"ORDER BY {NAME_KEY_SQL} USING ~<~, id LIMIT 21",
            "SELECT id FROM hub_patient WHERE canonical_id IS NULL AND doc_number ~>=~ '401' "
            "AND doc_number ~<~ '401\U0010ffff' ORDER BY doc_number USING ~<~, id LIMIT 21",
        ):
            plan = "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())
            assert "Index Scan using ix_hub_patient_" in plan, plan
            full_sorts = [
                ln for ln in plan.splitlines() if ln.strip().startswith(("Sort  (", "->  Sort  ("))
            ]
            assert not full_sorts, plan  # rows come in index order (at most an incremental sort)


def test_a_patients_orders_in_every_sede_with_merged_ids(
    hub_client: TestClient, hub_runtime: HubRuntime, people: dict[str, dict[str, Any]]
) -> None:
    rosa, dup = people["rosa"]["id"], people["dup"]["id"]
    s1 = SedeDay(hub_runtime.engine, "S01", dt.date(2026, 11, 20))
    s1.order("50.00", patient_id=rosa)
    s1.order("10.00", patient_id=people["other"]["id"])
    s1.push_day(seal=False)
    s2 = SedeDay(hub_runtime.engine, "S02", dt.date(2026, 11, 28))
    s2.order("80.00", patient_id=dup, paid="30.00")  # registered offline as a duplicate
    s2.push_day(seal=False)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.get(f"/api/patients/{dup}", headers=admin)
    assert r.status_code == 200 and r.json()["id"] == rosa and r.json()["merged_ids"] == [dup]
    r = hub_client.get(f"/api/patients/{rosa}/orders", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    assert [(o["sede_code"], o["total"], o["balance"]) for o in body["items"]] == [
        ("S02", "80.00", "50.00"), ("S01", "50.00", "0.00"),
    ]  # fmt: skip
    supervisor = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S01])
    mine = hub_client.get(f"/api/patients/{rosa}/orders", headers=supervisor).json()
    assert [o["sede_code"] for o in mine["items"]] == ["S01"]
    missing = hub_client.get("/api/patients/nada/orders", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["type"] == "patient_not_found"
    lab = auth_headers(hub_runtime, Role.LABORATORISTA)
    assert hub_client.get(f"/api/patients/{rosa}", headers=lab).status_code == 200
    assert hub_client.get(f"/api/patients/{rosa}").status_code == 401
