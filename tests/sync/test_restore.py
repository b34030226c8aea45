"""A node restored from an older copy of its database: re-enrolment bumps the epoch, the records
the hub holds beyond the restored point come back to the edge (without new outbox rows), the
outbox continues above the hub's mark (no seq reused, even for a sale made after the restore),
and new sales push exactly once."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central.runtime import HubRuntime
from domain.clock import SystemClock, business_date
from domain.ids import format_order_number
from edge.db import unit_of_work
from edge.orders.models import Order
from edge.orders.numbering import next_order_number
from edge.patients.models import Patient
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
    set_order_status,
)

CLOCK = SystemClock()


def _client(hub_client: TestClient, data_dir: Path) -> Any:
    return node_client(hub_client, load_credentials(data_dir))


def _sale(engine: Engine, sede: str, patient: str, n: int) -> tuple[str, str]:
    number = format_order_number("S01", business_date(CLOCK.now()), n)
    return add_sale(
        engine, CLOCK, sede_id=sede, patient_id=patient, number=number, amount=Decimal(10 + n)
    )


def _edge(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _hub(rt: HubRuntime, sql: str, **params: object) -> Any:
    with rt.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _edge_state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM sync_state")).mappings().one())


def test_restore_brings_lost_sales_back_and_seq_continues(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, db_path = edge_runtime.settings.data_dir, edge_runtime.settings.db_path
    engine = edge_runtime.engine
    assert enrol_in_process(hub_client, engine, data, sede, CLOCK)["epoch"] == 1
    client = _client(hub_client, data)
    patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000001")
    early = [_sale(engine, sede, patient, n) for n in (1, 2)]
    service.push_pending(engine, client, CLOCK)
    tail = _sale(engine, sede, patient, 3)  # committed, not yet pushed when the backup is taken
    backup = tmp_path / "backup.sqlite3"
    backup_copy(engine, backup)
    backup_outbox = _edge(engine, "SELECT count(*) FROM sync_outbox")

    # After the backup: the tail is pushed, more sales and a status change reach the hub.
    lost_patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000002", first="Rosa")
    lost = [_sale(engine, sede, lost_patient, n) for n in (4, 5, 6)]
    set_order_status(engine, CLOCK, early[0][0], "en_proceso")
    service.push_pending(engine, client, CLOCK)
    hub_mark = _edge_state(engine)["last_seq"]
    assert _edge_state(engine)["acked_seq"] == hub_mark

    # The disk dies; the sede restores the backup. Reception sells once before re-enrolling
    # (the runbook says not to; it must still not lose the sale nor reuse a seq).
    engine = restore_copy(engine, db_path, backup)
    assert _edge(engine, "SELECT count(*) FROM lab_order WHERE id = :i", i=lost[0][0]) == 0
    restored = _edge_state(engine)
    assert restored["last_seq"] < hub_mark
    after_restore = _sale(engine, sede, patient, 9)

    info = enrol_in_process(hub_client, engine, data, sede, CLOCK)
    assert info["epoch"] == 2 and info["resume_seq"] == hub_mark
    state = _edge_state(engine)
    assert state["acked_seq"] == hub_mark and state["epoch"] == 2
    # Every lost sale is back, with its payment, the status change too; the patient is back.
    for order_id, payment_id in lost:
        assert _edge(engine, "SELECT count(*) FROM lab_order WHERE id = :i", i=order_id) == 1
        assert _edge(engine, "SELECT count(*) FROM payment WHERE id = :i", i=payment_id) == 1
    status = _edge(engine, "SELECT status FROM lab_order WHERE id = :i", i=early[0][0])
    assert status == "en_proceso"
    assert _edge(engine, "SELECT count(*) FROM patient WHERE id = :i", i=lost_patient) == 1
    assert _edge(engine, "SELECT count(*) FROM lab_order WHERE id = :i", i=tail[0]) == 1
    # ... written back without outbox rows: only the post-restore sale was added (renumbered
    # above the hub's mark, in order, gapless).
    seqs = [
        r[0]
        for r in sqlite3.connect(db_path).execute(
            "SELECT seq FROM sync_outbox WHERE seq > :m ORDER BY seq", {"m": hub_mark}
        )
    ]
    added = _edge(engine, "SELECT count(*) FROM sync_outbox") - backup_outbox
    assert added == len(seqs) > 0
    assert seqs == list(range(hub_mark + 1, hub_mark + 1 + len(seqs)))
    assert state["last_seq"] == seqs[-1]
    assert info["renumbered"] == len(seqs)
    # The day's order counter continues after the re-imported numbers.
    with unit_of_work(engine) as session:
        nxt = next_order_number(
            session, sede_id=sede, sede_code="S01", business_date=business_date(CLOCK.now())
        )
    assert nxt.endswith("-0010")

    # New sales push fine; the hub holds every sale exactly once, nothing parked.
    client = _client(hub_client, data)
    later = _sale(engine, sede, patient, 11)
    service.push_pending(engine, client, CLOCK)
    state = _edge_state(engine)
    assert state["acked_seq"] == state["last_seq"]
    node = load_credentials(data)
    assert node is not None
    hwm = _hub(
        hub_runtime,
        "SELECT hwm FROM sync_inbox WHERE node_id = :n AND epoch = 2",
        n=node["node_id"],
    )
    assert hwm == state["last_seq"]
    orders = [o for o, _ in (*early, tail, *lost, after_restore, later)]
    payments = [p for _, p in (*early, tail, *lost, after_restore, later)]
    assert _hub(hub_runtime, "SELECT count(*) FROM sync_record WHERE record_type = 'order'") == 8
    for rtype, ids in (("order", orders), ("payment", payments)):
        found = _hub(
            hub_runtime,
            "SELECT count(*) FROM sync_record WHERE record_type = :t AND id = ANY(:ids)",
            t=rtype,
            ids=ids,
        )
        assert found == len(ids) == 8
    assert _hub(hub_runtime, "SELECT count(*) FROM sync_parked") == 0
    edge_orders = _edge(engine, "SELECT count(*) FROM lab_order")
    assert edge_orders == 8
    engine.dispose()


def test_unpushed_tail_of_a_restored_copy_is_pushed_in_the_new_epoch(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, db_path = edge_runtime.settings.data_dir, edge_runtime.settings.db_path
    engine = edge_runtime.engine
    enrol_in_process(hub_client, engine, data, sede, CLOCK)
    client = _client(hub_client, data)
    patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000003")
    pushed = _sale(engine, sede, patient, 1)
    service.push_pending(engine, client, CLOCK)
    mark = _edge_state(engine)["acked_seq"]
    unpushed = _sale(engine, sede, patient, 2)  # the hub never saw it
    backup = tmp_path / "backup.sqlite3"
    backup_copy(engine, backup)
    engine = restore_copy(engine, db_path, backup)
    info = enrol_in_process(hub_client, engine, data, sede, CLOCK)
    assert info["resume_seq"] == mark and info["renumbered"] == 0 and info["reimported"] == 0
    service.push_pending(engine, _client(hub_client, data), CLOCK)
    for order_id in (pushed[0], unpushed[0]):
        assert _hub(hub_runtime, "SELECT count(*) FROM sync_record WHERE id = :i", i=order_id) == 1
    state = _edge_state(engine)
    assert state["acked_seq"] == state["last_seq"] > mark
    engine.dispose()


def test_order_number_taken_again_after_restore_is_reported_not_fatal(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, db_path = edge_runtime.settings.data_dir, edge_runtime.settings.db_path
    engine = edge_runtime.engine
    enrol_in_process(hub_client, engine, data, sede, CLOCK)
    client = _client(hub_client, data)
    patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000004")
    service.push_pending(engine, client, CLOCK)
    backup = tmp_path / "backup.sqlite3"
    backup_copy(engine, backup)
    lost = [_sale(engine, sede, patient, n) for n in (1, 2)]
    service.push_pending(engine, client, CLOCK)
    engine = restore_copy(engine, db_path, backup)
    clash = _sale(engine, sede, patient, 2)  # the restored counter hands out number 2 again
    info = enrol_in_process(hub_client, engine, data, sede, CLOCK)
    assert info["reimport_skipped"] == {"local_conflict": 1, "parent_skipped": 1}
    assert _edge(engine, "SELECT count(*) FROM lab_order WHERE id = :i", i=lost[0][0]) == 1
    assert _edge(engine, "SELECT count(*) FROM lab_order WHERE id = :i", i=lost[1][0]) == 0
    assert _edge(engine, "SELECT count(*) FROM payment WHERE id = :i", i=lost[1][1]) == 0
    service.push_pending(engine, _client(hub_client, data), CLOCK)
    for order_id, _ in (*lost, clash):  # the hub keeps both orders numbered 2: none is lost
        assert _hub(hub_runtime, "SELECT count(*) FROM sync_record WHERE id = :i", i=order_id) == 1
    engine.dispose()


def test_reimport_pages_cover_every_record_once(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, engine = edge_runtime.settings.data_dir, edge_runtime.engine
    enrol_in_process(hub_client, engine, data, sede, CLOCK)
    client = _client(hub_client, data)
    patient = add_patient(engine, CLOCK, sede_id=sede, doc="40000005")
    for n in range(1, 5):
        _sale(engine, sede, patient, n)
    service.push_pending(engine, client, CLOCK)
    mark = _edge_state(engine)["acked_seq"]
    whole = client.reimport(0, mark)
    assert not whole.has_more and len(whole.rows) == 8  # 4 orders + 4 payments
    seen, after, pages = [], 0, 0
    while True:
        page = client.reimport(after, mark, limit=3)
        seen.extend(page.rows)
        pages += 1
        if not page.has_more:
            break
        after = page.next_after
    assert pages >= 3
    assert [(r.record_type, r.record_id) for r in seen] == [
        (r.record_type, r.record_id) for r in whole.rows
    ]
    assert [r.seq for r in seen] == sorted(r.seq for r in seen)
    assert client.reimport(mark, mark).rows == []


def test_applied_transaction_with_a_new_patient_is_not_pushed_again_and_its_records_come_back(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime, tmp_path: Path
) -> None:
    """A transaction that registered a patient and sold to them, unpushed when the backup was
    taken and pushed after it: the hub holds it, so it keeps its seq, and the later change of
    its order (also on the hub) is taken back. Patients never come back through the re-import,
    so their rows must not make the transaction look new."""
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    data, db_path = edge_runtime.settings.data_dir, edge_runtime.settings.db_path
    engine = edge_runtime.engine
    enrol_in_process(hub_client, engine, data, sede, CLOCK)
    client = _client(hub_client, data)
    now = CLOCK.now()
    number = format_order_number("S01", business_date(now), 1)
    with unit_of_work(engine) as session:  # one transaction: new patient, their order
        patient = Patient(doc_type="1", doc_number="40000077", first_names="Rosa",
                          last_names="Quispe", home_sede_id=sede, created_at=now,
                          updated_at=now)  # fmt: skip
        session.add(patient)
        session.flush()  # the parent first: no relationship() tells the ORM the order
        order = Order(sede_id=sede, number=number, patient_id=patient.id, subtotal=Decimal("30"),
                      total=Decimal("30"), balance=Decimal("30"), paid_total=Decimal("0"),
                      cashier_id="cajero", business_date=business_date(now), created_at=now,
                      updated_at=now)  # fmt: skip
        session.add(order)
    backup = tmp_path / "backup.sqlite3"
    backup_copy(engine, backup)
    service.push_pending(engine, client, CLOCK)
    set_order_status(engine, CLOCK, order.id, "en_proceso")
    service.push_pending(engine, client, CLOCK)
    hub_mark = _edge_state(engine)["acked_seq"]

    engine = restore_copy(engine, db_path, backup)
    assert _edge(engine, "SELECT status FROM lab_order WHERE id = :i", i=order.id) == "registrada"
    info = enrol_in_process(hub_client, engine, data, sede, CLOCK)
    assert info["resume_seq"] == hub_mark
    assert info["renumbered"] == 0, info
    assert _edge(engine, "SELECT status FROM lab_order WHERE id = :i", i=order.id) == "en_proceso"
    state = _edge_state(engine)
    assert state["acked_seq"] == state["last_seq"] == hub_mark  # nothing to push again
    engine.dispose()
