"""Real processes: a sede's database is restored from an older copy; ``labred edge enroll``
bumps the epoch, the sales the hub holds beyond the copy come back to the edge, and new sales
push with seqs above the hub's mark."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.procs import labred, terminate, wait_ready
from tests.sync.cluster import Cluster, Edge, reception, sell_one, settled, wait_for

pytestmark = pytest.mark.slow


def _sell(c: Cluster, edge: Edge, first: int, n: int) -> None:
    client, services = reception(edge)
    with contextlib.closing(client):
        for i in range(first, first + n):
            sell_one(client, edge, services, i)
    wait_for("the sales at the hub", lambda: settled(c, edge), 45)


def _serve(c: Cluster, edge: Edge, tag: str) -> None:
    serve = ("edge", "serve", "--data-dir", str(edge.data), "--port", str(edge.port))
    edge.serve = labred(*serve, log=c.log(f"edge{edge.k}-serve-{tag}"))
    wait_ready(f"{edge.url}/ready", edge.serve, c.log(f"edge{edge.k}-serve-{tag}"))
    c.start_worker(edge, tag=tag)


def test_restored_edge_gets_its_sales_back_and_pushes_new_ones(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges
    try:
        c.start_hub()
        c.enrol_and_serve()
        c.start_worker(edge)
        _sell(c, edge, 1, 4)
        backup = tmp_path / "backup.sqlite3"
        edge.backup(backup)
        kept = list(edge.orders)
        _sell(c, edge, 5, 4)  # at the hub, then lost with the disk
        lost = edge.orders[len(kept) :]
        assert edge.worker is not None and edge.serve is not None
        terminate(edge.worker)
        terminate(edge.serve)
        db = edge.db_path
        edge.restore(backup)
        with sqlite3.connect(db) as conn:
            ids = {r[0] for r in conn.execute("SELECT id FROM lab_order")}
        assert set(kept) <= ids and not set(lost) & ids

        res = c.re_enroll(edge)
        assert "epoch 2" in res.stdout
        assert "caught up from the hub after a restore" in res.stdout  # the technician sees it
        with sqlite3.connect(db) as conn:
            ids = {r[0] for r in conn.execute("SELECT id FROM lab_order")}
        assert set(kept + lost) <= ids  # the sede's own history is complete again

        _serve(c, edge, "after-restore")
        _sell(c, edge, 9, 3)
        with sqlite3.connect(db) as conn:
            node_id, epoch, acked, last = conn.execute(
                "SELECT node_id, epoch, acked_seq, last_seq FROM sync_state"
            ).fetchone()
            edge_orders = {r[0] for r in conn.execute("SELECT id FROM lab_order")}
            seqs = [r[0] for r in conn.execute("SELECT seq FROM sync_outbox ORDER BY seq")]
        assert epoch == 2 and acked == last
        assert len(seqs) == len(set(seqs))
        with c.pg() as pg:
            hwm = pg.execute(
                "SELECT hwm FROM sync_inbox WHERE node_id = %s AND epoch = 2", (node_id,)
            ).fetchone()
            hub_orders = {
                r[0] for r in pg.execute("SELECT id FROM sync_record WHERE record_type = 'order'")
            }
            parked = pg.execute("SELECT count(*) FROM sync_parked").fetchone()
        assert hwm == (last,)
        assert hub_orders == edge_orders == set(edge.orders) and len(edge.orders) == 11
        assert parked == (0,)
    finally:
        c.stop()
