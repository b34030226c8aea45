"""The main web pages over HTTP, at an edge with 1,000,000 patients and a year of orders and at
a hub with comparable data, each beside a trivial page of the same app in the same run.

    .venv/bin/python bench/bench_pages.py [--data-dir DIR] [--patients 1000000]
        [--orders-per-day 150] [--hub-orders 1000000] [--hub-sedes 20] [--rounds 60]
        [--only edge|hub]

Budget (issue 7): every page answers in <= 200 ms (p95). A "page" is what the browser asks for
when it opens it: the shell, then the JSON its module loads, stage by stage as the module does
(requests of one stage run concurrently, like the browser's parallel fetches; stages one after
the other). The figure is the wall time of all stages. Pages measured:

- reception (edge): home (shell, ``/api/auth/me``, ``/api/web/status``), patient search (one
  typed query), orders of the day (``/api/orders?date=today&page_size=200``), patient history
  (a patient with dozens of orders: patient, orders, history);
- dashboard (hub): home (KPIs and SVG charts), sedes and sync health (nodes and their status),
  closures (a year of closures of every sede).

Baseline: the sign-in page of the same app (a shell, no data), interleaved with the others.
Generated databases are kept under ``--data-dir`` (``edge/``, ``hub/``) and reused when their
sizes match: the first run takes a few minutes, the next ones seconds.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import httpx  # noqa: E402
from bench_pages_data import prepare_edge, prepare_hub  # noqa: E402
from bench_patient_search import SECRET, free_port  # noqa: E402

from domain.clock import SystemClock, business_date  # noqa: E402
from domain.permissions import Role  # noqa: E402
from edge.auth.tokens import Principal, issue_access_token  # noqa: E402

BUDGET_MS = 200.0
Stage = list[str]  # URLs fetched concurrently
Page = list[Stage]


# ------------------------------------------------------------------------------- helpers
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ------------------------------------------------------------------------------- measuring
class Runner:
    """Pages fetched stage by stage over keep-alive connections (six, like a browser)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.clients = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(6)]
        self.pool = cf.ThreadPoolExecutor(max_workers=6)

    def close(self) -> None:
        self.pool.shutdown()
        for c in self.clients:
            c.close()

    def _get(self, i: int, url: str) -> None:
        r = self.clients[i].get(url)
        if r.status_code != 200:
            raise SystemExit(f"GET {url} -> {r.status_code} {r.text[:300]}")

    def page(self, page: Page) -> float:
        t = time.perf_counter()
        for stage in page:
            if len(stage) == 1:
                self._get(0, stage[0])
            else:
                list(
                    self.pool.map(
                        lambda a: self._get(*a), [(i % 6, u) for i, u in enumerate(stage)]
                    )
                )
        return (time.perf_counter() - t) * 1000


def measure(
    runner: Runner,
    pages: dict[str, Callable[[int], Page]],
    baseline: tuple[str, str],
    rounds: int,
) -> dict[str, list[float]]:
    """Every page ``rounds`` times, each followed by the baseline page (same machine state)."""
    name_b, url_b = baseline
    out: dict[str, list[float]] = {name: [] for name in pages}
    out[name_b] = []
    for i in range(3):  # warm-up
        for make in pages.values():
            runner.page(make(i))
    for i in range(rounds):
        for name, make in pages.items():
            out[name].append(runner.page(make(i)))
            out[name_b].append(runner.page([[url_b]]))
    return out


def report(title: str, figures: dict[str, list[float]]) -> bool:
    """Figures and ratios to the baseline (the last entry of ``figures``)."""
    baseline = list(figures)[-1]
    base50 = statistics.median(figures[baseline])
    base95 = pct(figures[baseline], 95)
    print(f"\n{title}")
    print(f"  {'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'p50/base':>9} {'p95/base':>9}  budget")
    ok = True
    for name, values in figures.items():
        p50, p95 = statistics.median(values), pct(values, 95)
        within = p95 <= BUDGET_MS
        ok &= within
        verdict = "ok" if within else "OVER"
        print(f"  {name:<28} {p50:>8.1f} {p95:>8.1f} {p50 / base50:>8.1f}x {p95 / base95:>8.1f}x  "
              f"{verdict}")  # fmt: skip
    return ok


