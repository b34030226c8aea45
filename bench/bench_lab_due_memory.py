"""Does a worker round's memory follow the backlog? RSS of sales + worker job rounds, in-process.

    .venv/bin/python bench/bench_lab_due_memory.py [--sales 1200] [--jobs lab.send,sunat.summaries]

Builds an initialised node (bench_sales.prepare_edge: demo catalog and laboratory, cashiers with
open cash), then, in one child process per case, sells ``--sales`` times in-process (the API's
sale path, ``edge.orders.router.create_order``) and after every 30 sales runs one round of the
case's worker job (``edge.worker`` registry). No tube is taken and no SUNAT answers, so the
laboratory jobs and the unanswered documents pile up as they do while the tubes wait or SUNAT
is down. The baseline case (``none``) sells without running a job, in the same run.

Printed per case: RSS every 300 sales and the least-squares slope in MB per 1,000 sales, with
its ratio to the baseline's. A round that loads its whole backlog (``next_due`` before it chose
the due jobs in SQL; ``refresh_alarms`` before it loaded only the changing rows) grows with
the backlog: ~9 MB per 1,000 open laboratory jobs, never given back to the system.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(job: str, sales: int) -> None:
    """One case: prints ``<sales> <rss MB>`` lines, then ``slope <MB per 1,000 sales>``."""
    from bench_sales import prepare_edge

    from edge.app import create_app
    from edge.auth.tokens import decode_access_token
    from edge.orders.router import create_order
    from edge.orders.schemas import OrderCreate
    from edge.runtime import EdgeRuntime
    from edge.settings import load_edge_settings
    from edge.worker import registered_jobs

    data = Path(tempfile.mkdtemp(prefix="bench-lab-due-")) / "edge"
    tokens, patients, services = prepare_edge(data, 300, 4)
    settings = load_edge_settings(data)
    rt = EdgeRuntime.open(settings)
    create_app(settings, runtime=rt)  # registers the order hooks (boleta, laboratory queue)
    users = [decode_access_token(t, secret=settings.jwt_secret) for t in tokens]
    jobs = registered_jobs()
    rng = random.Random(7)
    points: list[tuple[int, float]] = []
    for k in range(sales):
        chosen = rng.sample(services, rng.randint(1, 3))
        inside = frozenset().union(*(m for _, _, m in chosen))
        chosen = [c for c in chosen if c[0] not in inside]
        total = sum((p for _, p, _ in chosen), Decimal(0))
        pay = {"method": "tarjeta", "amount": f"{total:.2f}", "reference": f"OP-{k}"}
        body = OrderCreate.model_validate(
            {"patient_id": rng.choice(patients), "items": [c[0] for c in chosen], "payments": [pay]}
        )
        create_order(body, rt, users[k % 4])
        if (k + 1) % 30 == 0 and job != "none":
            jobs[job].fn(rt)
        if (k + 1) % 300 == 0:
            gc.collect()
            points.append((k + 1, rss_mb()))
            print(f"{k + 1} {points[-1][1]:.1f}", flush=True)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    print(f"slope {statistics.linear_regression(xs, ys).slope * 1000:.3f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=1200)
    parser.add_argument("--jobs", default="lab.send,sunat.summaries")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.sales)
        return 0
    slopes: dict[str, float] = {}
    for job in ["none", *args.jobs.split(",")]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", job, "--sales", str(args.sales)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.split("\n")
        series = [line for line in out if line and not line.startswith("slope")]
        slopes[job] = float(next(line for line in out if line.startswith("slope")).split()[1])
        print(f"{job:16s} RSS MB at every 300 sales: {' '.join(s.split()[1] for s in series)}")
    base = slopes["none"]
    print(f"\n{'case':16s} {'MB/1k sales':>12s} {'vs baseline':>12s}")
    for job, slope in slopes.items():
        ratio = f"{slope / base:.1f}x" if abs(base) > 0.05 else f"{slope - base:+.2f} MB"
        print(f"{job:16s} {slope:12.2f} {ratio:>12s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
