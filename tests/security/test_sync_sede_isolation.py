"""A node may only write its own sede's records at the hub, whatever ids it sends."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.ids import new_id
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.security.hubnodes import S01, S02, audit_row, enrol, push


def _stored(rt: HubRuntime, record_id: str) -> tuple[str, str]:
    with rt.engine.connect() as conn:
        row = conn.execute(
            text("SELECT sede_id, payload->>'action' FROM sync_record WHERE id = :i"),
            {"i": record_id},
        ).one()
    return str(row[0]), str(row[1])


def test_a_node_cannot_overwrite_another_sedes_record_by_its_id(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    n1 = enrol(hub_client, admin, S01)
    n2 = enrol(hub_client, admin, S02)
    victim = new_id()
    r = push(hub_client, n2, [audit_row(1, victim, S02, "original", node_id=n2.node_id)])
    assert r.status_code == 200 and r.json()["parked"] == [], r.text

    # S01's node claims the id for its own sede (the only sede it may name)
    forged = audit_row(1, victim, S01, "forged", node_id=n1.node_id)
    r = push(hub_client, n1, [forged])
    assert r.status_code == 200, r.text
    assert r.json()["parked"] == [1]
    assert [p["reason"] for p in r.json()["parked_details"]] == ["foreign_sede"]
    assert _stored(hub_runtime, victim) == (S02, "original")

    delete = {**audit_row(2, victim, S01, "x", node_id=n1.node_id), "op": "delete"}
    r = push(hub_client, n1, [delete])
    assert r.json()["parked"] == [2]
    assert _stored(hub_runtime, victim) == (S02, "original")
