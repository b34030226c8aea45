"""QA of replication across real processes: a real hub process (``labred hub serve``) killed
-9 at exact steps (after a commit whose reply is never sent, inside a pull, inside a backlog's
catch-up), concurrent duplicate deliveries, two sedes registering the same document at the same
moment, and batches that overtake each other.

Each test checks the invariants of ``../shared/notes/sync.md`` section 4.2 that its fault
threatens: every committed outbox row at the hub exactly once, the hub's mark equal to the
edge's last seq, acks never ahead of the hub, one canonical patient per document.
"""

from __future__ import annotations

import threading

from sqlalchemy import text

from central.config.models import Setting
from central.db import unit_of_work as hub_uow
from domain.errors import Unavailable
from domain.ids import new_id
from edge.sync import service
from sync import outbox
from sync.client import to_change
from sync.protocol import PushBatch
from tests.sync.replication_helpers import add_patient
from tests.sync.test_qa_procs_support import (
    CLOCK,
    QaCluster,
    QaEdge,
    bulk_sales,
    check_exactly_once,
    cluster,
    sales,
    wait_until,
)

__all__ = ["cluster"]  # the fixture, imported for pytest


# ---------------------------------------------------------------------------------- kill -9
def test_qa_hub_killed_after_commit_before_reply_the_resend_is_a_no_op(
    cluster: QaCluster,
) -> None:
    """§2.1 duplicate after lost response: the hub commits batch 2 and dies before replying."""
    name = cluster.start_hub(pause="hub.after_commit=30@1")
    edge = cluster.add_edge("S01")
    sales(edge, 6)
    assert edge.client is not None
    errors: list[BaseException] = []

    def push() -> None:
        try:
            service.push_pending(edge.engine, edge.client, CLOCK, max_rows=4)  # type: ignore[arg-type]
        except BaseException as exc:  # reported below
            errors.append(exc)

    pusher = threading.Thread(target=push)
    pusher.start()
    wait_until(
        "the hub to stop after its second commit", cluster.marker(name, "hub.after_commit").exists
    )
    committed = cluster.hwm(edge)
    acked = edge.state()["acked_seq"]
    assert 0 < acked < committed  # the second batch is at the hub, its ack never arrived
    cluster.kill_hub()
    pusher.join(timeout=20)
    assert len(errors) == 1 and isinstance(errors[0], Unavailable), errors
    assert edge.state()["acked_seq"] == acked  # never acked without a reply
    cluster.start_hub()
    service.push_pending(edge.engine, edge.client, CLOCK, max_rows=4)
    check_exactly_once(cluster, edge)


def test_qa_hub_killed_in_the_middle_of_a_pull_the_edge_resumes_from_its_cursor(
    cluster: QaCluster,
) -> None:
    """A hub restart mid-pull: no page is half applied and the cursor never runs ahead."""
    name = cluster.start_hub(pause="hub.mid_pull=30@2")
    edge = cluster.add_edge("S01")
    assert edge.client is not None
    rt = cluster.runtime()
    for k in range(12):  # twelve hub transactions the edge has not seen
        with hub_uow(rt.engine) as session:
            session.add(Setting(key=f"qa_key_{k}", value=f"v{k}", updated_at=CLOCK.now()))
    before = edge.state()["pull_cursor"]
    errors: list[BaseException] = []

    def pull() -> None:
        try:
            service.pull_changes(edge.engine, edge.client, CLOCK, page_limit=5)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    puller = threading.Thread(target=pull)
    puller.start()
    wait_until("the hub to stop in a pull", cluster.marker(name, "hub.mid_pull").exists)
    cluster.kill_hub()
    puller.join(timeout=20)
    assert len(errors) == 1 and isinstance(errors[0], Unavailable), errors
    cursor = edge.state()["pull_cursor"]
    assert before < cursor < int(cluster.hub_scalar("SELECT value FROM sync_feed_counter"))
    with edge.engine.connect() as conn:
        have = {r[0] for r in conn.execute(text("SELECT key FROM setting WHERE key LIKE 'qa_%'"))}
    cluster.start_hub()
    service.pull_changes(edge.engine, edge.client, CLOCK, page_limit=5)
    with edge.engine.connect() as conn:
        keys = {r[0] for r in conn.execute(text("SELECT key FROM setting WHERE key LIKE 'qa_%'"))}
        repairs = conn.execute(text("SELECT digest_repairs FROM sync_status")).scalar()
    assert 0 < len(have) < 12  # the first page was applied whole, the second never
    assert keys == {f"qa_key_{k}" for k in range(12)}
    assert edge.state()["pull_cursor"] == int(
        cluster.hub_scalar("SELECT value FROM sync_feed_counter")
    )
    assert not repairs  # nothing skipped: the digests agreed without a re-snapshot


