"""Resident memory of an edge node (API + worker) with 1,000,000 patients, under load.

    .venv/bin/python bench/bench_edge_memory.py [--patients 1000000] [--workers 2]
        [--seconds 20] [--data-dir DIR]

Budget (DESIGN.md section 8): API + worker <= 400 MB resident together. Builds (or reuses, with
``--data-dir``) an initialised node with the demo catalog and laboratory, 20 cashiers with open
cash and ``--patients`` patients (the generator of bench_patient_search.py), then, for the API
as one process (the baseline, same run) and as ``--workers`` processes: starts
``labred edge serve`` and ``labred edge worker``, drives sales (10 clients) and patient searches
(4 clients) for ``--seconds`` and samples every second the memory of all the node's processes:

- RSS summed: what ``ps`` shows, counting pages that forked processes share once per process;
- PSS summed: each shared page split among its sharers, the node's real share of the RAM.

The peaks are printed against the budget; PSS is the figure the budget is checked against.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_patient_search as patients_bench  # noqa: E402
import bench_sales as sales_bench  # noqa: E402

BUDGET_MB = 400.0
SELLERS = 10
SEARCHERS = 4


def prepare(data: Path, n_patients: int) -> tuple[list[str], list[str], list[Any], list[str]]:
    """(tokens, patient ids to sell to, services, search terms); builds what is missing."""
    from sqlalchemy import text

    from domain.ids import sede_id_for
    from edge.runtime import EdgeRuntime
    from edge.settings import load_edge_settings

    marker = data / "bench-memory.ready"
    if not marker.exists():
        sales_bench.prepare_edge(data, 0, 20)
        rt = EdgeRuntime.open(load_edge_settings(data))
        patients_bench.generate(rt, n_patients, sede_id_for("S01"), random.Random(8))
        rt.engine.dispose()
        marker.write_text("ok")
    rt = EdgeRuntime.open(load_edge_settings(data))
    tokens = tokens_for_cashiers(rt)
    with rt.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM patient")).scalar_one()
        rows = conn.execute(
            text("SELECT id, last_names FROM patient ORDER BY random() LIMIT 300")
        ).all()
        services: list[Any] = [
            (r[0], Decimal(r[1]).scaleb(-2), frozenset())
            for r in conn.execute(
                text(
                    "SELECT id, price_cents FROM catalog_service WHERE active = 1 "
                    "AND panel_service_ids = '[]'"
                )
            )
        ]
    rt.engine.dispose()
    print(f"node: {data} ({count:,} patients, {len(services)} tests)")
    terms = [str(r[1]).split()[0].lower() for r in rows]
    return tokens, [str(r[0]) for r in rows], services, terms


def tokens_for_cashiers(rt: Any) -> list[str]:
    import datetime as dt

    from sqlmodel import select

    from domain.permissions import Role
    from edge.auth.models import User
    from edge.auth.tokens import Principal, issue_access_token
    from edge.db import read_session

    now = dt.datetime.now(dt.UTC)
    with read_session(rt.engine) as session:
        users = session.exec(select(User).where(User.username.startswith("caja"))).all()  # type: ignore[attr-defined]
        return [
            issue_access_token(
                Principal(u.id, u.username, u.full_name, Role.RECEPCIONISTA, list(u.sede_ids)),
                secret=rt.settings.jwt_secret,
                now=now,
            )
            for u in users
        ]


def node_memory(pids: list[int]) -> tuple[float, float]:
    rss = pss = 0.0
    for pid in pids:
        got = sales_bench.memory_mb(pid)
        if got:
            rss, pss = rss + got[0], pss + got[1]
    return rss, pss


def measure(
    data: Path, workers: int, seconds: float, tokens: list[str], patients: list[str],
    services: list[Any], terms: list[str],
) -> tuple[float, float, int, int]:  # fmt: skip
    """Peak (RSS, PSS) summed over the node's processes, and sales / searches answered."""
    rng = random.Random(workers)
    port = sales_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"LABRED_EDGE_LOG_LEVEL": "WARNING", "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}
    log = (data / f"bench-memory-{workers}.log").open("wb")
    import os

    full_env = {**os.environ, **env}
    api = subprocess.Popen(
        [sys.executable, "-m", "labred", "edge", "serve", "--data-dir", str(data),
         "--port", str(port), "--workers", str(workers)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=full_env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "labred", "edge", "worker", "--data-dir", str(data)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=full_env,
    )  # fmt: skip
    peak = [0.0, 0.0]
    done = threading.Event()
    counts = {"sales": 0, "searches": 0}

    def sample() -> None:
        while not done.wait(1.0):
            rss, pss = node_memory([api.pid, worker.pid])
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    def sell(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not done.is_set():
                chosen = rng.sample(services, rng.randint(1, 3))
                total = sum((p for _, p, _ in chosen), Decimal("0"))
                r = http.post(
                    "/api/orders",
                    json={"patient_id": rng.choice(patients), "items": [s for s, _, _ in chosen],
                          "payments": [{"method": "yape", "amount": f"{total:.2f}",
                                        "reference": f"OP-{k}"}]},
                    headers={"Authorization": f"Bearer {tokens[k % len(tokens)]}"},
                )  # fmt: skip
                counts["sales"] += r.status_code == 201

    def search(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not done.is_set():
                r = http.get(
                    "/api/patients/search",
                    params={"q": rng.choice(terms)[: rng.randint(3, 8)]},
                    headers={"Authorization": f"Bearer {tokens[(k + 10) % len(tokens)]}"},
                )
                counts["searches"] += r.status_code == 200

    try:
        sales_bench.wait_ready(f"{base}/health", api)
        threads = [threading.Thread(target=sample)]
        threads += [threading.Thread(target=sell, args=(k,)) for k in range(SELLERS)]
        threads += [threading.Thread(target=search, args=(k,)) for k in range(SEARCHERS)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        done.set()
        for t in threads:
            t.join()
    finally:
        sales_bench.stop(api)
        sales_bench.stop(worker)
        log.close()
    return peak[0], peak[1], counts["sales"], counts["searches"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2, help="API processes (beside the baseline 1)")
    ap.add_argument("--seconds", type=float, default=20.0, help="load per measurement")
    ap.add_argument("--data-dir", type=Path, help="build or reuse the node here (kept)")
    args = ap.parse_args()
    print(f"workers={args.workers} patients={args.patients:,} seconds={args.seconds}")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = args.data_dir or Path(tmp) / "edge"
        tokens, patients, services, terms = prepare(data, args.patients)
        results = {
            n: measure(data, n, args.seconds, tokens, patients, services, terms)
            for n in sorted({1, args.workers})
        }
    print(f"{'API processes':>14} {'peak RSS sum':>13} {'peak PSS sum':>13} {'sales':>7} "
          f"{'searches':>9}  budget (PSS) <= {BUDGET_MB:.0f} MB, API + worker")  # fmt: skip
    for n, (rss, pss, sales, searches) in results.items():
        print(f"{n:>14} {rss:>10.0f} MB {pss:>10.0f} MB {sales:>7} {searches:>9}")
    base_pss = results[1][1]
    pss = results[args.workers][1]
    print(f"--workers {args.workers} costs {pss - base_pss:+.0f} MB (PSS) over one API process")
    passed = pss <= BUDGET_MB and all(r[2] > 0 and r[3] > 0 for r in results.values())
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
