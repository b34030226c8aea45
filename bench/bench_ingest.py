"""Hub ingest rate of pushed records, beside a bare batched PostgreSQL upsert of the same rows.

    .venv/bin/python bench/bench_ingest.py [--rows 30000] [--batch 500]

Budget (DESIGN.md section 8): >= 10,000 records/s, within 6x of the bare upsert. The script
starts an embedded PostgreSQL (pgserver; or ``DATABASE_URL``), migrates the hub schema, enrols a
node, then pushes ``--rows`` order/payment/item rows in batches through the real ingest service
(inbox lock, validation, upcasting, JSONB upsert of ``sync_record``, one transaction per batch)
and, in the same run, upserts the same rows with a bare ``INSERT ... ON CONFLICT DO UPDATE``
into a table of the same shape, one transaction per batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: E402

from central.db import unit_of_work  # noqa: E402
from central.runtime import HubRuntime  # noqa: E402
from central.settings import HubSettings  # noqa: E402
from central.sync import nodes  # noqa: E402
from central.sync.models import Node, SyncRecord  # noqa: E402
from central.sync.service import ingest  # noqa: E402
from domain.clock import SystemClock  # noqa: E402
from domain.ids import new_id, sede_id_for  # noqa: E402
from sync.protocol import Change, PushBatch  # noqa: E402


def make_rows(n: int, sede: str, node: str) -> list[Change]:
    rows: list[Change] = []
    now = dt.datetime.now(dt.UTC)
    seq = 0
    tx = new_id()
    while len(rows) < n:
        kind = ("order", "order_item", "order_item", "payment", "invoice")[len(rows) % 5]
        if kind == "order":
            tx = new_id()
        seq += 1
        rid = new_id()
        payload = {
            "id": rid,
            "sede_id": sede,
            "business_date": "2026-11-29",
            "status": "pagada",
            "number": f"S01-20261129-{seq:06d}",
            "patient_id": new_id(),
            "total": 4550,
            "subtotal": 4550,
            "paid_total": 4550,
            "balance": 0,
            "cashier_id": new_id(),
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "service_name": "Hemograma completo",
            "unit_price": 2500,
            "method": "efectivo",
        }
        rows.append(
            Change(
                seq=seq,
                tx_id=tx,
                record_type=kind,
                record_id=rid,
                payload=payload,
                hlc=f"{int(now.timestamp() * 1000):012x}-0000-{node}",
                schema_version=1,
                sede_id=sede,
                business_date="2026-11-29",
            )
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=30000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="labred-bench-ingest-"))
    server = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        from central.db import embedded_url

        url = embedded_url(server, "bench_ingest")
    rt = HubRuntime.open(HubSettings(data_dir=tmp, database_url=url, jwt_secret="x" * 40))
    rt.migrate()
    clock = SystemClock()
    sede = sede_id_for("S01")
    with unit_of_work(rt.engine) as s:
        node, code = nodes.create_node(session=s, sede_id=sede, name="bench", clock=clock)
    with unit_of_work(rt.engine) as s:
        node, _ = nodes.enroll(session=s, code=code, acked_seq=0, clock=clock)
        node_id, epoch = node.id, node.epoch
    rows = make_rows(args.rows, sede, "bench")
    batches = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]

    started = time.perf_counter()
    for b in batches:
        with unit_of_work(rt.engine) as s:
            live = s.get(Node, node_id)
            assert live is not None
            ack = ingest(
                session=s,
                node=live,
                clock=clock,
                batch=PushBatch(
                    node_id=node_id, epoch=epoch, from_seq=b[0].seq, to_seq=b[-1].seq, rows=b
                ),
            )
            assert ack.acked_to == b[-1].seq and not ack.parked and not ack.gap
    ingest_s = time.perf_counter() - started

    with rt.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_record"))
        conn.execute(text("CREATE TABLE bare_record (LIKE sync_record INCLUDING ALL)"))
    from sqlalchemy import MetaData, Table

    bare = Table("bare_record", MetaData(), *[c._copy() for c in SyncRecord.__table__.columns])  # type: ignore[attr-defined]
    ins = pg_insert(bare)
    bare_upsert = ins.on_conflict_do_update(
        index_elements=[bare.c.record_type, bare.c.id],
        set_={c: ins.excluded[c] for c in ("payload", "hlc", "seq", "tx_id", "received_at")},
    )
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for b in batches:
        values = [
            {
                "record_type": r.record_type,
                "id": r.record_id,
                "sede_id": r.sede_id,
                "business_date": r.business_date,
                "hlc": r.hlc,
                "op": r.op,
                "payload": r.payload,
                "node_id": node_id,
                "epoch": epoch,
                "seq": r.seq,
                "tx_id": r.tx_id,
                "late": False,
                "received_at": now,
            }
            for r in b
        ]
        with rt.engine.begin() as conn:
            conn.execute(bare_upsert, values)
    bare_s = time.perf_counter() - started

    with rt.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM sync_record")).scalar()
    assert stored == len(rows), (stored, len(rows))
    rate, bare_rate = len(rows) / ingest_s, len(rows) / bare_s
    ratio = ingest_s / bare_s
    print(f"rows: {len(rows)} in batches of {args.batch}")
    print(f"hub ingest:  {rate:10,.0f} records/s  ({ingest_s:.2f} s)")
    print(f"bare upsert: {bare_rate:10,.0f} records/s  ({bare_s:.2f} s)")
    print(f"ratio ingest/bare: {ratio:.2f}x (budget <= 6x); rate budget >= 10,000/s")
    ok = rate >= 10_000 and ratio <= 6
    print("PASS" if ok else "FAIL")
    rt.close()
    if server is not None:
        server.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
