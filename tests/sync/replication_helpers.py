"""Helpers shared by the replication tests: hub sedes, enrolment, edge writes."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.sync.deps import require_sync_manage
from domain.clock import Clock, business_date
from domain.ids import new_id, sede_id_for
from edge.db import make_engine, unit_of_work
from edge.orders.models import Order, Payment
from edge.patients.models import Patient
from edge.sync.enroll import enroll
from sync.client import SyncClient


def admin_override(client: TestClient) -> None:
    client.app.dependency_overrides[require_sync_manage] = lambda: "admin-test"  # type: ignore[attr-defined]


def make_hub_sede(rt: HubRuntime, code: str) -> str:
    from central.config.models import Sede

    sede_id = sede_id_for(code)
    k = int("".join(ch for ch in code if ch.isdigit()) or "1")
    with hub_uow(rt.engine) as session:
        session.add(
            Sede(
                id=sede_id,
                code=code,
                name=f"Sede {code}",
                series={
                    "01": f"F{k:03d}",
                    "03": f"B{k:03d}",
                    "contingency01": f"F{900 + k:03d}",
                    "contingency03": f"B{900 + k:03d}",
                },
                updated_at=rt.clock.now(),
            )
        )
    return sede_id


def new_code(client: TestClient, sede_id: str) -> str:
    resp = client.post("/api/sync/nodes", json={"sede_id": sede_id, "name": "nodo"})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["enrolment_code"])


def node_client(http: Any, creds: dict[str, Any] | None = None) -> SyncClient:
    return SyncClient(
        http,
        node_id=(creds or {}).get("node_id"),
        secret=(creds or {}).get("secret"),
        attempts=1,
        sleep=lambda s: None,
    )


def add_patient(
    engine: Engine,
    clock: Clock,
    *,
    sede_id: str,
    doc: str,
    first: str = "Ana",
    phone: str | None = None,
    patient_id: str | None = None,
) -> str:
    now = clock.now()
    pid = patient_id or new_id()
    with unit_of_work(engine) as session:
        session.add(
            Patient(
                id=pid,
                doc_type="1",
                doc_number=doc,
                first_names=first,
                last_names="Quispe",
                phone=phone,
                home_sede_id=sede_id,
                created_at=now,
                updated_at=now,
            )
        )
    return pid


def add_sale(
    engine: Engine,
    clock: Clock,
    *,
    sede_id: str,
    patient_id: str,
    number: str,
    amount: Decimal,
    cashier: str = "cajero",
) -> tuple[str, str]:
    """An order and its payment in one transaction; returns (order id, payment id)."""
    now = clock.now()
    day = business_date(now)
    oid, pay = new_id(), new_id()
    with unit_of_work(engine) as session:
        session.add(
            Order(
                id=oid,
                sede_id=sede_id,
                number=number,
                patient_id=patient_id,
                subtotal=amount,
                total=amount,
                balance=Decimal("0.00"),
                paid_total=amount,
                cashier_id=cashier,
                business_date=day,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            Payment(
                id=pay,
                order_id=oid,
                sede_id=sede_id,
                method="efectivo",
                amount=amount,
                cashier_id=cashier,
                business_date=day,
                created_at=now,
            )
        )
    return oid, pay


def set_order_status(engine: Engine, clock: Clock, order_id: str, status: str) -> None:
    with unit_of_work(engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        order.status = status
        order.updated_at = clock.now()
        session.add(order)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc,arg-type]


def enrol_in_process(
    hub_client: TestClient, engine: Engine, data_dir: Path, sede: str, clock: Clock
) -> dict[str, Any]:
    """``edge.sync.enroll.enroll`` of a node against the in-process hub, with a fresh code."""
    return enroll(
        engine,
        data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=clock,
        client=node_client(hub_client),
    )


def backup_copy(engine: Engine, target: Path) -> None:
    """An online copy of the edge database, as a backup tool would take it."""
    raw = engine.raw_connection()
    try:
        dst = sqlite3.connect(target)
        raw.driver_connection.backup(dst)  # type: ignore[union-attr]
        dst.close()
    finally:
        raw.close()


def restore_copy(engine: Engine, db_path: Path, backup: Path) -> Engine:
    """The node's database replaced by ``backup`` (its WAL dropped); a new engine on it."""
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, db_path)
    return make_engine(db_path)
