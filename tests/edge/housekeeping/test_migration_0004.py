"""Migration 0004 on an existing node: ``sync_state`` gains ``pruned_seq`` = 0 and keeps the
rest of its row (seq counters, node, HLC); downgrading drops the column again."""

from __future__ import annotations

from sqlalchemy import inspect, text

from edge.runtime import MIGRATIONS, EdgeRuntime
from sync import migrations


def _columns(rt: EdgeRuntime) -> set[str]:
    return {c["name"] for c in inspect(rt.engine).get_columns("sync_state")}


def test_an_existing_node_gets_pruned_seq_zero_and_keeps_its_counters(
    edge_runtime: EdgeRuntime,
) -> None:
    config = migrations.alembic_config(MIGRATIONS, edge_runtime.engine)
    with edge_runtime.engine.begin() as conn:
        conn.execute(text("UPDATE sync_state SET last_seq = 41, acked_seq = 40 WHERE id = 1"))
        before = conn.execute(
            text("SELECT node_id, sede_id, last_seq, acked_seq, hlc_last FROM sync_state")
        ).one()
    migrations.command.downgrade(config, "0003")
    assert migrations.current_revision(edge_runtime.engine) == "0003"
    assert "pruned_seq" not in _columns(edge_runtime)

    migrations.command.upgrade(config, "head")
    assert "pruned_seq" in _columns(edge_runtime)
    with edge_runtime.engine.connect() as conn:
        after = conn.execute(
            text(
                "SELECT node_id, sede_id, last_seq, acked_seq, hlc_last, pruned_seq FROM sync_state"
            )
        ).one()
    assert tuple(after[:5]) == tuple(before) and after.last_seq == 41
    assert after.pruned_seq == 0  # nothing pruned yet on a node that never ran housekeeping
