"""Laboratory systems, code maps and the per-sede assignment replicate from the hub to an edge
through the real sync client (in-process), and the edge uses them: it sends to the system the
hub assigned, hears results where the hub said, and flags an unmapped test at order creation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain import catalog_data
from domain.clock import SystemClock
from domain.ids import sede_id_for
from domain.permissions import Role
from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.models import LabAlert, LabCodeMap, LabJob, LabSystem
from edge.labsync.worker import listener_setting
from edge.orders.models import OrderItem
from edge.runtime import EdgeRuntime
from edge.sync import service as sync_service
from edge.sync.enroll import enroll, load_credentials
from tests.central.auth.factories import auth_headers
from tests.edge.labsync.helpers import build_order
from tests.sync.replication_helpers import admin_override, new_code, node_client

CLOCK = SystemClock()
S01 = sede_id_for("S01")


def _edge_labs(rt: EdgeRuntime) -> dict[str, Any]:
    with read_session(rt.engine) as session:
        labs = {lab.code: lab for lab in session.exec(select(LabSystem))}
        maps = session.exec(select(LabCodeMap)).all()
        chosen = queue.lab_system_for(session, S01)
        session.expunge_all()
    return {"labs": labs, "maps": maps, "chosen": chosen}


def test_lab_config_flows_down_and_drives_the_edge(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    with hub_uow(hub_runtime.engine) as session:
        seed_demo(
            session, clock=hub_runtime.clock, sedes=2, admin_password="demo-clave-2026",
            lab_port_base=30000,
        )  # fmt: skip
    admin_override(hub_client)
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, S01),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    edge_runtime.forget_identity()

    got = _edge_labs(edge_runtime)
    assert set(got["labs"]) == {"LAB01", "LAB02"}
    lab01 = got["labs"]["LAB01"]
    assert (lab01.host, lab01.port, lab01.message_type, lab01.sede_ids) == (
        "127.0.0.1", 30301, "OML_O21", [S01],
    )  # fmt: skip
    assert lab01.token == "demo-lab-token-01"  # the edge needs it; the hub API never shows it
    assert len(got["maps"]) == 2 * len(catalog_data.TESTS)
    assert got["chosen"] is not None and got["chosen"].code == "LAB01"
    glucose = next(
        m for m in got["maps"]
        if m.lab_system_id == lab01.id
        and m.service_id == catalog_data.catalog_id_for("service", "BIO-010")
    )  # fmt: skip
    assert (glucose.code, glucose.loinc, glucose.sample_type) == ("BIO010", "1558-6", "SER")
    assert listener_setting(edge_runtime) == {"host": "127.0.0.1", "port": 30401}

    # the admin moves S01 to the other laboratory, changes its port and unmaps one test
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    lab02 = got["labs"]["LAB02"]
    r = hub_client.put(f"/api/lab/systems/{lab02.id}", json={"port": 31000}, headers=h)
    assert r.status_code == 200, r.text
    items = hub_client.get(f"/api/lab/systems/{lab02.id}/codes", headers=h).json()["items"]
    keep = [
        {k: i[k] for k in ("service_code", "code", "loinc", "name", "sample_type")}
        for i in items
        if i["service_code"] != "BIO-010"
    ]
    r = hub_client.put(f"/api/lab/systems/{lab02.id}/codes", json={"items": keep}, headers=h)
    assert r.status_code == 200, r.text
    r = hub_client.put(
        f"/api/lab/sedes/{S01}",
        json={"lab_system_id": lab02.id, "listener_host": "127.0.0.1", "listener_port": 31001},
        headers=h,
    )
    assert r.status_code == 200, r.text
    sync_service.pull_changes(edge_runtime.engine, client, CLOCK)

    got = _edge_labs(edge_runtime)
    assert got["chosen"] is not None and got["chosen"].id == lab02.id
    lab02_now = got["labs"]["LAB02"]
    assert lab02_now.port == 31000 and lab02_now.sede_ids == sorted([S01, sede_id_for("S02")])
    assert got["labs"]["LAB01"].sede_ids == []
    assert len(got["maps"]) == 2 * len(catalog_data.TESTS) - 1
    assert listener_setting(edge_runtime) == {"host": "127.0.0.1", "port": 31001}

    # an order with the now-unmapped test is flagged when it is created, not when sent
    with unit_of_work(edge_runtime.engine) as session:
        order = build_order(session, edge_runtime, codes=("BIO001", "HEM002"), enqueue=False)
        for item in session.exec(select(OrderItem).where(OrderItem.order_id == order.id)):
            hub_code = {"BIO001": "BIO-010", "HEM002": "HEM-002"}[item.service_code]
            item.service_id = catalog_data.catalog_id_for("service", hub_code)
            item.service_code = hub_code
            session.add(item)
        session.flush()
        queue.enqueue_new(session=session, order=order, clock=edge_runtime.clock)
    with read_session(edge_runtime.engine) as session:
        job = session.exec(select(LabJob).where(LabJob.order_id == order.id)).one()
        alert = session.exec(select(LabAlert).where(LabAlert.order_id == order.id)).one()
        assert (job.lab_system_id, job.blocked_reason, job.attempts) == (
            lab02.id, "unmapped_tests", 0,
        )  # fmt: skip
        assert alert.kind == "unmapped_tests" and "BIO-010" in alert.message
        assert [t["service_code"] for t in alert.details["tests"]] == ["BIO-010"]
