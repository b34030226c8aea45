"""The set-based ingest (one upsert statement per batch): the report summaries kept by the
statement triggers equal a recomputation; the last image of a record pushed twice in one batch
wins; a re-delivered batch changes nothing; parked rows keep their reasons; late rows of a
reconciled day are flagged and marked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from central.db import unit_of_work
from central.reconciliation.models import RECONCILED, Closure
from central.reports import service as reports
from central.runtime import HubRuntime
from central.sync import nodes
from central.sync.models import Node
from central.sync.service import ingest
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from sync.protocol import Change, PushAck, PushBatch

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
CLOCK = FixedClock(NOW)
S01 = sede_id_for("S01")
DAY1, DAY2 = "2026-11-28", "2026-11-29"
TABLES = (
    "rpt_order_day",
    "rpt_payment_day",
    "rpt_document_day",
    "rpt_service_day",
    "rpt_status_day",
    "rpt_patient_first",
)


class Node1:
    def __init__(self, rt: HubRuntime) -> None:
        self.rt = rt
        with unit_of_work(rt.engine) as s:
            _, code = nodes.create_node(session=s, sede_id=S01, name="n", clock=CLOCK)
        with unit_of_work(rt.engine) as s:
            node, _ = nodes.enroll(session=s, code=code, acked_seq=0, clock=CLOCK)
            self.id, self.epoch = node.id, node.epoch
        self.seq = 0

    def change(self, rtype: str, payload: dict[str, Any], *, tx: str) -> Change:
        self.seq += 1
        return Change(
            seq=self.seq,
            tx_id=tx,
            record_type=rtype,
            record_id=str(payload["id"]),
            payload=payload,
            hlc=f"{1_700_000_000_000 + self.seq:012x}-0000-n1",
            schema_version=1,
            sede_id=S01,
            business_date=payload.get("business_date"),
        )

    def push(self, rows: list[Change]) -> PushAck:
        with unit_of_work(self.rt.engine) as s:
            node = s.get(Node, self.id)
            assert node is not None
            return ingest(
                session=s,
                node=node,
                clock=CLOCK,
                batch=PushBatch(
                    node_id=self.id,
                    epoch=self.epoch,
                    from_seq=rows[0].seq,
                    to_seq=rows[-1].seq,
                    rows=rows,
                ),
            )


def order(day: str, total: int, *, status: str = "pagada", discount: int = 0) -> dict[str, Any]:
    return {
        "id": new_id(),
        "sede_id": S01,
        "business_date": day,
        "status": status,
        "patient_id": new_id(),
        "cashier_id": "c1",
        "subtotal": total + discount,
        "discount_total": discount,
        "total": total,
        "paid_total": total,
    }


def sale(n: Node1, day: str, total: int) -> tuple[dict[str, Any], list[Change]]:
    tx = new_id()
    o = order(day, total)
    item = {
        "id": new_id(),
        "sede_id": S01,
        "business_date": day,
        "order_id": o["id"],
        "service_id": "svc-1",
        "service_code": "HEM",
        "service_name": "Hemograma",
        "line_total": total,
        "quantity": 1,
    }
    pay = {
        "id": new_id(),
        "sede_id": S01,
        "business_date": day,
        "order_id": o["id"],
        "method": "efectivo",
        "amount": total,
        "cashier_id": "c1",
    }
    inv = {
        "id": new_id(),
        "sede_id": S01,
        "business_date": day,
        "order_id": o["id"],
        "doc_type": "03",
        "state": "pendiente",
        "total": total,
        "igv": total * 18 // 118,
    }
    return o, [
        n.change(t, p, tx=tx)
        for t, p in (("order", o), ("order_item", item), ("payment", pay), ("invoice", inv))
    ]


def rows_of(rt: HubRuntime, table: str) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))]


def nonzero(table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    if table == "rpt_patient_first":
        return rows
    return [r for r in rows if any(v for v in r if isinstance(v, int) and not isinstance(v, bool))]


def test_batches_keep_the_summaries_equal_to_a_recomputation(hub_runtime: HubRuntime) -> None:
    n = Node1(hub_runtime)
    orders: list[dict[str, Any]] = []
    first: list[Change] = []
    for k in range(60):
        o, changes = sale(n, DAY1 if k % 2 else DAY2, 1000 + k)
        orders.append(o)
        first += changes
    assert n.push(first).acked_to == n.seq == 240

    # one batch: status changes, the same order twice (the later image wins), a foreign row
    tx = new_id()
    second = [n.change("order", {**orders[0], "status": "anulada"}, tx=tx)]
    second.append(n.change("order", {**orders[1], "status": "muestra_tomada"}, tx=tx))
    second.append(n.change("order", {**orders[1], "status": "anulada", "total": 7}, tx=tx))
    second.append(n.change("order", {**order(DAY2, 5), "sede_id": sede_id_for("S02")}, tx=tx))
    second.append(
        n.change(
            "order_status_event",
            {
                "id": new_id(),
                "sede_id": S01,
                "business_date": DAY2,
                "to_status": "anulada",
                "user_id": "u1",
            },
            tx=tx,
        )
    )
    _, more = sale(n, DAY2, 999)
    second += more
    ack = n.push(second)
    assert ack.acked_to == n.seq and ack.parked == [second[3].seq]
    again = n.push(second)  # re-delivered: applied exactly once
    assert again.acked_to == n.seq and again.parked == []

    with hub_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_record")).scalar() == 240 + 5
        status, total = conn.execute(
            text("SELECT payload->>'status', payload->>'total' FROM sync_record WHERE id = :i"),
            {"i": orders[1]["id"]},
        ).one()
        assert (status, total) == ("anulada", "7")
        reason = conn.execute(text("SELECT reason FROM sync_parked")).scalars().all()
        assert reason == ["foreign_sede"]
        orders_total = conn.execute(
            text("SELECT sum(orders), sum(total_cents) FROM rpt_order_day")
        ).one()
    expected = sum(o["total"] for o in orders[1:]) - orders[1]["total"] + 7 + orders[0]["total"]
    assert tuple(orders_total) == (61, expected + 999)

    before = {t: nonzero(t, rows_of(hub_runtime, t)) for t in TABLES}
    assert all(before[t] for t in TABLES)
    with unit_of_work(hub_runtime.engine) as s:
        reports.rebuild(session=s)
    after = {t: rows_of(hub_runtime, t) for t in TABLES}
    assert before == after


def test_rows_for_a_reconciled_day_arrive_late(hub_runtime: HubRuntime) -> None:
    n = Node1(hub_runtime)
    _, on_time = sale(n, DAY1, 1500)
    n.push(on_time)
    with unit_of_work(hub_runtime.engine) as s:
        s.add(
            Closure(
                sede_id=S01,
                business_date=dt.date.fromisoformat(DAY1),
                status=RECONCILED,
                closed_at=NOW,
                executed_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    _, late = sale(n, DAY1, 2500)
    _, other_day = sale(n, DAY2, 700)
    n.push(late + other_day)
    with hub_runtime.engine.connect() as conn:
        flags: dict[str, bool] = dict(
            conn.execute(
                text("SELECT business_date, bool_and(late) FROM sync_record GROUP BY 1")
            ).all()
        )
        late_rows = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE late AND business_date = :d"),
            {"d": DAY1},
        ).scalar()
        mark = conn.execute(text("SELECT sede_id, business_date::text, rows FROM recon_late_mark"))
        marks = [tuple(r) for r in mark]
    assert flags == {DAY1: False, DAY2: False} and late_rows == 4
    assert marks == [(S01, DAY1, 4)]
