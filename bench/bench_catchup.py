"""Catch-up of one sede after 30 days offline, while reception keeps answering.

    .venv/bin/python bench/bench_catchup.py [--days 30] [--orders-per-day 150]

Budget (DESIGN.md section 8): <= 20 s for ~4,500 orders with their items, payments and
documents (~30k outbox rows), reception still answered meanwhile. The script builds a migrated,
enrolled edge (real SQLite file) and a hub (embedded PostgreSQL, the real app served by uvicorn
on a free port), writes the backlog through the real outbox with the hub unreachable, then runs
the real push + pull loop over HTTP and, from a separate process (as reception runs beside the
sync worker in production), probes the edge's own API (``GET /ready``, a database read, and
``GET /health`` through the edge app) every 20 ms, reporting the probe latencies during the
catch-up beside the same probes measured idle just before (the same-run baseline).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402

from central.app import create_app as hub_app  # noqa: E402
from central.db import unit_of_work as hub_uow  # noqa: E402
from central.runtime import HubRuntime  # noqa: E402
from central.settings import HubSettings  # noqa: E402
from central.sync import nodes  # noqa: E402
from domain.clock import SystemClock, business_date  # noqa: E402
from domain.ids import new_id, sede_id_for  # noqa: E402
from edge.config.service import initialize  # noqa: E402
from edge.db import unit_of_work  # noqa: E402
from edge.orders.models import Order, OrderItem, Payment  # noqa: E402
from edge.patients.models import Patient  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402
from edge.sync import service  # noqa: E402
from edge.sync.enroll import enroll, load_credentials, make_client  # noqa: E402
from sync import outbox  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_backlog(rt: EdgeRuntime, sede: str, days: int, per_day: int) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    n = 0
    for d in range(days):
        for k in range(per_day):
            now = start + dt.timedelta(days=d, minutes=k * 3)
            day = business_date(now)
            with unit_of_work(rt.engine) as s:
                p = Patient(
                    doc_type="1",
                    doc_number=f"{10_000_000 + n}",
                    first_names="Rosa",
                    last_names="Quispe",
                    home_sede_id=sede,
                    created_at=now,
                    updated_at=now,
                )
                s.add(p)
                s.flush()
                o = Order(
                    sede_id=sede,
                    number=f"S01-{day:%Y%m%d}-{k + 1:04d}",
                    patient_id=p.id,
                    subtotal=Decimal("45.50"),
                    total=Decimal("45.50"),
                    paid_total=Decimal("45.50"),
                    balance=Decimal("0"),
                    cashier_id="c",
                    business_date=day,
                    created_at=now,
                    updated_at=now,
                )
                s.add(o)
                s.flush()
                for price in (Decimal("25.50"), Decimal("20.00")):
                    s.add(
                        OrderItem(
                            order_id=o.id,
                            sede_id=sede,
                            service_id="svc",
                            service_code="HEMO",
                            service_name="Hemograma",
                            unit_price=price,
                            list_price=price,
                            line_total=price,
                            catalog_version=1,
                            business_date=day,
                            created_at=now,
                        )
                    )
                s.add(
                    Payment(
                        order_id=o.id,
                        sede_id=sede,
                        method="efectivo",
                        amount=Decimal("45.50"),
                        cashier_id="c",
                        business_date=day,
                        created_at=now,
                    )
                )
                inv = new_id()
                outbox.record_change(
                    s,
                    record_type="invoice",
                    record_id=inv,
                    payload={
                        "id": inv,
                        "sede_id": sede,
                        "series": "B001",
                        "number": n + 1,
                        "order_id": o.id,
                        "total_cents": 4550,
                        "business_date": day.isoformat(),
                    },
                    business_date=day.isoformat(),
                )
            n += 1


# The reception probe runs in its own process, as reception does in production (the edge API
# and the sync worker are separate processes sharing the SQLite file): probing from the bench's
# process would measure the bench's own GIL contention (sync loop and the in-thread hub), not
# the edge API. It probes GET /ready (a database read) and GET /health every 20 ms, filing each
# latency under the phase named in the control file ("idle" / "busy"), until "stop".
PROBE = r"""
import json, sys, time
from pathlib import Path
root, data_dir, secret, control, out = sys.argv[1:6]
sys.path.insert(0, root)
from fastapi.testclient import TestClient
from edge.app import create_app
from edge.settings import EdgeSettings
client = TestClient(create_app(EdgeSettings(data_dir=Path(data_dir), jwt_secret=secret)))
ctl, res = Path(control), {"idle": [], "busy": []}
client.get("/ready")
Path(out + ".ready").write_text("ok")
while True:
    phase = ctl.read_text().strip() if ctl.exists() else "wait"
    if phase == "stop":
        break
    if phase not in res:
        time.sleep(0.01)
        continue
    t = time.perf_counter()
    assert client.get("/ready").status_code == 200
    assert client.get("/health").status_code == 200
    res[phase].append((time.perf_counter() - t) * 1000 / 2)
    time.sleep(0.02)
