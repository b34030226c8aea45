"""Patients at the hub: one canonical per document, aliases down to edges, LWW, conflicts."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync.models import Node
from central.sync.service import ingest
from domain.clock import FixedClock
from sync.protocol import Change, PushBatch
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code

T0 = dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)


def _node(client: TestClient, rt: HubRuntime, code: str) -> str:
    sede = make_hub_sede(rt, code)
    enrol = new_code(client, sede)
    return str(client.post("/api/sync/enroll", json={"code": enrol}).json()["node_id"])


def _hlc(offset_ms: int, node: str) -> str:
    wall = int(T0.timestamp() * 1000) + offset_ms
    return f"{wall:012x}-0000-{node}"


def _push(rt: HubRuntime, node_id: str, seq: int, payload: dict, hlc: str) -> None:  # type: ignore[type-arg]
    with unit_of_work(rt.engine) as session:
        node = session.get(Node, node_id)
        assert node is not None
        row = Change(
            seq=seq,
            tx_id=f"t{seq}",
            record_type="patient",
            record_id=payload["id"],
            payload=payload,
            hlc=hlc,
            schema_version=1,
        )
        ingest(
            session=session,
            node=node,
            clock=FixedClock(T0),
            batch=PushBatch(
                node_id=node_id, epoch=node.epoch, from_seq=seq, to_seq=seq, rows=[row]
            ),
        )


def _patient(pid: str, sede: str, phone: str, first: str = "Ana") -> dict:  # type: ignore[type-arg]
    return {
        "id": pid,
        "doc_type": "1",
        "doc_number": "41234567",
        "first_names": first,
        "last_names": "Quispe",
        "phone": phone,
        "home_sede_id": sede,
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }


def test_same_document_at_two_sedes_merges_with_conflicts_and_resolution(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    admin_override(hub_client)
    a, b = _node(hub_client, hub_runtime, "S01"), _node(hub_client, hub_runtime, "S02")
    _push(hub_runtime, a, 1, _patient("p-a", "S01", "911111111"), _hlc(0, "a"))
    _push(hub_runtime, b, 1, _patient("p-b", "S02", "922222222", first="Anita"), _hlc(1000, "b"))
    with hub_runtime.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, phone, first_names FROM hub_patient")).all()
        alias = conn.execute(text("SELECT alias_id, canonical_id FROM hub_patient_alias")).all()
        feed = (
            conn.execute(
                text(
                    "SELECT record_type FROM sync_change_feed WHERE record_type IN "
                    "('patient', 'patient_alias') ORDER BY cursor"
                )
            )
            .scalars()
            .all()
        )
    assert rows == [("p-a", "922222222", "Anita")]  # later HLC wins each field
    assert alias == [("p-b", "p-a")] and feed.count("patient_alias") == 1
    conflicts = hub_client.get("/api/sync/conflicts").json()
    kinds = sorted(c["kind"] for c in conflicts)
    assert kinds == ["concurrent_field_edit", "concurrent_field_edit", "duplicate_identity"]
    phone = next(c for c in conflicts if c["field"] == "phone")
    assert phone["kept_value"] == "922222222" and phone["other_value"] == "911111111"
    resp = hub_client.post(f"/api/sync/conflicts/{phone['id']}/resolve", json={"choice": "other"})
    assert resp.status_code == 200 and resp.json()["status"] == "resolved"
    with hub_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT phone FROM hub_patient")).scalar() == "911111111"
        last = conn.execute(
            text(
                "SELECT payload->>'phone' FROM sync_change_feed WHERE "
                "record_type = 'patient' ORDER BY cursor DESC LIMIT 1"
            )
        ).scalar()
    assert last == "911111111"  # the resolution flows down
    again = hub_client.post(f"/api/sync/conflicts/{phone['id']}/resolve", json={"choice": "kept"})
    assert again.status_code == 409


def test_older_stamp_loses_and_skewed_stamp_never_wins(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    admin_override(hub_client)
    a, b = _node(hub_client, hub_runtime, "S01"), _node(hub_client, hub_runtime, "S02")
    _push(hub_runtime, a, 1, _patient("p-a", "S01", "911111111"), _hlc(0, "a"))
    _push(hub_runtime, b, 1, _patient("p-a", "S01", "933333333"), _hlc(-5000, "b"))
    _push(
        hub_runtime, b, 2, _patient("p-a", "S01", "944444444"), _hlc(20 * 60 * 1000, "b")
    )  # 20 minutes ahead of the hub
    with hub_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT phone FROM hub_patient")).scalar() == "911111111"
        kinds = conn.execute(text("SELECT kind FROM sync_conflict ORDER BY created_at")).all()
    assert {k for (k,) in kinds} == {"concurrent_field_edit", "clock_skew"}
