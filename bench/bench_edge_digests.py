"""Cost of the edge's mirror digests (``edge.sync.digests.local_digests``), old way beside new.

    .venv/bin/python bench/bench_edge_digests.py [--patients 10000,100000] [--rounds 3]

For each size the script builds a migrated edge database holding that many patients in its
mirror (the generator of bench_patient_search.py: realistic names, unique DNIs), then times, in
alternation on the same database:

- ``old``: the baseline, the way before streaming: every row of every mirror loaded with
  ``.mappings().all()``, every column converted to its wire form, then hashed;
- ``new``: ``local_digests`` as it is now: only the columns a digest covers, read ``CHUNK``
  rows at a time.

Printed per size: median wall time and CPU time of ``--rounds`` runs, the tracemalloc peak of
one run each (a separate run: tracemalloc slows Python down), and what the sync worker spends per
hour on it when it compares at every pull (every 5 s, ``digest_interval_s = 0``, the old
behaviour) and at the default interval (600 s). Both ways must give the same digests.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_patient_search as patients_bench  # noqa: E402
from sqlalchemy import Connection, Table, select  # noqa: E402

from edge.db import read_session  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402
from edge.sync.digests import local_digests  # noqa: E402
from edge.sync.mirrors import mirrors  # noqa: E402
from sync.digest import PROJECTIONS, table_digest  # noqa: E402
from sync.wire import to_wire  # noqa: E402

PULL_EVERY_S = 5.0  # edge.sync.worker: the pull job's period
DEFAULT_INTERVAL_S = 600.0


def old_local_digests(conn: Connection) -> dict[str, str]:
    """The baseline: ``local_digests`` before streaming (every row of a mirror in memory)."""

    def image(table: Table, row: Any) -> dict[str, Any]:
        return {c.name: to_wire(row[c.name], c.type) for c in table.columns}

    result: dict[str, str] = {}
    for rtype, table in mirrors().items():
        if rtype not in PROJECTIONS:
            continue
        query = select(table)
        if rtype == "user":
            query = query.where(table.c.local_only.is_(False))
        if rtype == "patient":
            query = query.where(table.c.canonical_id.is_(None))
        rows = conn.execute(query).mappings().all()
        result[rtype] = table_digest(rtype, (image(table, r) for r in rows))
    return result


def build(data: Path, n: int) -> EdgeRuntime:
    rt = patients_bench.open_bench_edge(EdgeSettings(data_dir=data, jwt_secret="bench-" + "d" * 40))
    patients_bench.generate(rt, n, rt.sede_id or "", random.Random(n))
    return rt


def run(rt: EdgeRuntime, fn: Callable[[Connection], dict[str, str]]) -> tuple[float, float, dict]:
    """(wall s, cpu s, digests) of one call in a read snapshot."""
    gc.collect()
    with read_session(rt.engine) as session:
        conn = session.connection()
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(conn)
        return time.perf_counter() - w0, time.process_time() - c0, out


def peak_mb(rt: EdgeRuntime, fn: Callable[[Connection], dict[str, str]]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        run(rt, fn)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(n: int, rounds: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-digests-") as tmp:
        rt = build(Path(tmp), n)
        ways = {"old": old_local_digests, "new": local_digests}
        walls: dict[str, list[float]] = {k: [] for k in ways}
        cpus: dict[str, list[float]] = {k: [] for k in ways}
        seen: dict[str, dict[str, str]] = {}
        run(rt, local_digests)  # warm the page cache once for both
        for _ in range(rounds):
            for name, fn in ways.items():  # alternated: drift of the machine hits both
                wall, cpu, out = run(rt, fn)
                walls[name].append(wall)
                cpus[name].append(cpu)
                seen[name] = out
        if seen["old"] != seen["new"]:
            raise SystemExit(f"digests differ at {n:,} patients: {seen}")
        result = {
            name: {
                "wall": statistics.median(walls[name]),
                "cpu": statistics.median(cpus[name]),
                "peak": peak_mb(rt, fn),
            }
            for name, fn in ways.items()
        }
        rt.engine.dispose()
        return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", default="10000,100000", help="comma-separated sizes")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.patients.split(",")]
    rows = []
    for n in sizes:
        print(f"building an edge with {n:,} patients ...", flush=True)
        rows.append((n, measure(n, args.rounds)))
    print()
    print(f"local_digests, median of {args.rounds} runs; peak = tracemalloc peak of one run")
    print(f"{'patients':>9} {'way':>4} {'wall ms':>9} {'cpu ms':>9} {'peak MB':>9}")
    for n, res in rows:
        for name in ("old", "new"):
            r = res[name]
            print(
                f"{n:>9,} {name:>4} {r['wall'] * 1e3:>9.0f} {r['cpu'] * 1e3:>9.0f} "
                f"{r['peak']:>9.1f}"
            )
        old, new = res["old"], res["new"]
        print(
            f"{'':>9} new/old: time {new['wall'] / old['wall']:.2f}x, "
            f"peak {new['peak'] / old['peak']:.3f}x"
        )
    print()
    print("CPU per hour of the sync worker on digests (compare at every pull vs every 600 s)")
    for n, res in rows:
        every_pull = res["old"]["cpu"] * 3600 / PULL_EVERY_S
        interval = res["new"]["cpu"] * 3600 / DEFAULT_INTERVAL_S
        print(
            f"{n:>9,} patients: every {PULL_EVERY_S:.0f} s (old) {every_pull:,.0f} s/h "
            f"({every_pull / 36:.1f}% of a core); every {DEFAULT_INTERVAL_S:.0f} s (new) "
            f"{interval:,.1f} s/h ({interval / 36:.2f}% of a core)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
