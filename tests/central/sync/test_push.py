"""Hub ingest over HTTP: enrolment, push exactly once, gaps, parking, epochs, revocation."""

from __future__ import annotations

import gzip
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from sync import outbox
from sync.client import to_change
from sync.protocol import PushBatch
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
    set_order_status,
)

CLOCK = SystemClock()


def _enrolled(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> tuple[str, dict]:  # type: ignore[type-arg]
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    code = new_code(hub_client, sede)
    info = enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=code,
        clock=CLOCK,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir)
    assert creds is not None and info["epoch"] == 1
    return sede, creds


def _count(rt: HubRuntime, sql: str, **params: object) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar() or 0)


def test_enrol_push_exactly_once(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    path = edge_runtime.settings.data_dir / "secrets" / "node.json"
    assert path.stat().st_mode & 0o777 == 0o600
    client = node_client(hub_client, creds)
    pid = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="40000001")
    oid, _ = add_sale(
        edge_runtime.engine,
        CLOCK,
        sede_id=sede,
        patient_id=pid,
        number="S01-20261129-0001",
        amount=Decimal("35.50"),
    )
    set_order_status(edge_runtime.engine, CLOCK, oid, "pagada")
    acked = service.push_pending(edge_runtime.engine, client, CLOCK)
    assert acked >= 4
    assert service.backlog(edge_runtime.engine) == 0
    assert _count(hub_runtime, "SELECT count(*) FROM sync_record WHERE record_type='order'") == 1
    assert _count(hub_runtime, "SELECT count(*) FROM hub_patient") == 1
    with hub_runtime.engine.connect() as conn:
        status = conn.execute(
            text("SELECT payload->>'status', payload->>'total' FROM sync_record WHERE id = :i"),
            {"i": oid},
        ).one()
    assert status == ("pagada", "3550")
    # the same rows again (a retried batch): nothing changes, ack stays
    with edge_runtime.engine.connect() as conn:
        rows = outbox.pending(conn, after_seq=0, limit=100)
    batch = PushBatch(
        node_id=creds["node_id"],
        epoch=1,
        from_seq=1,
        to_seq=rows[-1]["seq"],
        rows=[to_change(r) for r in rows],
    )
    ack = client.push(batch)
    assert ack.acked_to == rows[-1]["seq"] and not ack.parked
    assert _count(hub_runtime, "SELECT count(*) FROM sync_record") == 2


def test_gap_is_refused_and_bad_rows_parked(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    client = node_client(hub_client, creds)
    pid = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="40000002")
    add_sale(
        edge_runtime.engine,
        CLOCK,
        sede_id=sede,
        patient_id=pid,
        number="S01-20261129-0002",
        amount=Decimal("10.00"),
    )
    with edge_runtime.engine.connect() as conn:
        rows = outbox.pending(conn, after_seq=0, limit=100)
    changes = [to_change(r) for r in rows]
    late = PushBatch(node_id=creds["node_id"], epoch=1, from_seq=2, to_seq=3, rows=changes[1:])
    ack = client.push(late)
    assert ack.gap and ack.acked_to == 0
    bad = changes[0].model_copy(update={"payload": {**changes[0].payload, "id": "x"}})
    foreign = changes[2].model_copy(
        update={"payload": {**changes[2].payload, "sede_id": "otra-sede"}}
    )
    ack = client.push(
        PushBatch(
            node_id=creds["node_id"], epoch=1, from_seq=1, to_seq=3, rows=[bad, changes[1], foreign]
        )
    )
    assert ack.acked_to == 3 and ack.parked == [1, 3]
    reasons = {r["reason"] for r in hub_client.get("/api/sync/parked").json()}
    assert reasons == {"id_mismatch", "foreign_sede"}


def test_gzip_body_and_bad_body(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    auth = (creds["node_id"], creds["secret"])
    resp = hub_client.post(
        "/api/sync/push",
        content=gzip.compress(b"{not json"),
        auth=auth,
        headers={"Content-Encoding": "gzip"},
    )
    assert resp.status_code == 422 and resp.json()["detail"][0]["type"] == "batch_invalid"
    resp = hub_client.post(
        "/api/sync/push", content=b"\x1f\x8bxx", auth=auth, headers={"Content-Encoding": "gzip"}
    )
    assert resp.status_code == 422
    resp = hub_client.post("/api/sync/push", content=b"{}", auth=(creds["node_id"], "wrong"))
    assert resp.status_code == 401


def test_reenrolment_makes_old_epoch_stale_and_revocation_refuses(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    old = node_client(hub_client, creds)
    code = new_code(hub_client, sede)
    resp = hub_client.post("/api/sync/enroll", json={"code": code, "acked_seq": 0})
    assert resp.status_code == 200 and resp.json()["epoch"] == 2
    fresh = {"node_id": resp.json()["node_id"], "secret": resp.json()["secret"]}
    # the old secret no longer works; a push claiming the old epoch is stale
    assert (
        hub_client.get("/api/sync/pull", auth=(creds["node_id"], creds["secret"])).status_code
        == 401
    )
    batch = PushBatch(node_id=fresh["node_id"], epoch=1, from_seq=1, to_seq=1, rows=[])
    resp = hub_client.post(
        "/api/sync/push", content=batch.model_dump_json(), auth=(fresh["node_id"], fresh["secret"])
    )
    assert resp.status_code == 409 and resp.json()["detail"][0]["type"] == "stale_epoch"
    assert old.node_id == fresh["node_id"]
    hub_client.post(f"/api/sync/nodes/{fresh['node_id']}/revoke")
    resp = hub_client.get("/api/sync/pull", auth=(fresh["node_id"], fresh["secret"]))
    assert resp.status_code == 403 and resp.json()["detail"][0]["type"] == "node_revoked"
    # the code was single-use
    assert hub_client.post("/api/sync/enroll", json={"code": code}).status_code == 401


def test_old_schema_pull_gets_upgrade_required(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    import central.sync.router as r

    monkeypatch.setattr(r, "MIN_PULL_SCHEMA", 2)
    auth = (creds["node_id"], creds["secret"])
    resp = hub_client.get("/api/sync/pull", params={"schema": 1}, auth=auth)
    assert resp.status_code == 426 and resp.json()["detail"][0]["type"] == "upgrade_required"
    batch = PushBatch(node_id=creds["node_id"], epoch=1, from_seq=1, to_seq=1, rows=[])
    assert (
        hub_client.post("/api/sync/push", content=batch.model_dump_json(), auth=auth).status_code
        == 200
    )


def test_node_status_metrics_and_admin_required(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    status = hub_client.get(f"/api/sync/nodes/{creds['node_id']}/status").json()
    assert status["epoch"] == 1 and status["parked_rows"] == 0
    text_ = hub_client.get("/metrics").text
    assert "labred_sync_node_acked_seq" in text_
    hub_client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert hub_client.get("/api/sync/nodes").status_code == 401
