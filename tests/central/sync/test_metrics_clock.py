"""``/metrics`` of the hub: a node's ``labred_sync_node_last_seen_seconds`` is measured on the
app's clock (like ``nodes.push_lag``), not PostgreSQL's ``now()``: a hub whose clock is shifted
(the demo's, a drill's) reads the age it sees; never negative. The disk each node last stated is
a gauge too (0 ok, 1 bajo, 2 lleno; absent while unknown)."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync import metrics
from central.sync.models import Node
from domain.clock import FixedClock
from domain.ids import new_id
from tests.sync.replication_helpers import admin_override

SEEN = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)  # months away from the database's now()


def _node(rt: HubRuntime, *, seen: dt.datetime | None, level: str | None = None) -> str:
    node_id = new_id()
    with unit_of_work(rt.engine) as session:
        session.add(
            Node(
                id=node_id,
                sede_id=new_id(),
                name="n",
                created_at=SEEN,
                last_seen_at=seen,
                disk_level=level,
                disk_free_mb=150 if level else None,
            )
        )
    return node_id


def _gauge(text: str, name: str, node_id: str) -> float | None:
    found = re.search(rf'^{name}{{node="{node_id}",[^}}]*}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def test_last_seen_is_measured_on_the_apps_clock(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    seen = _node(hub_runtime, seen=SEEN, level="bajo")
    never = _node(hub_runtime, seen=None)
    hub_runtime.clock = FixedClock(SEEN + dt.timedelta(seconds=125))
    admin_override(hub_client)
    r = hub_client.get("/metrics")
    assert r.status_code == 200, r.text
    assert _gauge(r.text, "labred_sync_node_last_seen_seconds", seen) == 125.0
    assert _gauge(r.text, "labred_sync_node_last_seen_seconds", never) == -1.0
    assert _gauge(r.text, "labred_sync_node_disk_level", seen) == 1.0
    assert _gauge(r.text, "labred_sync_node_disk_free_mb", seen) == 150.0
    assert _gauge(r.text, "labred_sync_node_disk_level", never) is None  # unknown, not "ok"

    hub_runtime.clock = FixedClock(SEEN - dt.timedelta(hours=3))  # the hub's clock set back
    text = metrics.render(hub_runtime.engine, hub_runtime.clock).decode()
    assert _gauge(text, "labred_sync_node_last_seen_seconds", seen) == 0.0


def test_seconds_since() -> None:
    assert metrics.seconds_since(None, SEEN) == -1.0
    assert metrics.seconds_since(SEEN, SEEN + dt.timedelta(minutes=2)) == 120.0
    assert metrics.seconds_since(SEEN, SEEN - dt.timedelta(minutes=2)) == 0.0
