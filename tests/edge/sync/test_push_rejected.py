"""Push-side poison: the rows the hub parks (``PushAck.parked``) are kept by the edge with the
hub's reason and shown in its status; they are not pending, and the outbox rows stay."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import SystemClock
from domain.ids import new_id
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync import parking, service
from edge.sync.enroll import enroll, load_credentials
from sync import outbox
from sync.client import SyncClient, to_change
from sync.protocol import ParkedNote, PushBatch
from tests.edge.factories import auth_headers
from tests.sync.replication_helpers import (
    add_patient,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()


def _enrolled(
    hub_client: TestClient, hub_rt: HubRuntime, edge_rt: EdgeRuntime
) -> tuple[str, SyncClient]:
    admin_override(hub_client)
    sede = make_hub_sede(hub_rt, "S01")
    enroll(
        edge_rt.engine,
        edge_rt.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    return sede, node_client(hub_client, load_credentials(edge_rt.settings.data_dir))


def _foreign_payment(rt: EdgeRuntime) -> str:
    """An outbox row the hub refuses: a payment of another sede."""
    pid = new_id()
    with unit_of_work(rt.engine) as session:
        outbox.record_change(
            session, record_type="payment", record_id=pid, payload={"id": pid, "sede_id": "otra"}
        )
    return pid


def _scalar(rt: EdgeRuntime, sql: str) -> object:
    with rt.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_rows_the_hub_parks_are_shown_and_not_pending(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sede, client = _enrolled(hub_client, hub_runtime, edge_runtime)
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="46666661")
    bad = _foreign_payment(edge_runtime)
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="46666662")
    with caplog.at_level(logging.WARNING, logger="labred.edge.sync"):
        assert service.push_pending(edge_runtime.engine, client, CLOCK) == 3
    assert any(bad in r.getMessage() and "foreign_sede" in r.getMessage() for r in caplog.records)
    headers = auth_headers(edge_runtime, "admin")
    body = edge_client.get("/api/sync/status", headers=headers).json()
    assert body["backlog"] == 0 and body["oldest_unacked_at"] is None  # not pending
    assert body["rejected"] == 1
    row = body["rejected_recent"][0]
    assert (row["seq"], row["record_type"], row["record_id"]) == (2, "payment", bad)
    assert (
        row["reason"] == "foreign_sede" and row["message"] == "El registro pertenece a otra sede."
    )
    assert "1 registro rechazado por la central" in body["warnings"]
    assert _scalar(edge_runtime, f"SELECT count(*) FROM sync_outbox WHERE record_id = '{bad}'") == 1
    # a later push (more rows, the hub answering again) does not note it twice
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="46666663")
    service.push_pending(edge_runtime.engine, client, CLOCK)
    assert _scalar(edge_runtime, "SELECT count(*) FROM sync_push_rejected") == 1
    metrics = edge_client.get("/api/sync/metrics", headers=headers)
    assert "labred_edge_sync_rejected 1.0" in metrics.text


def test_a_hub_without_reasons_still_gets_its_refusals_noted(edge_runtime: EdgeRuntime) -> None:
    """An older hub sends ``parked`` without ``parked_details``; a seq outside the batch (a
    resend) is read from the outbox."""
    pid = _foreign_payment(edge_runtime)
    with unit_of_work(edge_runtime.engine) as session:
        conn = session.connection()
        assert parking.note_rejected(conn, seqs=[1], details=[], rows={}, now=CLOCK.now()) == 1
        note = ParkedNote(seq=1, reason="later", message="otra")
        assert parking.note_rejected(conn, seqs=[1], details=[note], rows={}, now=CLOCK.now()) == 0
    with edge_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, record_type, record_id, reason FROM sync_push_rejected")
        )
        assert [tuple(r) for r in rows] == [(1, "payment", pid, "rejected")]


def test_a_lost_ack_does_not_lose_the_refusal(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    """The hub parks a row but its reply is lost; the resend's ack (which parks nothing new)
    still carries the reason, so the edge notes the refusal."""
    sede, client = _enrolled(hub_client, hub_runtime, edge_runtime)
    bad = _foreign_payment(edge_runtime)
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="46666664")
    with edge_runtime.engine.connect() as conn:
        state = outbox.ensure_state(conn)
        rows = outbox.pending(conn, after_seq=0, limit=10)
    lost = client.push(
        PushBatch(
            node_id=state["node_id"],
            epoch=state["epoch"],
            from_seq=1,
            to_seq=rows[-1]["seq"],
            rows=[to_change(r) for r in rows],
        )
    )
    assert lost.parked == [1]  # the reply the edge never read
    assert service.push_pending(edge_runtime.engine, client, CLOCK) == 2  # the resend
    with edge_runtime.engine.connect() as conn:
        noted = conn.execute(text("SELECT seq, record_id, reason FROM sync_push_rejected"))
        assert [tuple(r) for r in noted] == [(1, bad, "foreign_sede")]
