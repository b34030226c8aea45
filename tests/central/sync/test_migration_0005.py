"""Migration 0005 adds the node's disk (level, free MB, when heard) to ``sync_node`` of an
existing hub: its nodes keep their rows and read "unknown" until they next call; a hub whose
0001 already had the columns upgrades without error."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central.runtime import MIGRATIONS, HubRuntime
from sync import migrations
from tests.sync.replication_helpers import admin_override, make_hub_sede

NODE_ID = "0193a1b2-0000-7000-8000-00000000d15c"


def _columns(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'sync_node' AND column_name LIKE 'disk%'"
            )
        ).all()
    return {str(r[0]) for r in rows}


def test_upgrade_of_a_hub_from_0004_keeps_its_nodes_and_adds_the_disk(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    engine = hub_runtime.engine
    assert migrations.current_revision(engine) == migrations.head_revision(MIGRATIONS)
    assert _columns(engine) == {"disk_level", "disk_free_mb", "disk_reported_at"}
    cfg = migrations.alembic_config(MIGRATIONS, engine)
    migrations.command.downgrade(cfg, "0004")  # the hub as it was before this version
    assert _columns(engine) == set()
    sede = make_hub_sede(hub_runtime, "S01")
    with engine.begin() as conn:  # a node of the old shape, seen yesterday
        conn.execute(
            text(
                "INSERT INTO sync_node (id, sede_id, name, epoch, revoked, app_version, "
                "schema_version, protocol_version, reported_backlog, pull_cursor, "
                "clock_offset_ms, created_at, last_seen_at) VALUES (:id, :sede, 'Nodo S01', 1, "
                "false, '0.1.0', 1, 1, 0, 0, 0, now(), now() - interval '1 day')"
            ),
            {"id": NODE_ID, "sede": sede},
        )

    migrations.upgrade(MIGRATIONS, engine)  # what `labred migrate hub` runs
    assert migrations.current_revision(engine) == migrations.head_revision(MIGRATIONS)
    assert _columns(engine) == {"disk_level", "disk_free_mb", "disk_reported_at"}
    admin_override(hub_client)
    r = hub_client.get(f"/api/sync/nodes/{NODE_ID}/status")
    assert r.status_code == 200, r.text
    status = r.json()
    assert (status["name"], status["epoch"]) == ("Nodo S01", 1)
    assert (status["disk_level"], status["disk_free_mb"], status["disk_reported_at"]) == (
        None,
        None,
        None,
    )

    # a hub whose 0001 already created the columns (regenerated later) upgrades all the same
    migrations.command.stamp(cfg, "0004")
    migrations.upgrade(MIGRATIONS, engine)
    assert migrations.current_revision(engine) == migrations.head_revision(MIGRATIONS)
    assert _columns(engine) == {"disk_level", "disk_free_mb", "disk_reported_at"}
