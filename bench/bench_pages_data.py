"""Data of ``bench_pages.py``: an edge with 1,000,000 patients and a year of orders (items,
payments, boletas), a hub with a year of orders of every sede and their closures. Generated
once under the data directory and reused when the counts match."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from bench_patient_search import SECRET, fold, open_bench_edge  # noqa: E402
from bench_patient_search import generate as generate_patients  # noqa: E402
from sqlalchemy import Table  # noqa: E402

from domain.clock import SystemClock, business_date  # noqa: E402
from domain.ids import new_id  # noqa: E402
from edge.db import unit_of_work  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402


def _default(column: Any) -> Any:
    """A value for a NOT NULL column the generator does not set."""
    name = type(column.type).__name__.lower()
    if "bool" in name:
        return False
    if "int" in name or "cents" in name or "numeric" in name:
        return 0
    if "json" in name:
        return "[]"
    return ""


def insert(raw: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """executemany of ``rows`` into ``table``; columns left out get NULL or a neutral value."""
    cols = list(table.columns)
    names = ", ".join(c.name for c in cols)
    marks = ", ".join("?" for _ in cols)
    fill = {c.name: (None if c.nullable else _default(c)) for c in cols}
    values = [tuple(r.get(c.name, fill[c.name]) for c in cols) for r in rows]
    raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)


# ------------------------------------------------------------------------------- edge data
def generate_orders(
    rt: EdgeRuntime, *, sede_id: str, cashier_id: str, per_day: int, days: int, seed: int
) -> str:
    """A year of orders (items, payments, boletas) ending today; returns a frequent patient."""
    from edge.billing.models import Invoice
    from edge.orders.models import Order, OrderItem, Payment

    rng = random.Random(seed)
    t0 = time.perf_counter()
    today = business_date(SystemClock().now())
    first = today - dt.timedelta(days=days - 1)
    with rt.engine.connect() as conn:
        n_patients = conn.exec_driver_sql("SELECT max(rowid) FROM patient").scalar_one()
        services = conn.exec_driver_sql(
            "SELECT id, code, name, price_cents FROM catalog_service WHERE active = 1 LIMIT 60"
        ).all()
    if not services:
        raise SystemExit("the edge has no catalog (initialise it with the demo catalog)")
    wanted = sorted(rng.sample(range(1, n_patients + 1), min(n_patients, per_day * days // 3)))
    with rt.engine.connect() as conn:
        pool = [
            r[0]
            for i in range(0, len(wanted), 900)
            for r in conn.exec_driver_sql(
                "SELECT id FROM patient WHERE rowid IN ("
                + ",".join(map(str, wanted[i : i + 900]))
                + ")"
            )
        ]
    frequent = pool[0]
    t_order, t_item, t_payment, t_invoice = (
        m.__table__  # type: ignore[union-attr]
        for m in (Order, OrderItem, Payment, Invoice)
    )
    raw = rt.engine.raw_connection()
    series_no = 0
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        for d in range(days):
            day = first + dt.timedelta(days=d)
            orders, items, payments, invoices = [], [], [], []
            for k in range(per_day):
                oid = new_id()
                at = dt.datetime.combine(day, dt.time(13, 0), tzinfo=dt.UTC) + dt.timedelta(
                    seconds=k * 40
                )
                stamp = at.replace(tzinfo=None).isoformat(timespec="microseconds") + "+00:00"
                patient = frequent if k == 0 and d % 7 == 0 else rng.choice(pool)
                chosen = rng.sample(services, rng.choice((1, 2, 2, 3)))
                total = sum(int(s[3]) for s in chosen)
                status = rng.choice(("entregada",) * 6 + ("anulada", "resultados_listos"))
                if day == today:
                    status = rng.choice(("registrada", "muestra_tomada", "en_proceso"))
                orders.append({
                    "id": oid, "sede_id": sede_id, "number": f"S01-{day:%Y%m%d}-{k + 1:04d}",
                    "patient_id": patient, "status": status, "subtotal": total, "total": total,
                    "covered_total": 0, "coverage_pct": "0", "paid_total": total, "balance": 0,
                    "document_type": "03", "cashier_id": cashier_id,
                    "business_date": day.isoformat(), "created_at": stamp, "updated_at": stamp,
                })  # fmt: skip
                for s in chosen:
                    items.append({
                        "id": new_id(), "order_id": oid, "sede_id": sede_id, "service_id": s[0],
                        "service_code": s[1], "service_name": s[2], "quantity": 1,
                        "unit_price": s[3], "list_price": s[3], "line_total": s[3],
                        "catalog_version": 1, "coverage_eligible": True,
                        "business_date": day.isoformat(), "created_at": stamp,
                    })  # fmt: skip
                payments.append({
                    "id": new_id(), "order_id": oid, "sede_id": sede_id,
                    "method": rng.choice(("efectivo", "efectivo", "tarjeta", "yape", "plin")),
                    "amount": total, "cashier_id": cashier_id, "business_date": day.isoformat(),
                    "created_at": stamp,
                })  # fmt: skip
                series_no += 1
                state = "aceptado" if day < today - dt.timedelta(days=1) else "pendiente"
                invoices.append({
                    "id": new_id(), "sede_id": sede_id, "doc_type": "03", "series": "B001",
                    "number": series_no, "order_id": oid, "customer_doc_type": "1",
                    "customer_doc_number": "00000000", "customer_name": "CLIENTE",
                    "currency": "PEN", "gravado": total * 100 // 118,
                    "igv": total - total * 100 // 118, "total": total,
                    "issued_at": stamp, "business_date": day.isoformat(), "state": state,
                    "send_mode": "summary", "sunat_notes": "[]",
                    "deadline": (day + dt.timedelta(days=3)).isoformat(), "created_at": stamp,
                    "updated_at": stamp,
                })  # fmt: skip
            insert(cur, t_order, orders)
            insert(cur, t_item, items)
            insert(cur, t_payment, payments)
            insert(cur, t_invoice, invoices)
            if (d + 1) % 60 == 0 or d + 1 == days:
                print(f"  day {d + 1:>3} / {days}: {(d + 1) * per_day:,} orders", flush=True)
        cur.execute("COMMIT")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    print(f"  orders generated in {time.perf_counter() - t0:.1f} s")
    return str(frequent)


def prepare_edge(
    data_dir: Path, *, patients: int, per_day: int, days: int
) -> tuple[EdgeRuntime, str, str, list[str]]:
    """The edge database (reused when it already holds the data); (rt, sede, user, queries)."""
    settings = EdgeSettings(data_dir=data_dir, jwt_secret=SECRET)
    rt = open_bench_edge(settings)
    with rt.engine.connect() as conn:
        if conn.exec_driver_sql("SELECT count(*) FROM catalog_service").scalar_one() == 0:
            from edge.catalog.demo import load_demo_catalog

            with unit_of_work(rt.engine) as session:
                load_demo_catalog(session, clock=SystemClock())
    sede_id = rt.sede_id or ""
    with rt.engine.connect() as conn:
        have = conn.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
        n_orders = conn.exec_driver_sql("SELECT count(*) FROM lab_order").scalar_one()
        user_id = conn.exec_driver_sql(
            "SELECT id FROM user_account WHERE username='admin'"
        ).scalar_one()
    rng = random.Random(29733)
    if have < patients:
        print(f"edge: generating {patients - have:,} patients ...", flush=True)
        generate_patients(rt, patients - have, sede_id, rng)
    if n_orders < per_day * days:
        print(f"edge: generating {per_day * days:,} orders over {days} days ...", flush=True)
        generate_orders(rt, sede_id=sede_id, cashier_id=user_id, per_day=per_day, days=days,
                        seed=7)  # fmt: skip
    with rt.engine.connect() as conn:
        frequent = conn.exec_driver_sql(
            "SELECT patient_id FROM lab_order GROUP BY patient_id ORDER BY count(*) DESC LIMIT 1"
        ).scalar_one()
        samples = conn.exec_driver_sql(
            "SELECT last_names, first_names, doc_number FROM patient ORDER BY random() LIMIT 200"
        ).all()
    queries = []
    for last, first_names, doc in samples:
        r = rng.random()
        queries.append(
            doc if r < 0.3 else fold(last.split()[0]) if r < 0.7
            else f"{fold(last.split()[0])} {fold(first_names.split()[0])}"
        )  # fmt: skip
    rt.engine.dispose()
    return rt, str(frequent), str(user_id), queries


# ------------------------------------------------------------------------------- hub
def prepare_hub(args: argparse.Namespace, data_dir: Path) -> Any:
    from bench_dashboard import NOW, START
    from bench_dashboard import generate as generate_hub
    from hub_bench import make_sedes, open_hub
    from sqlalchemy import text

    from domain.clock import FixedClock

    rt, _ = open_hub(data_dir)
    make_sedes(rt, args.hub_sedes)
    with rt.engine.connect() as conn:
        have = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE record_type = 'order'")
        ).scalar()
        closures = conn.execute(text("SELECT count(*) FROM recon_closure")).scalar()
    if have != args.hub_orders:
        print(f"hub: generating {args.hub_orders:,} orders over {args.hub_sedes} sedes ...")
        with rt.engine.begin() as conn:
            conn.execute(text("TRUNCATE sync_record"))
        generate_hub(rt, args.hub_orders, args.hub_sedes)
    if not closures:
        print("hub: generating a year of closures per sede ...", flush=True)
        with rt.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO recon_closure (id, sede_id, business_date, status, figures, "
                "seal_figures, method_totals, adjusted_figures, late_adjustments, "
                "has_late_adjustments, discrepancy_count, critical_count, closed_at, "
                "executed_at, executed_by, runs, reopen_count, created_at, updated_at) "
                "SELECT gen_random_uuid()::text, s.id, d::date, CASE WHEN random() < 0.1 "
                "THEN 'with_discrepancies' ELSE 'reconciled' END, '{}', '{}', '{}', '{}', '[]', "
                "false, 0, 0, now(), now(), 'sistema', 1, 0, now(), now() FROM sede s, "
                f"generate_series(DATE '{START}', DATE '{START}' + 363, interval '1 day') d "
                "ON CONFLICT DO NOTHING"
            ))  # fmt: skip
            conn.execute(text("ANALYZE recon_closure"))
    rt.clock = FixedClock(NOW)
    return rt
