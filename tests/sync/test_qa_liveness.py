"""QA of liveness across real processes (sync notes §2.2, §2.9, §2.10, §3.5): a real edge worker
process must keep its queue moving past rows the hub cannot store, after the hub refuses its pulls
(old schema), and after the hub's database was restored from an older backup.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from central.db import unit_of_work as hub_uow
from central.sync import nodes
from domain.ids import new_id
from edge.db import unit_of_work
from edge.sync import service
from sync import outbox
from tests.sync.test_qa_procs_support import (
    CLOCK,
    QaCluster,
    QaEdge,
    check_exactly_once,
    cluster,
    edge_outbox_images,
    sales,
    wait_until,
)

__all__ = ["cluster"]  # the fixture, imported for pytest


# ---------------------------------------------------------------------------------- poison
def _poison(edge: QaEdge) -> dict[str, str]:
    """Rows the edge's outbox holds that the hub cannot store: an order whose money and date do
    not parse, a patient whose birth date does not parse, a row with an unknown operation.
    Each in its own transaction, between good sales. Returns record id -> what is wrong."""
    bad_order, bad_patient, bad_op = new_id(), new_id(), new_id()
    with unit_of_work(edge.engine) as session:
        outbox.record_change(
            session,
            record_type="order",
            record_id=bad_order,
            payload={
                "id": bad_order,
                "sede_id": edge.sede_id,
                "business_date": "2026-02-31",
                "status": "pagada",
                "total": "doce soles",
            },
            business_date="2026-02-31",
        )
    sales(edge, 2, first=50)
    with unit_of_work(edge.engine) as session:
        outbox.record_change(
            session,
            record_type="patient",
            record_id=bad_patient,
            payload={
                "id": bad_patient,
                "doc_type": "1",
                "doc_number": "55555555",
                "first_names": "Rosa",
                "last_names": "Poma",
                "birth_date": "31/02/1990",
                "home_sede_id": edge.sede_id,
            },
        )
    sales(edge, 2, first=60)
    with unit_of_work(edge.engine) as session:
        outbox.record_change(
            session,
            record_type="payment",
            record_id=bad_op,
            op="merge",
            payload={"id": bad_op, "sede_id": edge.sede_id},
        )
    sales(edge, 2, first=70)
    return {bad_order: "order", bad_patient: "patient", bad_op: "op"}


def test_qa_poison_rows_never_block_the_queue_and_stay_visible(cluster: QaCluster) -> None:
    """§3.5: a row the hub cannot store is parked with its reason (visible to admins) and the
    mark moves past it; the rows after it arrive. A real worker process does the pushing."""
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    sales(edge, 2)
    poison = _poison(edge)
    cluster.start_worker(edge)
    last = edge.state()["last_seq"]
    wait_until("the worker to push past the poison rows", lambda: cluster.hwm(edge) == last)
    wait_until("the ack", lambda: edge.state()["acked_seq"] == last)
    parked = {r[0]: r[1] for r in cluster.hub_rows("SELECT record_id, reason FROM sync_parked")}
    assert set(parked) == set(poison), parked
    assert set(parked.values()) == {"rejected", "bad_op"}
    good = {
        k: v
        for k, v in edge_outbox_images(edge).items()
        if k[1] not in poison and k[0] != "patient"
    }
    held = {(r[0], r[1]) for r in cluster.hub_rows("SELECT record_type, id FROM sync_record")}
    assert set(good) <= held and not {k for k in held if k[1] in poison}
    status = cluster.runtime()
    with hub_uow(status.engine) as session:
        node = nodes.node_status(session=session, node_id=edge.state()["node_id"], clock=CLOCK)
    assert node["parked_rows"] == 3 and node["acked_seq"] == last


# ---------------------------------------------------------------------------------- versions
def test_qa_old_edge_keeps_pushing_after_the_hub_refuses_its_pulls(cluster: QaCluster) -> None:
    """§2.9 / §3.9: an upgraded hub answers 426 to an old edge's pull; the edge's worker (a real
    process) must keep pushing its sales, and its status must say why it cannot pull."""
    cluster.start_hub()
    edge = cluster.add_edge("S01")
    cluster.stop_hub()
    cluster.start_hub(min_pull_schema=99)
    cluster.start_worker(edge)

    def status() -> tuple[object, object]:
        with edge.engine.connect() as conn:
            row = conn.execute(text("SELECT last_error_code, blocked FROM sync_status")).one()
            return row[0], row[1]

    wait_until("the hub's 426 at the edge", lambda: status()[0] == "upgrade_required")
    sales(edge, 3)  # reception keeps selling after the refusal
    last = edge.state()["last_seq"]
    wait_until("the sales at the hub", lambda: cluster.hwm(edge) == last)
    wait_until("the ack", lambda: edge.state()["acked_seq"] == last)
    assert status()[1] == "upgrade_required"  # still visible after the pushes succeeded


# ---------------------------------------------------------------------------------- hub restore
def test_qa_hub_restored_from_an_older_backup_gets_the_lost_rows_again(
    cluster: QaCluster, pg_base_url: str
) -> None:
    """§2.10 (litestream#781 on the other side): the hub's database is restored from a backup
    older than what a sede already had acknowledged. The sede, quiet (no new sale), must push
    the lost rows again on its own; a real worker process does it."""
    live = make_url(cluster.database_url).database
    backup = f"{live}_bak"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")

    try:
        cluster.start_hub()
        edge = cluster.add_edge("S01")
        sales(edge, 2)
        service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
        cluster.quiet_hub()
        cluster.dump_hub(admin, backup)  # the nightly backup
        cluster.start_hub()
        sales(edge, 3, first=10)
        service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
        last = edge.state()["last_seq"]
        assert edge.state()["acked_seq"] == cluster.hwm(edge) == last
        cluster.quiet_hub()
        cluster.restore_hub(admin, backup)  # the disk died: the hub is restored from the backup
        cluster.start_hub()
        assert cluster.hwm(edge) < last  # the hub lost rows the sede holds as acknowledged
        cluster.start_worker(edge)
        wait_until("the lost rows at the hub again", lambda: cluster.hwm(edge) == last)
        wait_until("the ack", lambda: edge.state()["acked_seq"] == last)
        check_exactly_once(cluster, edge)
    finally:
        cluster.quiet_hub()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{backup}" WITH (FORCE)'))
        admin.dispose()