def run_edge(args: argparse.Namespace, data_dir: Path) -> bool:
    rt, frequent, user_id, queries = prepare_edge(
        data_dir, patients=args.patients, per_day=args.orders_per_day, days=args.days
    )
    sede_id = rt.sede_id or ""
    port = free_port()
    env = {**os.environ, "LABRED_EDGE_JWT_SECRET": SECRET, "LABRED_EDGE_LOG_LEVEL": "WARNING",
           "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}  # fmt: skip
    log = open(data_dir / "bench-server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "labred", "edge", "serve", "--data-dir", str(data_dir),
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/health", proc, data_dir / "bench-server.log")
        principal = Principal(user_id, "admin", "Admin", Role.ADMIN, [sede_id])
        token = issue_access_token(principal, secret=SECRET, now=dt.datetime.now(dt.UTC))
        runner = Runner(base, {"Authorization": f"Bearer {token}"})
        today = business_date(SystemClock().now()).isoformat()
        me, status = ["/api/auth/me"], ["/api/web/status"]
        # as the modules do: the shell, then /api/auth/me, then the header status and the data
        pages: dict[str, Callable[[int], Page]] = {
            "recepción: inicio": lambda i: [["/recepcion"], me, status],
            "recepción: buscar paciente": lambda i: [
                [f"/api/patients/search?q={queries[i % len(queries)]}&limit=10"]
            ],
            "recepción: órdenes del día": lambda i: [
                ["/recepcion/ordenes"], me, status + [f"/api/orders?page_size=200&date={today}"]
            ],
            "recepción: historia paciente": lambda i: [
                [f"/recepcion/pacientes/{frequent}"], me,
                status + [f"/api/patients/{frequent}", f"/api/patients/{frequent}/orders?limit=50",
                          f"/api/patients/{frequent}/history?limit=50"],
            ],
        }  # fmt: skip
        baseline = ("base: /recepcion/ingresar", "/recepcion/ingresar")
        figures = measure(runner, pages, baseline, args.rounds)
        runner.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    with rt.engine.connect() as conn:
        n_p = conn.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
        n_o = conn.exec_driver_sql("SELECT count(*) FROM lab_order").scalar_one()
    rt.engine.dispose()
    return report(f"edge over HTTP: {n_p:,} patients, {n_o:,} orders, {args.rounds} rounds",
                  figures)  # fmt: skip


def wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start; see {log}")
        time.sleep(0.2)


# ------------------------------------------------------------------------------- hub
def run_hub(args: argparse.Namespace, data_dir: Path) -> bool:
    from sqlalchemy import text
    from sqlmodel import select

    from central.auth.models import HubUser
    from central.auth.service import principal_for
    from central.auth.tokens import issue_access_token as hub_token
    from central.db import unit_of_work as hub_uow

    rt = prepare_hub(args, data_dir)
    try:
        with hub_uow(rt.engine) as session:
            user = session.exec(select(HubUser).where(HubUser.username == "bench-admin")).first()
            if user is None:
                user = HubUser(
                    username="bench-admin", full_name="Bench", role="admin",
                    password_hash="x", sede_ids=[], updated_at=rt.clock.now(),
                )  # fmt: skip
                session.add(user)
                session.flush()
            principal = principal_for(user)
        now = dt.datetime.now(dt.UTC)
        token = hub_token(principal, secret=rt.settings.jwt_secret, now=now)
        secret = rt.settings.jwt_secret
        with rt.engine.connect() as conn:
            n_o = conn.execute(
                text("SELECT count(*) FROM sync_record WHERE record_type='order'")
            ).scalar()
            n_c = conn.execute(text("SELECT count(*) FROM recon_closure")).scalar()
    finally:
        rt.close()  # the served hub starts (and owns) the embedded PostgreSQL
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    env = {**os.environ, "LABRED_HUB_JWT_SECRET": secret, "LABRED_HUB_LOG_LEVEL": "WARNING",
           "LABRED_HUB_RATE_LIMIT_PER_MINUTE": "1000000"}  # fmt: skip
    log_path = data_dir / "bench-server.log"
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "labred", "hub", "serve", "--data-dir", str(data_dir),
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/ready", proc, log_path)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            nodes = c.get("/api/sync/nodes").json()
            if not nodes:
                for s in c.get("/api/config/locations").json()["items"]:
                    c.post("/api/sync/nodes", json={"sede_id": s["id"], "name": s["code"]})
                nodes = c.get("/api/sync/nodes").json()
        runner = Runner(base, headers)
        locations = "/api/config/locations"
        today = business_date(SystemClock().now())  # Lima

        def window(i: int) -> str:  # a different 30-day window each time: a cold chart cache
            end = today - dt.timedelta(days=i % 300)
            return f"from={end - dt.timedelta(days=29)}&to={end}"

        # as the modules do (central/web/static/pages/*.js)
        pages: dict[str, Callable[[int], Page]] = {
            "panel: tablero (KPIs, SVG)": lambda i: [
                ["/panel"], [locations],
                ["/api/reports/dashboard", "/api/web/charts?part=main"],
            ],
            "panel: tablero, pacientes (frío)": lambda i: [
                [f"/api/web/charts?part=patients&{window(i)}"]
            ],
            "panel: sedes y sincronización": lambda i: [
                ["/panel/sedes"], [locations, "/api/web/sync-health", "/api/sync/parked"],
            ],
            "panel: cierres": lambda i: [
                ["/panel/cierres"], [locations], ["/api/reconciliation/closures?limit=100"],
            ],
        }  # fmt: skip
        figures = measure(runner, pages, ("base: /panel/ingresar", "/panel/ingresar"), args.rounds)
        runner.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    return report(f"hub over HTTP: {n_o:,} orders, {n_c:,} closures, {len(nodes)} nodes, "
                  f"{args.rounds} rounds", figures)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="keep/reuse the databases here")
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--orders-per-day", type=int, default=150)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--hub-orders", type=int, default=1_000_000)
    ap.add_argument("--hub-sedes", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--only", choices=("edge", "hub"))
    args = ap.parse_args()
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-pages-"))
    print(f"data: {base}  (budget: p95 <= {BUDGET_MS:.0f} ms per page)")
    ok = True
    if args.only in (None, "edge"):
        (base / "edge").mkdir(parents=True, exist_ok=True)
        ok &= run_edge(args, base / "edge")
    if args.only in (None, "hub"):
        (base / "hub").mkdir(parents=True, exist_ok=True)
        ok &= run_hub(args, base / "hub")
    print(f"\nall pages within budget: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
