"""Daily reconciliation of 100 sedes × 1,000 orders, beside a plain count/sum of the same rows.

    .venv/bin/python bench/bench_reconciliation.py [--sedes 100] [--orders 1000] [--data-dir DIR]

Budget (DESIGN.md section 8): <= 5 s. Each sede's day (orders, one payment and one boleta per
order, a closed cash session, the day seal) is loaded into ``sync_record`` with COPY (the
projection triggers of migration 0002 run as for any insert); then every sede's day is
reconciled in one job run (one unit of work, committed), then again (idempotent re-run). The
baseline is one plain ``SELECT count(*), sum(total)`` per record type over the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import make_sedes, open_hub  # noqa: E402
from sqlalchemy import text  # noqa: E402

from central.db import unit_of_work  # noqa: E402
from central.reconciliation import service  # noqa: E402
from domain.clock import FixedClock  # noqa: E402
from domain.ids import new_id  # noqa: E402

DAY = dt.date(2026, 11, 29)
NOW = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)
METHODS = ("efectivo", "tarjeta", "yape", "plin")
COLS = ("record_type", "id", "sede_id", "business_date", "hlc", "op", "payload", "node_id",
        "epoch", "seq", "tx_id", "late", "received_at")  # fmt: skip


def day_rows(sede_id: str, code: str, k: int, orders: int) -> list[tuple[object, ...]]:
    iso = DAY.isoformat()
    seq = 0
    rows: list[tuple[object, ...]] = []
    figures_orders = figures_pay = 0
    by_method: dict[str, dict[str, int]] = {}
    expected: dict[str, int] = {}

    def add(rtype: str, payload: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        rows.append((rtype, payload["id"], sede_id, iso, f"{seq:013d}:0:n{k}", "upsert",
                     json.dumps(payload), f"node-{code}", 0, seq, new_id(), False,
                     NOW.isoformat()))  # fmt: skip

    for i in range(1, orders + 1):
        total = 2000 + (i * 37) % 15000
        oid = new_id()
        add("order", {"id": oid, "sede_id": sede_id, "business_date": iso,
                      "number": f"{code}-20261129-{i:04d}", "status": "registrada",
                      "patient_id": new_id(), "subtotal": total, "discount_total": 0,
                      "total": total, "covered_total": 0, "paid_total": total, "balance": 0,
                      "cashier_id": "cashier", "created_at": NOW.isoformat()})  # fmt: skip
        method = METHODS[i % len(METHODS)]
        add("payment", {"id": new_id(), "sede_id": sede_id, "business_date": iso,
                        "order_id": oid, "method": method, "amount": total,
                        "cashier_id": "cashier"})  # fmt: skip
        add("invoice", {"id": new_id(), "sede_id": sede_id, "business_date": iso,
                        "doc_type": "03", "series": f"B{k:03d}", "number": i, "order_id": oid,
                        "state": "aceptado", "total": total, "igv": total * 18 // 118,
                        "deadline": "2026-12-02"})  # fmt: skip
        figures_orders += total
        figures_pay += total
        slot = by_method.setdefault(method, {"count": 0, "total_cents": 0})
        slot["count"] += 1
        slot["total_cents"] += total
        expected[method] = expected.get(method, 0) + total
    add("cash_session", {"id": new_id(), "sede_id": sede_id, "business_date": iso,
                         "cashier_id": "cashier", "status": "cerrada", "expected": expected,
                         "declared": expected, "difference_cents": 0})  # fmt: skip
    figures = {
        "orders": {"count": orders, "total_cents": figures_orders, "by_status": {}},
        "payments": {"count": orders, "total_cents": figures_pay, "by_method": by_method},
        "invoices": {"available": True, "count": orders, "total_cents": figures_orders},
        "cash_sessions": {"count": 1, "open": 0, "expected_cents": sum(expected.values()),
                          "counted_cents": sum(expected.values()), "difference_cents": 0},
        "samples": {"count": 0},
    }  # fmt: skip
    add("day_seal", {"id": new_id(), "sede_id": sede_id, "business_date": iso,
                     "last_seq": seq, "figures": figures})  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sedes", type=int, default=100)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, base = open_hub(args.data_dir)
    try:
        sedes = make_sedes(rt, args.sedes)
        t0 = time.perf_counter()
        with rt.engine.begin() as conn:  # a kept --data-dir is reused: fresh closures only
            have = conn.execute(text("SELECT count(*) FROM sync_record WHERE record_type = "
                                     "'day_seal' AND business_date = :d"),
                                {"d": DAY.isoformat()}).scalar()  # fmt: skip
            conn.execute(text("DELETE FROM recon_discrepancy"))
            conn.execute(text("DELETE FROM recon_closure"))
        raw = rt.engine.raw_connection()
        try:
            if have == args.sedes:
                raise StopIteration
            cur = raw.cursor()
            with cur.copy(f"COPY sync_record ({', '.join(COLS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for k, sid in enumerate(sedes, start=1):
                    for row in day_rows(sid, f"S{k:02d}", k, args.orders):
                        copy.write_row(row)
            raw.commit()
        except StopIteration:
            pass
        finally:
            raw.close()
        load = time.perf_counter() - t0
        n_rows = args.sedes * (3 * args.orders + 2)
        print(f"loaded {n_rows:,} rows by COPY in {load:.1f} s (triggers included)")
        with rt.engine.connect() as conn:
            conn.execute(text("ANALYZE sync_record"))
            conn.commit()
        rt.clock = FixedClock(NOW)

        def reconcile() -> tuple[float, dict[str, int]]:
            start = time.perf_counter()
            with unit_of_work(rt.engine) as session:
                closures = service.execute(session=session, clock=rt.clock, day=DAY)
            elapsed = time.perf_counter() - start
            status: dict[str, int] = {}
            for c in closures:
                status[c.status] = status.get(c.status, 0) + 1
            return elapsed, status

        first, status = reconcile()
        again, status2 = reconcile()
        t0 = time.perf_counter()
        with rt.engine.connect() as conn:
            for rtype in ("order", "payment", "invoice"):
                conn.execute(
                    text("SELECT sede_id, count(*), sum((payload->>'total')::bigint) FROM "
                         "sync_record WHERE record_type = :t AND business_date = :d "
                         "GROUP BY sede_id"),
                    {"t": rtype, "d": DAY.isoformat()},
                ).all()  # fmt: skip
        baseline = time.perf_counter() - t0
        print(f"reconciliation of {args.sedes} sedes x {args.orders} orders: {first:.2f} s "
              f"(budget 5 s) -> {status}")  # fmt: skip
        print(f"re-run (idempotent): {again:.2f} s -> {status2}")
        print(f"baseline (plain count/sum of the same rows): {baseline:.2f} s; "
              f"ratio {first / baseline:.1f}x")  # fmt: skip
        return 0 if first <= 5.0 and status == {"reconciled": args.sedes} else 1
    finally:
        rt.close()


if __name__ == "__main__":
    sys.exit(main())