# ---------------------------------------------------------------------------------- concurrency
def test_qa_concurrent_duplicate_deliveries_apply_once(cluster: QaCluster) -> None:
    """§2.1 (odoo#152259): the same batch delivered by several connections at once."""
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    sales(edge, 30)
    st = edge.state()
    with edge.engine.connect() as conn:
        rows = outbox.pending(conn, after_seq=0, limit=10_000)
    batch = PushBatch(
        node_id=st["node_id"],
        epoch=st["epoch"],
        from_seq=rows[0]["seq"],
        to_seq=rows[-1]["seq"],
        rows=[to_change(r) for r in rows],
    )
    acks: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        client = cluster.client_for(edge)
        barrier.wait()
        try:
            acks.append(client.push(batch).acked_to)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not failures, failures
    assert acks == [rows[-1]["seq"]] * 6
    service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
    check_exactly_once(cluster, edge)
    assert cluster.hub_scalar("SELECT count(*) FROM hub_patient") == 30


def _push_at(edge: QaEdge, barrier: threading.Barrier, failures: list[BaseException]) -> None:
    barrier.wait()
    try:
        service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
    except BaseException as exc:  # reported by the test
        failures.append(exc)


def test_qa_two_sedes_register_the_same_document_at_the_same_moment(cluster: QaCluster) -> None:
    """§2.6: two sedes push a new patient with the same document concurrently: the hub keeps one
    canonical patient per document and records each duplicate (never two canonical rows)."""
    cluster.start_hub()
    a, b = cluster.add_edge("S01"), cluster.add_edge("S02")
    rounds, per_round = 4, 25
    for r in range(rounds):
        docs = [f"6{r}{k:06d}" for k in range(per_round)]
        for edge in (a, b):
            for doc in docs:
                add_patient(edge.engine, CLOCK, sede_id=edge.sede_id, doc=doc, patient_id=new_id())
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        threads = [threading.Thread(target=_push_at, args=(e, barrier, failures)) for e in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not failures, failures
    twice = cluster.hub_rows(
        "SELECT doc_number, count(*) FROM hub_patient WHERE canonical_id IS NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    assert twice == [], f"{len(twice)} documents with two canonical patients: {twice[:3]}"
    aliases = cluster.hub_scalar("SELECT count(*) FROM hub_patient_alias")
    dups = cluster.hub_scalar(
        "SELECT count(*) FROM sync_conflict WHERE kind = 'duplicate_identity'"
    )
    assert aliases == dups == rounds * per_round


# ---------------------------------------------------------------------------------- backlog
def test_qa_backlog_catch_up_survives_a_hub_kill_and_keeps_its_progress(
    cluster: QaCluster,
) -> None:
    """§2.4 catch-up restarts from zero / §3.10: a sede that sold offline catches up in batches;
    the hub is killed -9 inside the second batch's transaction. The first batch stays acked (the
    worker does not start over), the killed batch left nothing at the hub, and after the restart
    the rest drains with every row exactly once."""
    name = cluster.start_hub(pause="hub.before_commit=30@1")
    edge = cluster.add_edge("S01")
    bulk_sales(edge, 4, 120)  # 1,440 outbox rows written offline: four batches of 360
    last = edge.state()["last_seq"]
    cluster.start_worker(edge)
    wait_until("the hub inside the second batch", cluster.marker(name, "hub.before_commit").exists)
    first = edge.state()["acked_seq"]
    assert 0 < first < last and cluster.hwm(edge) == first
    cluster.kill_hub()
    held = cluster.hub_scalar("SELECT count(*) FROM sync_record")
    assert cluster.hwm(edge) == first  # the killed transaction left nothing behind
    cluster.start_hub()
    wait_until("the backlog drained", lambda: edge.state()["acked_seq"] == last, timeout=30)
    assert held < cluster.hub_scalar("SELECT count(*) FROM sync_record")
    check_exactly_once(cluster, edge)


# ---------------------------------------------------------------------------------- order
def test_qa_out_of_order_and_stale_deliveries_against_a_real_hub(cluster: QaCluster) -> None:
    """A newer batch overtakes an older one (a retry on another connection): the hub refuses
    the gap without storing anything and answers its mark; the older batch applies, the newer
    one then applies, and a stale copy of the older one arriving last changes nothing."""
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    sales(edge, 4)
    st = edge.state()
    with edge.engine.connect() as conn:
        rows = outbox.pending(conn, after_seq=0, limit=10_000)
    cut = next(
        i for i in range(len(rows) // 2, len(rows)) if rows[i]["tx_id"] != rows[i - 1]["tx_id"]
    )

    def batch(part: list[dict[str, object]]) -> PushBatch:
        return PushBatch(
            node_id=st["node_id"],
            epoch=st["epoch"],
            from_seq=int(part[0]["seq"]),  # type: ignore[call-overload]
            to_seq=int(part[-1]["seq"]),  # type: ignore[call-overload]
            rows=[to_change(r) for r in part],
        )

    older, newer = batch(rows[:cut]), batch(rows[cut:])
    client = cluster.client_for(edge)
    ack = client.push(newer)
    assert ack.gap and ack.acked_to == 0
    assert cluster.hub_scalar("SELECT count(*) FROM sync_record") == 0
    assert client.push(older).acked_to == older.to_seq
    assert client.push(newer).acked_to == newer.to_seq
    stale = client.push(older)
    assert stale.acked_to == newer.to_seq and not stale.gap and stale.parked == []
    service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
    check_exactly_once(cluster, edge)
