"""Hub ingest rate of pushed records, beside a bare batched PostgreSQL upsert of the same rows.

    .venv/bin/python bench/bench_ingest.py [--rows 30000] [--batch 500]

Budget (DESIGN.md section 8): >= 10,000 records/s, within 6x of the bare upsert. The script
starts an embedded PostgreSQL (pgserver; or ``DATABASE_URL``), migrates the hub schema, enrols a
node, then pushes ``--rows`` order/payment/item/invoice rows (``--updates`` of them later images
of earlier orders) in batches through the real ingest service (inbox lock, validation,
upcasting, one set-based upsert of ``sync_record`` per batch, whose statement triggers maintain
the report summaries; one transaction per batch) and, in the same run, upserts the same rows
with a bare ``INSERT ... ON CONFLICT DO UPDATE`` into a table of the same shape without
triggers, one transaction per batch, in two forms (executemany of a one-row upsert; the
ingest's own set-based statement); the faster of the two is the baseline. The three are
interleaved batch by batch, so that a shared machine's changing load weighs on all alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
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
from central.sync.record_upsert import upsert_sql  # noqa: E402
from central.sync.service import ingest  # noqa: E402
from domain.clock import SystemClock  # noqa: E402
from domain.ids import new_id, sede_id_for  # noqa: E402
from sync.protocol import Change, PushBatch  # noqa: E402

_BATCH_COLS = ("node_id", "epoch", "received_at")


def make_rows(n: int, sede: str, node: str, *, updates: float = 0.0) -> list[Change]:
    """``n`` rows: fresh orders/items/payments/invoices, then a share ``updates`` of later images
    of the first orders (a status change: the upsert's update path and the update trigger)."""
    n_upd = int(n * updates)
    rows: list[Change] = []
    now = dt.datetime.now(dt.UTC)
    seq = 0
    tx = new_id()
    while len(rows) < n - n_upd:
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
    first_orders = [r for r in rows if r.record_type == "order"][:n_upd]
    for old in first_orders:
        seq += 1
        rows.append(
            old.model_copy(
                update={
                    "seq": seq,
                    "tx_id": new_id(),
                    "payload": {**old.payload, "status": "muestra_tomada"},
                }
            )
        )
    return rows


def _run(tmp: Path) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=30000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--updates", type=float, default=0.1, help="share of rows that are updates")
    args = ap.parse_args()
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
    rows = make_rows(args.rows, sede, "bench", updates=args.updates)
    assert args.updates <= 0.15, "updates must land in later batches than their originals"
    batches = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]

    with rt.engine.begin() as conn:
        for name in ("bare_em", "bare_sb"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
            conn.execute(text(f"CREATE TABLE {name} (LIKE sync_record INCLUDING ALL)"))
    from sqlalchemy import MetaData, Table

    bare = Table("bare_em", MetaData(), *[c._copy() for c in SyncRecord.__table__.columns])  # type: ignore[attr-defined]
    ins = pg_insert(bare)
    bare_upsert = ins.on_conflict_do_update(
        index_elements=[bare.c.record_type, bare.c.id],
        set_={c: ins.excluded[c] for c in ("payload", "hlc", "seq", "tx_id", "received_at")},
    )
    bare_set_based = text(upsert_sql("bare_sb", closures=False))
    now = dt.datetime.now(dt.UTC)

    def bare_values(b: list[Change]) -> list[dict[str, object]]:
        return [
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

    def run_ingest(b: list[Change]) -> None:
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

    def run_executemany(b: list[Change]) -> None:
        with rt.engine.begin() as conn:
            conn.execute(bare_upsert, bare_values(b))

    def run_set_based(b: list[Change]) -> None:
        values = [{k: v for k, v in r.items() if k not in _BATCH_COLS} for r in bare_values(b)]
        with rt.engine.begin() as conn:
            conn.execute(
                bare_set_based,
                {"rows": json.dumps(values), "node_id": node_id, "epoch": epoch,
                 "received_at": now},
            )  # fmt: skip

    # Two forms of the bare batched upsert; the faster is the baseline (the stricter ratio):
    # an executemany of the one-row statement (psycopg pipelines it), and the ingest's own
    # set-based statement (the whole batch as one jsonb_to_recordset parameter) on a bare table.
    # The three are interleaved batch by batch (rotating who goes first), so that all of them
    # see the same load on this shared machine.
    runs = {"ingest": run_ingest, "executemany": run_executemany, "set-based": run_set_based}
    times = dict.fromkeys(runs, 0.0)
    names = list(runs)
    for i, b in enumerate(batches):
        for name in names[i % 3 :] + names[: i % 3]:
            started = time.perf_counter()
            runs[name](b)
            times[name] += time.perf_counter() - started
    ingest_s = times.pop("ingest")
    bare_times = times
    bare_form = min(bare_times, key=lambda k: bare_times[k])
    bare_s = bare_times[bare_form]

    with rt.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM sync_record")).scalar()
        summarised = conn.execute(text("SELECT sum(orders) FROM rpt_order_day")).scalar()
    distinct = len({(r.record_type, r.record_id) for r in rows})
    assert stored == distinct, (stored, distinct)
    orders = len({r.record_id for r in rows if r.record_type == "order"})
    assert summarised == orders, (summarised, orders)  # the triggers ran inside the ingest
    rate, bare_rate = len(rows) / ingest_s, len(rows) / bare_s
    ratio = ingest_s / bare_s
    print(f"rows: {len(rows)} in batches of {args.batch} ({len(rows) - distinct} of them updates)")
    print(f"hub ingest:                     {rate:10,.0f} records/s  ({ingest_s:.2f} s)")
    for form, secs in bare_times.items():
        print(f"bare upsert, {form + ':':18} {len(rows) / secs:10,.0f} records/s  ({secs:.2f} s)")
    print(f"baseline: the faster bare form ({bare_form}), {bare_rate:,.0f} records/s")
    print(f"ratio ingest/bare: {ratio:.2f}x (budget <= 6x); rate budget >= 10,000/s")
    ok = rate >= 10_000 and ratio <= 6
    print("PASS" if ok else "FAIL")
    rt.close()
    if server is not None:
        server.cleanup()
    return 0 if ok else 1


def main() -> int:
    """Runs in a temporary directory that is removed afterwards (its database is hundreds of
    MB), whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="labred-bench-ingest-"))
    try:
        return _run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
