"""The "Médicos solicitantes" report over HTTP, beside the same report computed straight from
the raw order rows.

    .venv/bin/python bench/bench_physician_report.py [--orders 100000] [--sedes 6]
        [--days 30] [--physicians 2000] [--requests 100] [--data-dir DIR]

Orders are generated inside PostgreSQL (``generate_series`` into ``sync_record``, triggers off,
then the summary tables rebuilt with the triggers' own SQL), spread over the sedes and days,
with a physician on 80 % of them (one of ``--physicians`` CMPs, a tenth with a second spelling
of the name), a name without CMP on 10 %, none on 10 %, one in eight urgent and one in seven
cancelled. The real hub app answers ``GET /api/reports/physicians`` (``rpt_physician_day``)
for the whole period, all sedes or one, through a TestClient. The baseline, in the same run
and windows, is the direct query the report could have been: the same grouping over the
``sync_record`` order payloads of the period, no summary table. Budget: "well under a second"
at 100,000 orders, held to p95 <= 250 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import admin_token, ensure_orders, make_sedes, open_hub, pct  # noqa: E402
from sqlalchemy import text  # noqa: E402

from central.db import unit_of_work  # noqa: E402
from central.reports import service  # noqa: E402
from central.reports.physician_tables import group_physicians  # noqa: E402
from domain.clock import FixedClock  # noqa: E402

NOW = dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC)
END = dt.date(2026, 11, 29)

DIRECT = (
    "SELECT coalesce(payload->>'physician_cmp', ''), coalesce(payload->>'physician_name', ''), "
    "max(business_date::date), count(*), count(*) FILTER (WHERE payload->>'priority' = "
    "'urgente'), sum((payload->>'total')::bigint) FROM sync_record WHERE record_type = 'order' "
    "AND op <> 'delete' AND business_date BETWEEN :f AND :t AND (:s = '' OR sede_id = :s) "
    "AND payload->>'status' <> 'anulada' GROUP BY 1, 2"
)


def generate(rt: object, n_orders: int, n_sedes: int, days: int, physicians: int) -> None:
    start = END - dt.timedelta(days=days - 1)
    cmp = f"(1000 + ((i / 10) * 7919) % {physicians})"
    payload = (
        "jsonb_build_object('id', 'o' || i, 'sede_id', sede, 'business_date', day::text, "
        "'number', 'N-' || i, 'patient_id', 'p' || i, 'status', CASE WHEN i % 7 = 0 THEN "
        "'anulada' ELSE 'registrada' END, 'total', 3000 + (i % 9000), 'priority', "
        "CASE WHEN i % 8 = 0 THEN 'urgente' ELSE 'rutina' END, "
        f"'physician_cmp', CASE WHEN i % 10 < 8 THEN {cmp}::text END, 'physician_name', "
        f"CASE WHEN i % 10 < 8 THEN 'MEDICO ' || {cmp} || CASE WHEN i % 100 = 0 THEN ' B' "
        f"ELSE '' END WHEN i % 10 = 8 THEN 'SIN CMP ' || (i % {physicians // 10 + 1}) END)"
    )
    common = (
        f"(SELECT array_agg(id ORDER BY code) FROM sede)[1 + (i % {n_sedes})] AS sede, "
        f"(DATE '{start.isoformat()}' + ((i / {n_sedes}) % {days})::int) AS day"
    )
    t0 = time.perf_counter()
    with rt.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("ALTER TABLE sync_record DISABLE TRIGGER USER"))
        conn.execute(text(
            "INSERT INTO sync_record (record_type, id, sede_id, business_date, hlc, op, "
            "payload, node_id, epoch, seq, tx_id, late, received_at) "
            f"SELECT 'order', {payload}->>'id', sede, day::text, 'h', 'upsert', {payload}, "
            f"'n', 0, i, 't', false, now() FROM (SELECT i, {common} "
            f"FROM generate_series(1, {n_orders}) AS i) g"
        ))  # fmt: skip
        conn.execute(text("ALTER TABLE sync_record ENABLE TRIGGER USER"))
    with unit_of_work(rt.engine) as session:  # type: ignore[attr-defined]
        service.rebuild(session=session)
    autocommit = rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with autocommit as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  {n_orders:,} orders generated and summarised in {time.perf_counter() - t0:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--sedes", type=int, default=6)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--physicians", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, _ = open_hub(args.data_dir)
    try:
        sedes = make_sedes(rt, args.sedes)
        ensure_orders(
            rt,
            args.orders,
            lambda: generate(rt, args.orders, args.sedes, args.days, args.physicians),
            f"{args.sedes} sedes",
        )
        rt.clock = FixedClock(NOW)
        from fastapi.testclient import TestClient

        from central.app import create_app

        token = admin_token(rt, NOW)
        period = {"from": (END - dt.timedelta(days=args.days - 1)).isoformat(),
                  "to": END.isoformat()}  # fmt: skip
        rnd = random.Random(1)
        windows = [period | ({"sede": rnd.choice(sedes)} if rnd.random() < 0.5 else {})
                   for _ in range(args.requests)]  # fmt: skip
        lat: list[float] = []
        rows_seen = 0
        # one user's requests, more than the per-user limit allows in a minute
        rt.settings = rt.settings.model_copy(update={"rate_limit_per_minute": 100_000})
        with TestClient(create_app(rt.settings, runtime=rt)) as client:
            headers = {"Authorization": f"Bearer {token}"}
            for params in windows[:5]:  # warm-up
                client.get("/api/reports/physicians", params=params, headers=headers)
            for params in windows:
                t0 = time.perf_counter()
                r = client.get("/api/reports/physicians", params=params, headers=headers)
                lat.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
                rows_seen = max(rows_seen, len(r.json()["rows"]))
        raw: list[float] = []
        with rt.engine.connect() as conn:
            for params in windows[:20]:
                t0 = time.perf_counter()
                got = conn.execute(text(DIRECT), {"f": params["from"], "t": params["to"],
                                                  "s": params.get("sede", "")}).all()  # fmt: skip
                group_physicians(got)  # type: ignore[arg-type]
                raw.append((time.perf_counter() - t0) * 1000)
        p50, p95 = statistics.median(lat), pct(lat, 0.95)
        b50, b95 = statistics.median(raw), pct(raw, 0.95)
        print(f"physicians report over HTTP, {args.orders:,} orders, {args.days}-day period, "
              f"up to {rows_seen:,} rows: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(lat)} "
              "requests (budget p95 <= 250 ms)")  # fmt: skip
        print(f"baseline (direct query over the sync_record order payloads, no HTTP, same "
              f"windows): p50 {b50:.1f} ms, p95 {b95:.1f} ms; report p50 is "
              f"{b50 / p50:.1f}x faster")  # fmt: skip
        return 0 if p95 <= 250 else 1
    finally:
        rt.close()


if __name__ == "__main__":
    sys.exit(main())
