"""A pull with no hub changes is cheap: the mirror digests equal the hub's, nothing is
re-snapshotted (regression: a JSON setting holding the string "10" was decoded into the
number 10 at the edge, so the ``setting`` table drifted and was re-snapshotted at every pull)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.seed import seed_demo
from central.sync.pull import digests as hub_digests
from domain.clock import SystemClock
from domain.ids import sede_id_for
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.digests import local_digests
from edge.sync.enroll import enroll, load_credentials
from edge.sync.mirrors import from_wire
from sync import changefeed
from sync.client import SyncClient
from sync.protocol import SnapshotPage
from tests.sync.replication_helpers import admin_override, new_code, node_client

CLOCK = SystemClock()


class CountingClient(SyncClient):
    """A sync client that counts the snapshots it asks for."""

    snapshots: list[str]

    def snapshot(self, record_type: str) -> SnapshotPage:
        self.snapshots.append(record_type)
        return super().snapshot(record_type)


def _enrolled(hub_client: TestClient, hub_rt: HubRuntime, edge_rt: EdgeRuntime) -> CountingClient:
    admin_override(hub_client)
    with hub_uow(hub_rt.engine) as s:
        seed_demo(s, clock=CLOCK, sedes=2, admin_password="clave-de-prueba-1")
    sede = sede_id_for("S01")
    enroll(
        edge_rt.engine,
        edge_rt.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_rt.settings.data_dir) or {}
    client = CountingClient(
        hub_client,
        node_id=creds["node_id"],
        secret=creds["secret"],
        attempts=1,
        sleep=lambda s: None,
    )
    client.snapshots = []
    return client


def _repairs(rt: EdgeRuntime) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT digest_repairs FROM sync_status")).scalar() or 0)


def test_second_pull_without_hub_changes_takes_no_snapshot(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    client = _enrolled(hub_client, hub_runtime, edge_runtime)
    assert _repairs(edge_runtime) == 0  # the first pull (a full reset) already matched
    for _ in range(2):
        assert service.pull_changes(edge_runtime.engine, client, CLOCK) == 0
    assert client.snapshots == []
    assert _repairs(edge_runtime) == 0
    with edge_runtime.engine.connect() as conn:
        mine = local_digests(conn)
        value = conn.execute(
            text("SELECT value FROM setting WHERE key = 'discount_approval_threshold_pct'")
        ).scalar()
    assert value == '"10"'  # stored as the JSON string the hub holds, not the number 10
    with hub_uow(hub_runtime.engine) as s:
        head = changefeed.head(s.connection())
        theirs = hub_digests(s, sede_id=sede_id_for("S01"), upto=head)
    assert mine == {t: d for t, d in theirs.items() if t in mine}
    assert {"setting", "user", "catalog_service", "sede", "company"} <= set(mine)


def test_a_setting_change_flows_down_without_drift(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    from sqlmodel import select

    from central.config.models import Setting

    client = _enrolled(hub_client, hub_runtime, edge_runtime)
    with hub_uow(hub_runtime.engine) as s:
        row = s.exec(select(Setting).where(Setting.key == "reconciliation_hour")).one()
        row.value = "22:00"
        s.add(row)
    assert service.pull_changes(edge_runtime.engine, client, CLOCK) == 1
    assert service.pull_changes(edge_runtime.engine, client, CLOCK) == 0
    assert client.snapshots == []


def test_json_values_keep_their_wire_type() -> None:
    from sqlalchemy import JSON

    values: list[Any] = ["10", "23:30", "[1]", 10, {"a": 1}, ["x"], True]
    assert [from_wire(v, JSON()) for v in values] == values
