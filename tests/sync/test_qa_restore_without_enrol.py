"""QA of a sede database restored from a backup and put back to work *without* re-enrolling
(sync notes §2.10, cr-sqlite#145 / litestream#781; DESIGN.md section 3, node identity).

The restored copy keeps the node's epoch, so its new rows get seqs the hub already applied from
the rows the disk lost. When the sede sells more offline than it lost, the next push reaches
above the hub's mark: the hub used to skip the colliding rows as "duplicates" and acknowledge
them, silently losing those sales. It must refuse instead (the node then has to re-enrol, which
renumbers its outbox above the hub's mark), and keep nothing of the batch.
"""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import SystemClock
from domain.errors import Conflict
from edge.db import make_engine
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()


def _sell(engine: object, sede: str, first: int, n: int) -> list[str]:
    orders = []
    for i in range(first, first + n):
        pid = add_patient(engine, CLOCK, sede_id=sede, doc=f"5{i:07d}")  # type: ignore[arg-type]
        oid, _ = add_sale(
            engine,  # type: ignore[arg-type]
            CLOCK,
            sede_id=sede,
            patient_id=pid,
            number=f"S01-20261129-{i:04d}",
            amount=Decimal("20.00"),
        )
        orders.append(oid)
    return orders


def test_qa_a_restored_copy_pushing_in_the_old_epoch_is_refused_not_silently_dropped(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    db = edge_runtime.settings.db_path
    engine = edge_runtime.engine
    _sell(engine, sede, 1, 2)
    service.push_pending(engine, client, CLOCK)
    backup = tmp_path / "backup.sqlite3"
    with sqlite3.connect(db) as live, sqlite3.connect(backup) as dst:
        live.backup(dst)
    _sell(engine, sede, 10, 3)  # pushed, then lost with the disk
    service.push_pending(engine, client, CLOCK)
    restored = tmp_path / "restored" / "edge.sqlite3"  # the disk died: the backup comes back
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    engine = make_engine(restored)
    try:
        new = _sell(engine, sede, 20, 6)  # a day offline: more rows than the disk lost
        with hub_runtime.engine.connect() as conn:
            before = conn.execute(text("SELECT count(*), max(received_at) FROM sync_record")).one()
        with pytest.raises(Conflict) as caught:
            service.sync_round(engine, client, CLOCK)
        assert caught.value.code == "seq_reused"
        with hub_runtime.engine.connect() as conn:
            after = conn.execute(text("SELECT count(*), max(received_at) FROM sync_record")).one()
            held = {
                r[0]
                for r in conn.execute(
                    text("SELECT id FROM sync_record WHERE id = ANY(:i)"), {"i": new}
                )
            }
        assert tuple(after) == tuple(before) and not held  # nothing of the batch was kept
        st = service.status(engine, CLOCK)
        assert st["blocked"] == "seq_reused" and st["backlog"] > 0  # visible, nothing acked
    finally:
        engine.dispose()
