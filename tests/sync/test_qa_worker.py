"""QA of the edge worker's sync rounds while reception keeps selling (sync notes §2.2, §2.3).

Reception writes a sale every time a batch is acknowledged, so the outbox never empties. The pull
round used to push "until empty" before pulling, so hub changes (prices, users) never reached a
busy sede; the push round held the sync lock the same way. Both rounds must be bounded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

import edge.sync.service as edge_service
from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import worker
from edge.sync.enroll import enroll
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()


def test_qa_a_busy_sede_still_pulls_hub_changes(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    engine = edge_runtime.engine
    enroll(
        engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    monkeypatch.setattr(
        worker, "make_client", lambda url, creds, **kw: node_client(hub_client, creds)
    )
    pid = add_patient(engine, CLOCK, sede_id=sede, doc="42222222")
    acks = {"n": 0, "sold": 0}

    def reception_sells(point: str) -> None:  # a new sale after every acknowledged batch
        if point != "edge.after_ack":
            return
        acks["n"] += 1
        acks["sold"] += 1
        assert acks["n"] < 200, "the round never stopped pushing"
        add_sale(
            engine,
            CLOCK,
            sede_id=sede,
            patient_id=pid,
            number=f"S01-W-{acks['sold']:05d}",
            amount=Decimal("5.00"),
        )

    monkeypatch.setattr(edge_service, "hook", reception_sells)
    with hub_uow(hub_runtime.engine) as session:
        session.add(Setting(key="qa_busy", value="1", updated_at=dt.datetime.now(dt.UTC)))

    worker.pull_job(edge_runtime)
    with engine.connect() as conn:
        pulled: Any = conn.execute(text("SELECT value FROM setting WHERE key = 'qa_busy'")).first()
    assert pulled is not None, f"no pull after {acks['n']} pushed batches"
    assert acks["n"] <= worker.PULL_PUSH

    acks["n"] = 0
    worker.push_job(edge_runtime)  # the push round, too, gives the lock back
    assert 0 < acks["n"] <= worker.PUSH_BATCHES
