"""The hub's sync health measures a node's push lag on the hub's own clock (the hub's receive
times against the hub's now), so a sede whose clock is hours off (its rows stamped hours ahead)
does not show hours of lag, ahead or behind; and an idle sede that keeps calling the hub with
nothing to send is not "12.5 h behind" the morning after its last sale."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.sync.models import Node
from central.sync.nodes import push_lag
from domain.clock import OffsetClock, SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from tests.sync.replication_helpers import (
    add_patient,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

HOURS_AHEAD = 5


def test_a_node_clock_hours_ahead_does_not_show_hours_of_lag(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    wrong = OffsetClock(SystemClock(), lambda: HOURS_AHEAD * 3600.0)
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=wrong,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir)
    assert creds is not None
    add_patient(edge_runtime.engine, wrong, sede_id=sede, doc="40000077")
    before = dt.datetime.now(dt.UTC)
    service.push_pending(edge_runtime.engine, node_client(hub_client, creds), wrong)
    after = dt.datetime.now(dt.UTC)
    r = hub_client.get(f"/api/sync/nodes/{creds['node_id']}/status")
    assert r.status_code == 200, r.text
    status = r.json()
    pushed = dt.datetime.fromisoformat(status["last_push_at"])
    assert before - dt.timedelta(seconds=1) <= pushed <= after + dt.timedelta(seconds=1)
    assert 0 <= status["push_lag_seconds"] < 60, status  # not -5 h, not +5 h


T0 = dt.datetime(2026, 11, 29, 19, 30, tzinfo=dt.UTC)  # the last sale of the day


def _node(**values: object) -> Node:
    node = Node(sede_id="s", name="n", created_at=T0)
    for key, value in values.items():
        setattr(node, key, value)
    return node


def test_an_idle_node_in_touch_with_the_hub_is_not_hours_behind() -> None:
    morning = T0 + dt.timedelta(hours=12, minutes=30)
    idle = _node(
        last_push_at=T0, reported_backlog=0, last_pull_at=morning - dt.timedelta(seconds=3)
    )
    assert push_lag(idle, morning) == 3.0  # was 12.5 h: the time since its last sale


def test_a_node_that_stopped_calling_or_left_rows_behind_grows_from_its_last_push() -> None:
    later = T0 + dt.timedelta(hours=2)
    silent = _node(last_push_at=T0, reported_backlog=0, last_pull_at=T0 - dt.timedelta(seconds=1))
    assert push_lag(silent, later) == 7200.0
    behind = _node(last_push_at=T0, reported_backlog=500, last_pull_at=later)
    assert push_lag(behind, later) == 7200.0  # it pulls, but its rows are still waiting
    assert push_lag(_node(last_pull_at=later), later) is None  # never pushed
    assert push_lag(_node(last_push_at=T0), T0 - dt.timedelta(days=1)) == 0.0  # clock set back
