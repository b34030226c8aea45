"""A sede's disk reaches the hub with the sync traffic the node already makes: every push
(``PushBatch.disk``) and every pull (``disk_level`` / ``disk_free_mb``) states the level and the
free MB; the hub keeps the last values and when it heard them on the node's row, shows them in
the node's status and the sync health, and lists a sede whose disk is bajo or lleno among the
alarms. Older nodes that send nothing keep working (unknown, never "ok"), and a report the hub
cannot read is ignored, never a refused batch or page."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.sync.models import Node
from domain.clock import FixedClock, SystemClock
from domain.ids import new_id
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync import worker as sync_worker
from edge.sync.enroll import enroll, load_credentials
from sync.client import SyncClient
from sync.protocol import NodeDisk, PushBatch
from tests.central.auth.factories import auth_headers
from tests.sync.replication_helpers import (
    add_patient,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)


class Probe:
    """What the node's disk "measures" at each call (None: an older node, it says nothing)."""

    def __init__(self) -> None:
        self.disk: NodeDisk | None = None
        self.calls = 0

    def __call__(self) -> NodeDisk | None:
        self.calls += 1
        return self.disk


def _enrolled(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, code: str = "S01"
) -> tuple[str, str, dict[str, Any]]:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, code)
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=SystemClock(),
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir)
    assert creds is not None
    return sede, str(creds["node_id"]), creds


def _status(hub_client: TestClient, node_id: str) -> dict[str, Any]:
    r = hub_client.get(f"/api/sync/nodes/{node_id}/status")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _disk(status: dict[str, Any]) -> tuple[Any, Any]:
    return status["disk_level"], status["disk_free_mb"]


