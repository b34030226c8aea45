"""Against a real hub process (``labred hub serve``), the digests of pull answers (kept and
advanced by the hub process between pulls) equal a full recomputation after each of a sequence
of changes: new patients pushed by an edge, settings added and edited, sede-scoped closures."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from central.reconciliation.models import SedeClosure
from central.sync.digest_state import full_digests
from domain.ids import new_id
from edge.sync import service
from sync.protocol import PullPage
from tests.sync.test_qa_procs_support import CLOCK, QaCluster, QaEdge, cluster, sales

__all__ = ["cluster"]  # the fixture, imported for pytest


def _pull(cluster: QaCluster, edge: QaEdge, cursor: int) -> PullPage:
    """Pull pages until the last one (which carries the digests); checks them against a full
    recomputation on the test's own connection."""
    assert edge.client is not None
    while True:
        page = edge.client.pull(cursor, digests=True)
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert page.digests is not None
    with cluster.runtime().engine.connect() as conn:
        assert page.digests == full_digests(conn, sede_id=edge.sede_id, upto=cursor)
    return page


def _closure(cluster: QaCluster, edge: QaEdge, day: int) -> None:
    with hub_uow(cluster.runtime().engine) as s:
        s.add(
            SedeClosure(
                id=new_id(),
                sede_id=edge.sede_id,
                business_date=dt.date(2026, 11, day),
                status="closed",
                updated_at=CLOCK.now(),
            )
        )


def _count(page: PullPage, rtype: str) -> int:
    assert page.digests is not None
    return int(page.digests[rtype].split(":")[0])


def test_pull_digests_of_a_real_hub_equal_a_full_recomputation(cluster: QaCluster) -> None:
    cluster.start_hub()
    edges = [cluster.add_edge("S01"), cluster.add_edge("S02")]
    cursors = {e.code: _pull(cluster, e, 0).next_cursor for e in edges}  # resets
    first = {e.code: _pull(cluster, e, cursors[e.code]) for e in edges}
    rt = cluster.runtime()
    for step in range(3):
        sales(edges[0], 2, first=1 + 2 * step)  # two new patients, chain-wide
        service.push_pending(edges[0].engine, edges[0].client, CLOCK)  # type: ignore[arg-type]
        with hub_uow(rt.engine) as s:
            s.add(Setting(key=f"digest_key_{step}", value=f"v{step}", updated_at=CLOCK.now()))
            if step:
                row = s.exec(select(Setting).where(Setting.key == "digest_key_0")).one()
                row.value = f"edited {step}"
                s.add(row)
        _closure(cluster, edges[step % 2], 10 + step)  # one sede only
        for e in edges:
            page = _pull(cluster, e, cursors[e.code])
            assert page.next_cursor > cursors[e.code]  # the hub's head moved
            cursors[e.code] = page.next_cursor
    last = {e.code: _pull(cluster, e, cursors[e.code]) for e in edges}
    for e in edges:  # the digests followed the changes, each sede its own closures
        assert _count(last[e.code], "patient") == _count(first[e.code], "patient") + 6
        assert _count(last[e.code], "setting") == _count(first[e.code], "setting") + 3
        assert _count(last[e.code], "reconciliation_closure") == 1 + (e.code == "S01")
    assert last["S01"].digests != last["S02"].digests
