"""The hub lists sedes by code in natural order (S2 < S10 < S100, S09 < S10), not as text
(S1, S10, S100, S2): the sede list, the laboratory's sede list, the sync nodes, a user's sedes,
the closures; one ordering (central/config/sede_order.py) in SQL and in Python."""

from __future__ import annotations

import datetime as dt
import random

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.config.sede_order import sede_code_key, sede_code_sql
from central.db import unit_of_work
from central.reconciliation.models import Closure
from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede

NATURAL = ["S1", "S2", "S09", "S10", "S100"]
AS_TEXT = sorted(NATURAL)  # S09, S1, S10, S100, S2: what the API answered before


def _sedes(rt: HubRuntime) -> dict[str, str]:
    """Make the sedes in a scrambled order; sede id -> code."""
    for code in ["S10", "S2", "S100", "S1", "S09"]:
        make_sede(rt, code)
    return {sede_id_for(c): c for c in NATURAL}


def test_the_python_key_and_the_sql_order_agree() -> None:
    codes = NATURAL + ["S7", "S07", "AREQ", "LIMA2", "LIMA10", "S1A2", "S1A10", "S0000001"]
    assert sorted(["S100", "S2", "S10"], key=sede_code_key) == ["S2", "S10", "S100"]
    assert AS_TEXT != NATURAL  # the test data tells the two orders apart
    rng = random.Random(3)
    shuffled = codes[:]
    rng.shuffle(shuffled)
    expected = sorted(shuffled, key=sede_code_key)
    assert expected[:3] == ["AREQ", "LIMA2", "LIMA10"]
    assert expected.index("S2") < expected.index("S09") < expected.index("S10")
    assert expected.index("S1A2") < expected.index("S1A10")
    assert expected.index("S07") < expected.index("S7")  # a tie falls back to the code


def test_postgres_orders_like_the_python_key(hub_runtime: HubRuntime) -> None:
    codes = NATURAL + ["S7", "S07", "AREQ", "LIMA2", "LIMA10", "S1A2", "S1A10", "S0000001"]
    with hub_runtime.engine.connect() as conn:
        got = (
            conn.execute(
                text(f"SELECT c FROM unnest(CAST(:cs AS text[])) c ORDER BY {sede_code_sql('c')}"),
                {"cs": codes[::-1]},
            )
            .scalars()
            .all()
        )
    assert got == sorted(codes, key=sede_code_key)


def test_sede_lists_are_in_natural_order(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    codes = _sedes(hub_runtime)
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    r = hub_client.get("/api/config/locations", headers=h)
    assert r.status_code == 200, r.text
    assert [s["code"] for s in r.json()["items"] if s["code"] in NATURAL] == NATURAL
    r = hub_client.get("/api/web/sedes", headers=h)
    assert r.status_code == 200, r.text
    assert [s["code"] for s in r.json()["items"] if s["code"] in NATURAL] == NATURAL
    r = hub_client.get("/api/lab/sedes", headers=h)
    assert r.status_code == 200, r.text
    assert [s["sede_code"] for s in r.json()["items"] if s["sede_code"] in NATURAL] == NATURAL
    for sede_id in [sede_id_for(c) for c in ["S100", "S09", "S2", "S10", "S1"]]:
        r = hub_client.post("/api/sync/nodes", json={"sede_id": sede_id, "name": "n"}, headers=h)
        assert r.status_code in (200, 201), r.text
    r = hub_client.get("/api/sync/nodes", headers=h)
    assert [codes[n["sede_id"]] for n in r.json()] == NATURAL
    r = hub_client.get("/api/web/sync-health", headers=h)
    assert r.status_code == 200, r.text
    assert [codes[n["node"]["sede_id"]] for n in r.json()] == NATURAL


def test_a_users_sedes_are_kept_in_natural_order(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    codes = _sedes(hub_runtime)
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    body = {
        "username": "ana.perez",
        "full_name": "Ana Pérez Quispe",
        "role": "supervisor",
        "sede_ids": [sede_id_for(c) for c in ["S100", "S2", "S10"]],
        "password": "clave-inicial-123",
    }
    r = hub_client.post("/api/users", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert [codes[s] for s in r.json()["sede_ids"]] == ["S2", "S10", "S100"]


def test_closures_of_a_day_are_listed_by_sede_code(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    codes = _sedes(hub_runtime)
    day = dt.date(2026, 11, 27)
    with unit_of_work(hub_runtime.engine) as session:
        for code in ["S10", "S100", "S2", "S09", "S1"]:
            now = hub_runtime.clock.now()
            session.add(
                Closure(
                    sede_id=sede_id_for(code),
                    business_date=day,
                    executed_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    r = hub_client.get("/api/reconciliation/closures", headers=h)
    assert r.status_code == 200, r.text
    assert [codes[c["sede_id"]] for c in r.json()["items"]] == NATURAL


def test_reports_by_sede_are_in_natural_order(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    from tests.central.reconciliation.builders import SedeDay

    _sedes(hub_runtime)
    day = dt.date(2026, 11, 27)
    for code in ["S10", "S100", "S2", "S09", "S1"]:
        b = SedeDay(hub_runtime.engine, code, day)
        b.payment(b.order("10.00"))
        b.push_day(seal=False)
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    period = {"from": "2026-11-01", "to": "2026-11-29"}
    r = hub_client.get("/api/reports/sales", params=period, headers=h)
    assert r.status_code == 200, r.text
    assert [row["sede"] for row in r.json()["rows"]] == NATURAL
    r = hub_client.get("/api/reports/dashboard", params=period, headers=h)
    assert r.status_code == 200, r.text
    assert [s["sede_code"] for s in r.json()["by_sede"]] == NATURAL
