"""Real processes: a hub (with its PostgreSQL) and two edges (API + worker) replicate under a
stream of sales while the hub is killed -9 in the middle of a push (before its commit, then after
its commit with the reply unsent) and each edge worker is killed -9 in the middle of a push
(after the hub's reply, before the ack is stored) and of a pull page (inside its transaction).

The kills land on exact steps: the processes are started with ``LABRED_FAULT_PAUSE``
(``sync.faultenv``), stop at the named point and drop a marker file; the test then kills them.
At the end: every committed edge outbox record is at the hub exactly once (inbox mark, records
and the sales the API confirmed), every hub change reached both edges, nothing parked, no
duplicate numbers, the table digests agree.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from domain.ids import sede_id_for
from edge.sync.digests import local_digests
from tests.sync.cluster import Cluster, Edge, hub_head, reception, sell_one, settled, wait_for

pytestmark = pytest.mark.slow


def _sell(edge: Edge, stop: threading.Event, errors: list[str]) -> None:
    """Reception keeps selling, whatever happens to the hub or the worker."""
    try:
        client, services = reception(edge)
        i = 0
        while not stop.is_set():
            i += 1
            sell_one(client, edge, services, i)
            time.sleep(0.15)
    except Exception as exc:  # reported by the test, with the edge's name
        errors.append(f"edge {edge.code}: {exc!r}")


def test_kill_9_of_hub_and_edge_workers_mid_sync_loses_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    c = Cluster(tmp_path)
    c.setup()
    c.phase("set up")
    stop = threading.Event()
    errors: list[str] = []
    sellers: list[threading.Thread] = []
    try:
        # Each process stops at its point once and is killed there: the hub inside a push
        # transaction before its commit, edge 1's worker after the hub's reply (before the ack
        # is stored), edge 2's worker inside a pull page's transaction.
        c.start_hub(pause="hub.before_commit=60@5")
        c.enrol_and_serve()
        e1, e2 = c.edges
        c.start_worker(e1, pause="edge.after_reply=60@2")
        c.start_worker(e2, pause="edge.mid_pull_page=60@0")
        sellers = [threading.Thread(target=_sell, args=(e, stop, errors)) for e in c.edges]
        for t in sellers:
            t.start()
        c.hub_change("11")  # something for edge 2's first pull page
        c.phase("selling")
        c.kill_at_marks()
        c.phase("hub and both workers killed -9 mid-sync, restarted")
        c.wait_hub()
        c.hub_change("12")
        c.hub_change("13")
        time.sleep(1.0)
        stop.set()
        for t in sellers:
            t.join(timeout=30)
        assert not errors, errors
        assert all(len(e.orders) >= 5 for e in c.edges), [len(e.orders) for e in c.edges]
        wait_for("both edges in step with the hub", lambda: all(settled(c, e) for e in c.edges), 45)
        c.phase("settled")
        _check(c)
    finally:
        stop.set()
        for t in sellers:
            t.join(timeout=30)
        c.stop()
    orders = [len(e.orders) for e in c.edges]
    print(f"kill -9 drill: {time.monotonic() - started:.1f} s, orders per edge {orders}")


def _check(c: Cluster) -> None:
    from central.sync.pull import digests

    engine = create_engine(c.pg_url())
    try:
        with c.pg() as pg:
            parked = pg.execute("SELECT count(*) FROM sync_parked").fetchone()
            assert parked == (0,)
            dup_numbers = pg.execute(
                "SELECT payload->>'number', count(*) FROM sync_record WHERE record_type = 'order' "
                "GROUP BY 1 HAVING count(*) > 1"
            ).fetchall()
            assert dup_numbers == []
            dup_docs = pg.execute(
                "SELECT payload->>'series', payload->>'number', count(*) FROM sync_record "
                "WHERE record_type = 'invoice' GROUP BY 1, 2 HAVING count(*) > 1"
            ).fetchall()
            assert dup_docs == []
            for e in c.edges:
                _check_edge(c, e, pg, engine, digests)
    finally:
        engine.dispose()


def _check_edge(
    c: Cluster, e: Edge, pg: psycopg.Connection[Any], engine: Any, digests: Any
) -> None:
    sede = sede_id_for(e.code)
    with e.db() as db:
        node_id, epoch, last_seq, repairs = db.execute(
            "SELECT s.node_id, s.epoch, s.last_seq, t.digest_repairs "
            "FROM sync_state s, sync_status t"
        ).fetchone()
        seqs = [r[0] for r in db.execute("SELECT seq FROM sync_outbox ORDER BY seq")]
        images: dict[tuple[str, str], dict[str, Any]] = {}
        for rtype, rid, payload in db.execute(
            "SELECT record_type, record_id, payload FROM sync_outbox ORDER BY seq"
        ):
            images[(rtype, rid)] = json.loads(payload)
        edge_orders = {r[0] for r in db.execute("SELECT id FROM lab_order")}
        edge_payments = {r[0] for r in db.execute("SELECT id FROM payment")}
        setting = db.execute(
            "SELECT value FROM setting WHERE key = 'discount_approval_threshold_pct'"
        ).fetchone()
    assert seqs == list(range(1, last_seq + 1)), f"{e.code}: outbox seq not gapless"
    hwm = pg.execute(
        "SELECT hwm FROM sync_inbox WHERE node_id = %s AND epoch = %s", (node_id, epoch)
    ).fetchone()
    assert hwm == (last_seq,), f"{e.code}: hub mark {hwm} != edge last seq {last_seq}"
    hub = {
        (rtype, rid): payload
        for rtype, rid, payload in pg.execute(
            "SELECT record_type, id, payload FROM sync_record WHERE sede_id = %s", (sede,)
        )
    }
    patients = {r[0] for r in pg.execute("SELECT id FROM hub_patient")}
    mine = {k: v for k, v in images.items() if k[0] != "patient"}
    assert set(mine) == set(hub), (
        f"{e.code}: missing at hub {sorted(set(mine) - set(hub))[:5]}, "
        f"unknown at hub {sorted(set(hub) - set(mine))[:5]}"
    )
    differing = [k for k, v in mine.items() if hub[k] != v]
    assert not differing, f"{e.code}: hub images differ for {differing[:5]}"
    assert {rid for t, rid in images if t == "patient"} <= patients
    # The sales the API confirmed: at the edge and at the hub, each once.
    hub_orders = {rid for t, rid in hub if t == "order"}
    hub_payments = {rid for t, rid in hub if t == "payment"}
    assert set(e.orders) <= edge_orders and len(set(e.orders)) == len(e.orders)
    assert set(e.payments) <= edge_payments
    assert hub_orders == edge_orders and hub_payments == edge_payments
    # Every hub change reached this edge; the mirrors' digests equal the hub's.
    assert setting == ('"13"',)
    assert repairs == 0, f"{e.code}: {repairs} digest repairs"
    with Session(engine) as session:
        head = hub_head(c)
        theirs = digests(session, sede_id=sede, upto=head)
    sqlite_engine = create_engine(f"sqlite:///{e.data / 'edge.sqlite3'}")
    try:
        with sqlite_engine.connect() as conn:
            ours = local_digests(conn)
    finally:
        sqlite_engine.dispose()
    assert ours == {t: d for t, d in theirs.items() if t in ours}
