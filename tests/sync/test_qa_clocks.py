"""QA of clock skew between edge and hub (sync notes §2.8, §3.4; invariant 8).

The hub's clock is stepped a day ahead for one push (a mis-set NTP server) and then corrected,
as happened in mozilla-services/server-syncstorage#7. The edge must not adopt a hub stamp that is
further ahead of its own clock than the maximum offset: if it did, every stamp it issued for the
next day would be "in the future" at the hub, its patient edits would never win and every push
would open a clock-skew conflict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.hlc import parse
from edge.db import unit_of_work
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from sync import outbox
from sync.protocol import MAX_CLOCK_OFFSET_MS
from tests.sync.replication_helpers import (
    add_patient,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

START = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def clocks(hub_runtime: HubRuntime) -> Iterator[tuple[FixedClock, FixedClock]]:
    hub_clock, edge_clock = FixedClock(START), FixedClock(START)
    hub_runtime.clock = hub_clock
    outbox.set_clock(edge_clock)
    try:
        yield hub_clock, edge_clock
    finally:
        from domain.clock import SystemClock

        outbox.set_clock(SystemClock())


def test_qa_a_hub_clock_jump_does_not_push_the_edge_hlc_into_the_future(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    clocks: tuple[FixedClock, FixedClock],
) -> None:
    hub_clock, edge_clock = clocks
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=edge_clock,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    engine = edge_runtime.engine

    pid = add_patient(engine, edge_clock, sede_id=sede, doc="41234567", phone="900000001")
    hub_clock.advance(dt.timedelta(days=1))  # the hub's clock is stepped a day ahead ...
    service.push_pending(engine, client, edge_clock)
    hub_clock.advance(dt.timedelta(days=-1))  # ... and corrected
    edge_clock.advance(seconds=60)

    state = outbox.ensure_state(engine.connect())
    ahead = parse(state["hlc_last"]).wall_ms - int(edge_clock.now().timestamp() * 1000)
    assert ahead <= MAX_CLOCK_OFFSET_MS, f"edge HLC adopted a stamp {ahead} ms ahead"

    with unit_of_work(engine) as session:  # reception corrects the patient's phone
        patient = session.get(Patient, pid)
        assert patient is not None
        patient.phone = "900000002"
        patient.updated_at = edge_clock.now()
    service.push_pending(engine, client, edge_clock)
    with hub_runtime.engine.connect() as conn:
        phone = conn.execute(text("SELECT phone FROM hub_patient WHERE id = :i"), {"i": pid})
        kinds = conn.execute(text("SELECT kind FROM sync_conflict")).scalars().all()
    assert phone.scalar() == "900000002"  # the edit won: its stamp was trusted
    assert "clock_skew" not in kinds
