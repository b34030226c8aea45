"""A sede whose acknowledged outbox was pruned can still be restored from an older copy of its
database and re-enrolled: the hub gives back what the copy lacks (its ``sync_record``, not the
outbox), the outbox continues above the hub's mark and new sales push exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central.runtime import HubRuntime
from domain.clock import FixedClock, SystemClock
from edge import housekeeping
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import load_credentials
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    backup_copy,
    enrol_in_process,
    make_hub_sede,
    node_client,
    restore_copy,
)

CLOCK = SystemClock()


def _scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_restore_and_re_enrol_after_pruning(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, db_path = edge_runtime.settings.data_dir, edge_runtime.settings.db_path
    engine = edge_runtime.engine
    enrol_in_process(hub_client, engine, data, sede, CLOCK)
    client = node_client(hub_client, load_credentials(data))
    patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000011")

    def sale(n: int) -> str:
        number = f"S01-{CLOCK.now():%Y%m%d}-{n:04d}"
        return add_sale(
            engine, CLOCK, sede_id=sede, patient_id=patient, number=number, amount=Decimal(n)
        )[0]

    early = [sale(n) for n in (1, 2)]
    service.push_pending(engine, client, CLOCK)
    later = FixedClock(CLOCK.now() + dt.timedelta(days=40))
    pruned = housekeeping.run(engine, clock=later).deleted["sync_outbox"]
    assert pruned > 0 and _scalar(engine, "SELECT count(*) FROM sync_outbox") == 0
    backup = tmp_path / "backup.sqlite3"
    backup_copy(engine, backup)
    lost = [sale(n) for n in (3, 4)]  # pushed, then the disk dies
    service.push_pending(engine, client, CLOCK)

    engine = restore_copy(engine, db_path, backup)
    info = enrol_in_process(hub_client, engine, data, sede, CLOCK)
    assert "outbox_pruned" not in info["reimport_skipped"]  # type: ignore[operator]
    for order_id in (*early, *lost):
        assert _scalar(engine, f"SELECT count(*) FROM lab_order WHERE id = '{order_id}'") == 1
    client = node_client(hub_client, load_credentials(data))
    newest = sale(9)
    service.push_pending(engine, client, CLOCK)
    state = service.status(engine, CLOCK)
    assert state["acked_seq"] == state["last_seq"] and state["blocked"] is None
    with hub_runtime.engine.connect() as conn:
        orders = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE record_type = 'order'")
        ).scalar()
        got = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE id = :i"), {"i": newest}
        ).scalar()
    assert orders == 5 and got == 1
    engine.dispose()