Path(out).write_text(json.dumps(res))
"""


class Prober:
    def __init__(self, tmp: Path, settings: EdgeSettings) -> None:
        self.control, self.out = tmp / "probe.ctl", tmp / "probe.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(ROOT), str(settings.data_dir),
             settings.jwt_secret, str(self.control), str(self.out)],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_ready(self) -> None:
        while not Path(str(self.out) + ".ready").exists():
            if self.proc.poll() is not None:
                raise RuntimeError("the probe process exited")
            time.sleep(0.05)

    def phase(self, name: str) -> None:
        tmp = self.control.with_suffix(".tmp")
        tmp.write_text(name)
        tmp.replace(self.control)

    def results(self) -> dict[str, list[float]]:
        self.phase("stop")
        self.proc.wait(timeout=60)
        return dict(json.loads(self.out.read_text()))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 2 else max(values)


def _run(tmp: Path) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--orders-per-day", type=int, default=150)
    args = ap.parse_args()
    clock = SystemClock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
    from central.db import embedded_url

    url = os.environ.get("DATABASE_URL") or embedded_url(server, "bench_catchup")
    hub_rt = HubRuntime.open(
        HubSettings(data_dir=tmp / "hub", database_url=url, jwt_secret="h" * 40)
    )
    hub_rt.migrate()
    sede = sede_id_for("S01")
    from central.config.models import Sede

    with hub_uow(hub_rt.engine) as s:
        s.add(Sede(id=sede, code="S01", name="Sede 1", updated_at=clock.now()))
        _, code = nodes.create_node(session=s, sede_id=sede, name="bench", clock=clock)
    port = free_port()
    hub_server = uvicorn.Server(
        uvicorn.Config(
            hub_app(hub_rt.settings, runtime=hub_rt),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    threading.Thread(target=hub_server.run, daemon=True).start()
    while not hub_server.started:
        time.sleep(0.05)
    hub_url = f"http://127.0.0.1:{port}"

    edge_rt = EdgeRuntime.open(EdgeSettings(data_dir=tmp / "edge", jwt_secret="e" * 40))
    edge_rt.migrate()
    with unit_of_work(edge_rt.engine) as s:
        initialize(
            s,
            sede_code="S01",
            sede_name=None,
            admin_username="admin",
            admin_password="clave-segura-123",
            clock=clock,
        )
    enroll(edge_rt.engine, edge_rt.settings.data_dir, hub_url=hub_url, code=code, clock=clock)
    t = time.perf_counter()
    write_backlog(edge_rt, sede, args.days, args.orders_per_day)
    backlog = service.backlog(edge_rt.engine)
    print(
        f"backlog written: {backlog} outbox rows for {args.days * args.orders_per_day} orders "
        f"({time.perf_counter() - t:.1f} s)"
    )

    prober = Prober(tmp, edge_rt.settings)
    prober.wait_ready()
    prober.phase("idle")
    time.sleep(3)

    client = make_client(hub_url, load_credentials(edge_rt.settings.data_dir), timeout=60)
    prober.phase("busy")
    t = time.perf_counter()
    service.push_pending(edge_rt.engine, client, clock)
    pushed_at = time.perf_counter() - t
    service.pull_changes(edge_rt.engine, client, clock)
    elapsed = time.perf_counter() - t
    print(f"push {pushed_at:.2f} s, pull {elapsed - pushed_at:.2f} s")
    probes = prober.results()
    idle, busy = probes["idle"], probes["busy"]
    with hub_rt.engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT count(*) FROM sync_record")).scalar()
        patients = conn.execute(text("SELECT count(*) FROM hub_patient")).scalar()
    left = service.backlog(edge_rt.engine)
    print(
        f"catch-up: {backlog} rows in {elapsed:.2f} s ({backlog / elapsed:,.0f} rows/s); "
        f"hub holds {stored} records + {patients} patients; backlog left {left}"
    )
    print(
        f"reception probe idle:      p50 {pct(idle, 50):6.1f} ms  p99 {pct(idle, 99):6.1f} ms "
        f"({len(idle)} probes)"
    )
    print(
        f"reception probe catch-up:  p50 {pct(busy, 50):6.1f} ms  p99 {pct(busy, 99):6.1f} ms "
        f"max {max(busy):6.1f} ms ({len(busy)} probes)"
    )
    ok = elapsed <= 20 and left == 0 and pct(busy, 99) <= 500
    print(
        "budget: catch-up <= 20 s, reception p99 <= 500 ms meanwhile ->", "PASS" if ok else "FAIL"
    )
    hub_server.should_exit = True
    time.sleep(0.5)
    hub_rt.close()
    edge_rt.engine.dispose()
    server.cleanup()
    return 0 if ok else 1


def main() -> int:
    """Runs in a temporary directory that is removed afterwards (its database is hundreds of
    MB), whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="labred-bench-catchup-"))
    try:
        return _run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