def test_every_push_and_pull_states_the_disk_and_the_hub_keeps_the_last(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede, node_id, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    assert _disk(_status(hub_client, node_id)) == (None, None)  # enrolled: not said yet
    probe = Probe()
    client = node_client(hub_client, creds)
    client.disk_probe = probe
    clock = SystemClock()

    probe.disk = NodeDisk(level="bajo", free_mb=150)
    add_patient(edge_runtime.engine, clock, sede_id=sede, doc="40000101")
    before = dt.datetime.now(dt.UTC)
    assert service.push_pending(edge_runtime.engine, client, clock) >= 1
    status = _status(hub_client, node_id)
    assert _disk(status) == ("bajo", 150)
    heard = dt.datetime.fromisoformat(status["disk_reported_at"])
    assert before - dt.timedelta(seconds=1) <= heard <= dt.datetime.now(dt.UTC)

    probe.disk = NodeDisk(level="lleno", free_mb=12)
    calls = probe.calls
    service.pull_changes(edge_runtime.engine, client, clock)  # nothing to push: a pull only
    assert probe.calls > calls
    assert _disk(_status(hub_client, node_id)) == ("lleno", 12)

    probe.disk = NodeDisk(level="ok", free_mb=51200)
    service.pull_changes(edge_runtime.engine, client, clock)
    status = _status(hub_client, node_id)
    assert _disk(status) == ("ok", 51200)

    probe.disk = None  # a call that says nothing keeps what the hub last heard
    service.pull_changes(edge_runtime.engine, client, clock)
    again = _status(hub_client, node_id)
    assert _disk(again) == ("ok", 51200)
    assert again["disk_reported_at"] == status["disk_reported_at"]


def _raw_push(
    hub_client: TestClient, creds: dict[str, Any], **extra: Any
) -> tuple[int, dict[str, Any]]:
    batch = PushBatch(
        node_id=creds["node_id"],
        epoch=int(creds["epoch"]),
        from_seq=1,
        to_seq=1,
        rows=[],
    ).model_dump(mode="json")
    batch.update(extra)
    client = node_client(hub_client, creds)
    headers = {**client._headers(), "Content-Type": "application/json"}
    r = hub_client.post(
        "/api/sync/push",
        content=gzip.compress(json.dumps(batch).encode()),
        headers={**headers, "Content-Encoding": "gzip"},
    )
    return r.status_code, r.json()


def _raw_pull(hub_client: TestClient, creds: dict[str, Any], query: str = "") -> int:
    client = node_client(hub_client, creds)
    r = hub_client.get(f"/api/sync/pull?cursor=0{query}", headers=client._headers())
    return r.status_code


def test_an_older_node_that_says_nothing_keeps_working_and_reads_unknown(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _sede, node_id, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    status, _ack = _raw_push(hub_client, creds)  # the body of a node before this field
    assert status == 200, _ack
    assert _raw_pull(hub_client, creds) == 200
    assert _disk(_status(hub_client, node_id)) == (None, None)


@pytest.mark.parametrize(
    "disk",
    [
        {"level": "casi lleno", "free_mb": 10},
        {"level": "bajo", "free_mb": -1},
        {"level": "bajo", "free_mb": 1.5},
        {"level": "bajo"},
        "lleno",
        [],
    ],
)
def test_an_unreadable_push_report_is_ignored_and_the_batch_applied(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, disk: Any
) -> None:
    _sede, node_id, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    status, ack = _raw_push(hub_client, creds, disk=disk)
    assert status == 200, ack
    assert _disk(_status(hub_client, node_id)) == (None, None)


@pytest.mark.parametrize(
    "query",
    [
        "&disk_level=casi&disk_free_mb=10",
        "&disk_level=bajo&disk_free_mb=diez",
        "&disk_level=bajo&disk_free_mb=-5",
        "&disk_level=bajo",  # without the MB: not half a report
        "&disk_free_mb=10",
        "&disk_level=" + "x" * 500 + "&disk_free_mb=" + "9" * 400,
    ],
)
def test_an_unreadable_pull_report_is_ignored_and_the_page_served(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    query: str,
) -> None:
    _sede, node_id, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    assert _raw_pull(hub_client, creds, query) == 200
    assert _disk(_status(hub_client, node_id)) == (None, None)
    assert _raw_pull(hub_client, creds, "&disk_level=lleno&disk_free_mb=7") == 200
    assert _disk(_status(hub_client, node_id)) == ("lleno", 7)


def test_the_worker_measures_the_data_directory_at_every_call(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _enrolled(hub_client, hub_runtime, edge_runtime)
    settings = edge_runtime.settings
    settings.disk_low_mb = settings.disk_full_mb = 0
    assert sync_worker.disk_report(settings).level == "ok"
    loop = sync_worker._loop(edge_runtime)
    assert loop is not None and isinstance(loop.client, SyncClient)
    probe: Callable[[], NodeDisk | None] | None = loop.client.disk_probe
    assert probe is not None
    settings.disk_low_mb = 10**12  # more than any disk: bajo, measured at the next call
    disk = probe()
    assert disk is not None and disk.level == "bajo" and disk.free_mb > 0
    settings.disk_full_mb = 10**12
    disk = probe()
    assert disk is not None and disk.level == "lleno"


def _node_with_disk(
    hub_runtime: HubRuntime, sede: str, name: str, level: str | None, mb: int
) -> str:
    from central.db import unit_of_work

    now = hub_runtime.clock.now()
    with unit_of_work(hub_runtime.engine) as session:
        node = Node(
            id=new_id(),
            sede_id=sede,
            name=name,
            created_at=now,
            disk_level=level,
            disk_free_mb=mb if level else None,
            disk_reported_at=now if level else None,
        )
        session.add(node)
        return str(node.id)


def test_the_alarms_list_sedes_whose_disk_is_bajo_or_lleno_lleno_first(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    sedes = {code: make_hub_sede(hub_runtime, code) for code in ("S01", "S02", "S03", "S10")}
    _node_with_disk(hub_runtime, sedes["S01"], "Nodo S01", "bajo", 150)
    _node_with_disk(hub_runtime, sedes["S02"], "Nodo S02", "ok", 40_000)
    _node_with_disk(hub_runtime, sedes["S03"], "Nodo S03", None, 0)  # never said
    _node_with_disk(hub_runtime, sedes["S10"], "Nodo S10", "lleno", 12)
    admin = auth_headers(hub_runtime, Role.ADMIN, sede_ids=list(sedes.values()))
    r = hub_client.get("/api/web/sunat-alarms", headers=admin)
    assert r.status_code == 200, r.text
    disks = [(d["sede_code"], d["level"], d["free_mb"]) for d in r.json()["disks"]]
    assert disks == [("S10", "lleno", 12), ("S01", "bajo", 150)]

    only = hub_client.get(f"/api/web/sunat-alarms?sede={sedes['S01']}", headers=admin)
    assert [d["sede_code"] for d in only.json()["disks"]] == ["S01"]
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[sedes["S02"], sedes["S10"]])
    theirs = hub_client.get("/api/web/sunat-alarms", headers=sup)
    assert theirs.status_code == 200, theirs.text
    assert [d["sede_code"] for d in theirs.json()["disks"]] == ["S10"]  # not another's sede

    health = hub_client.get("/api/web/sync-health", headers=admin)
    assert health.status_code == 200, health.text
    by_name = {h["node"]["name"]: h["status"] for h in health.json()}
    assert _disk(by_name["Nodo S10"]) == ("lleno", 12)
    assert _disk(by_name["Nodo S03"]) == (None, None)


def test_the_openapi_documents_the_optional_disk_fields(hub_client: TestClient) -> None:
    doc = hub_client.get("/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/sync/pull"]["get"]["parameters"]}
    assert not params["disk_level"]["required"] and not params["disk_free_mb"]["required"]
    push = doc["paths"]["/api/sync/push"]["post"]["requestBody"]["content"]["application/json"]
    assert "disk" in push["schema"]["properties"]
    assert "disk" not in push["schema"].get("required", [])


def test_node_disk_query_parameters_round_trip() -> None:
    disk = NodeDisk(level="bajo", free_mb=150)
    assert disk.as_params() == {"disk_level": "bajo", "disk_free_mb": "150"}
    assert NodeDisk.from_params("bajo", "150") == disk
    assert NodeDisk.from_params(None, "150") is None
    assert NodeDisk.from_params("bajo", None) is None


def test_a_fixed_clock_stamps_when_the_hub_heard_it(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _sede, node_id, creds = _enrolled(hub_client, hub_runtime, edge_runtime)
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    hub_runtime.clock = FixedClock(at)
    assert _raw_pull(hub_client, creds, "&disk_level=bajo&disk_free_mb=150") == 200
    status = _status(hub_client, node_id)
    assert dt.datetime.fromisoformat(status["disk_reported_at"]) == at
