"""Edge side of the pull: enrolment brings the hub's data, pulled rows write no outbox rows,
drift is repaired, aliases re-point orders, newer schemas are refused, status is reported."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import SystemClock
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync import apply, service
from edge.sync.enroll import enroll, load_credentials
from sync.protocol import FeedChange, SchemaTooNew
from tests.edge.factories import auth_headers
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()


def _seed_catalog(rt: HubRuntime) -> None:
    from central.auth.models import HubUser
    from central.catalog.models import CatalogService
    from central.config.models import Company

    with hub_uow(rt.engine) as s:
        s.add(Company(ruc="20100070970", razon_social="LABRED SAC", updated_at=CLOCK.now()))
        s.add(
            CatalogService(code="HEMO", name="Hemograma", price_cents=3000, updated_at=CLOCK.now())
        )
        s.add(
            HubUser(
                username="rosa",
                full_name="Rosa",
                role="recepcionista",
                password_hash="x",
                sede_ids=[],
                updated_at=CLOCK.now(),
            )
        )


def _setup(hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime):  # type: ignore[no-untyped-def]
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    _seed_catalog(hub_runtime)
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    return sede, node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))


def _one(rt: EdgeRuntime, sql: str) -> object:
    with rt.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_first_pull_brings_hub_data_without_outbox_rows(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    _setup(hub_client, hub_runtime, edge_runtime)
    assert _one(edge_runtime, "SELECT name FROM catalog_service") == "Hemograma"
    assert _one(edge_runtime, "SELECT razon_social FROM company") == "LABRED SAC"
    assert _one(edge_runtime, "SELECT count(*) FROM user_account WHERE username='rosa'") == 1
    assert _one(edge_runtime, "SELECT count(*) FROM sync_outbox") == 0
    assert _one(edge_runtime, "SELECT epoch FROM sync_state") == 1


def test_hub_change_flows_down_and_drift_is_repaired(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    from sqlmodel import select

    from central.catalog.models import CatalogService

    _, client = _setup(hub_client, hub_runtime, edge_runtime)
    with hub_uow(hub_runtime.engine) as s:
        svc = s.exec(select(CatalogService)).one()
        svc.price_cents = 3500
        s.add(svc)
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert _one(edge_runtime, "SELECT price_cents FROM catalog_service") == 3500
    with edge_runtime.engine.begin() as conn:  # someone edits the mirror by hand
        conn.execute(text("UPDATE catalog_service SET price_cents = 1"))
    service.pull_changes(edge_runtime.engine, client, CLOCK)
    assert _one(edge_runtime, "SELECT price_cents FROM catalog_service") == 3500
    assert _one(edge_runtime, "SELECT digest_repairs FROM sync_status") == 1


def test_alias_repoints_orders_and_newer_schema_is_refused(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    sede, _ = _setup(hub_client, hub_runtime, edge_runtime)
    alias = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="45555555")
    canonical = "01a00000-0000-7000-8000-000000000001"
    oid, _ = add_sale(
        edge_runtime.engine,
        CLOCK,
        sede_id=sede,
        patient_id=alias,
        number="S01-20261129-0009",
        amount=Decimal("5.00"),
    )
    pulled = {
        "id": canonical,
        "doc_type": "1",
        "doc_number": "45555555",
        "first_names": "A",
        "last_names": "B",
        "home_sede_id": "x",
        "created_at": CLOCK.now().isoformat(),
        "updated_at": CLOCK.now().isoformat(),
    }
    with unit_of_work(edge_runtime.engine) as session:
        conn = session.connection()
        # the document is still held by the local patient: deferred
        assert not apply.apply_change(
            conn,
            FeedChange(
                cursor=1,
                tx_id="t",
                record_type="patient",
                record_id=canonical,
                op="upsert",
                payload=pulled,
                schema_version=1,
            ),
            now=CLOCK.now(),
        )
        apply.apply_changes(
            conn,
            [
                FeedChange(
                    cursor=2,
                    tx_id="t",
                    record_type="patient_alias",
                    record_id="al",
                    op="upsert",
                    payload={"id": "al", "alias_id": alias, "canonical_id": canonical},
                    schema_version=1,
                )
            ],
            now=CLOCK.now(),
        )
    assert _one(edge_runtime, f"SELECT patient_id FROM lab_order WHERE id='{oid}'") == canonical
    assert _one(edge_runtime, "SELECT count(*) FROM sync_deferred") == 0
    assert _one(edge_runtime, f"SELECT canonical_id FROM patient WHERE id='{alias}'") == canonical
    with pytest.raises(SchemaTooNew), unit_of_work(edge_runtime.engine) as session:
        apply.apply_change(
            session.connection(),
            FeedChange(
                cursor=3,
                tx_id="t",
                record_type="sede",
                record_id="s",
                op="upsert",
                payload={},
                schema_version=99,
            ),
            now=CLOCK.now(),
        )


def test_status_endpoint_reports_backlog(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
) -> None:
    sede, client = _setup(hub_client, hub_runtime, edge_runtime)
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="46666666")
    headers = auth_headers(edge_runtime, "admin")
    body = edge_client.get("/api/sync/status", headers=headers).json()
    assert body["enrolled"] and body["backlog"] == 1 and body["epoch"] == 1
    service.push_pending(edge_runtime.engine, client, CLOCK)
    body = edge_client.get("/api/sync/status", headers=headers).json()
    assert body["backlog"] == 0 and body["last_push_at"] is not None
    assert edge_client.get("/api/sync/status").status_code == 401
