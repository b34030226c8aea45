"""A real ``labred edge serve``: egresos on a cash session with thousands of payments do not
raise the API's memory. Before, each egreso loaded every payment of the session to compute the
cash on hand (0.5 s and a 21 MB peak at 7,000 sales), and the process's RSS followed the peaks
of concurrent egresos up as the session grew (bench/bench_soak.py)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import httpx

from domain.clock import business_date
from domain.ids import new_id
from edge.db import unit_of_work
from edge.orders.models import Order, Payment
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.edge.factories import SEDE_S01
from tests.procs import bearer, init_edge, serving_edge

ADMIN_PASSWORD = "Clave-Segura-2026"
PAYMENTS = 6000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def add_cash_sales(data: Path, *, session_id: str, cashier_id: str, payments: int) -> None:
    """``payments`` cash payments of 10.50 in the session (one order each), in one transaction."""
    rt = EdgeRuntime.open(load_edge_settings(data))
    now = dt.datetime.now(dt.UTC)
    day = business_date(now)
    try:
        with unit_of_work(rt.engine) as session:
            patient = Patient(
                doc_type="1", doc_number="45123456", first_names="Rosa Elena",
                last_names="Quispe Mamani", home_sede_id=SEDE_S01, created_at=now,
                updated_at=now,
            )  # fmt: skip
            session.add(patient)
            session.flush()
            for n in range(payments):
                order = Order(
                    id=new_id(), sede_id=SEDE_S01, number=f"S01-{day:%Y%m%d}-{n + 1:04d}",
                    patient_id=patient.id, status="registrada", subtotal=Decimal("10.50"),
                    total=Decimal("10.50"), balance=Decimal("0.00"), cashier_id=cashier_id,
                    business_date=day, created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(order)
                session.add(
                    Payment(
                        order_id=order.id,
                        sede_id=SEDE_S01,
                        method="efectivo",
                        amount=Decimal("10.50"),
                        cash_session_id=session_id,
                        cashier_id=cashier_id,
                        business_date=day,
                        created_at=now,
                    )  # fmt: skip
                )
    finally:
        rt.engine.dispose()


def test_egresos_on_a_long_session_keep_the_api_flat(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", ADMIN_PASSWORD, demo_catalog=False)
    env = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000", "LABRED_EDGE_LOG_LEVEL": "WARNING"}
    with serving_edge(data, log=tmp_path / "edge.log", env=env) as edge:
        assert edge.proc is not None
        with httpx.Client(base_url=edge.url, timeout=60) as http:
            http.headers.update(bearer(http, "admin", ADMIN_PASSWORD))
            r = http.post("/api/cash/sessions", json={"opening_float": "100.00"})
            assert r.status_code == 201, r.text
            sid, cashier = r.json()["id"], r.json()["cashier_id"]
            add_cash_sales(data, session_id=sid, cashier_id=cashier, payments=PAYMENTS)
            url = f"/api/cash/sessions/{sid}/movements"

            def move(kind: str, client: httpx.Client) -> None:
                body = {"kind": kind, "amount": "1.00", "reason": "Movimiento de prueba"}
                r = client.post(url, json=body)
                assert r.status_code == 201, r.text

            for _ in range(20):  # warm the movement path (imports, compiled statements)
                move("ingreso", http)
            move("egreso", http)
            before = rss_mb(edge.proc.pid)
            failures: list[BaseException] = []

            def egresos() -> None:
                try:
                    with httpx.Client(base_url=edge.url, timeout=60, headers=http.headers) as c:
                        for _ in range(10):
                            move("egreso", c)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    failures.append(exc)

            threads = [threading.Thread(target=egresos) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            after = rss_mb(edge.proc.pid)
            assert not failures, failures
    # Measured: before the fix +26 MB (every concurrent egreso held the session's 6,000
    # payments as ORM objects); after it +7 MB (4 new pool threads and their malloc arenas).
    assert after - before < 15, f"RSS {before:.1f} → {after:.1f} MB over 40 egresos"
